import { allocArray, numel, type DType, type Tensor, type TypedArray } from '../../../../ir/index.js';

/**
 * Data movement without conversion: elements are copied between typed arrays of the same dtype as they are
 * (bigint stays bigint), so int64 values beyond 2^53 survive every reshape, slice, gather and pad exactly.
 */

/** Any typed array seen as plain element slots; assigning a slot copies the element unchanged. */
export type Slots = { [i: number]: unknown; readonly length: number };

export const slots = (a: TypedArray): Slots => a as unknown as Slots;

/** A tensor sharing `t`'s data under a new shape (kernels never write their inputs, so sharing is safe). */
export function withShape(t: Tensor, shape: readonly number[]): Tensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}

/**
 * The output of most data-movement ops: output element at coords (c0, c1, ...) is input element
 * sum_a offsets[a][c_a], or `fill` when any offsets[a][c_a] is negative (padding). Each op only has to say,
 * per output axis, where that axis's coordinate lands in the input's flat index.
 */
export function gatherByAxisOffsets(src: Tensor, outShape: readonly number[], offsets: readonly Int32Array[], fill?: unknown): Tensor {
  const n = numel(outShape);
  const data = allocArray(src.dtype, n);
  const out = slots(data);
  const input = slots(src.data);
  const result: Tensor = { dtype: src.dtype, shape: [...outShape], data };
  if (n === 0) return result;
  const rank = outShape.length;
  if (rank === 0) {
    out[0] = input[0];
    return result;
  }
  const last = offsets[rank - 1]!;
  const rowLength = outShape[rank - 1]!;
  const coord = new Int32Array(rank);
  for (let o = 0; o < n; ) {
    let base = 0;
    let padded = false;
    for (let a = 0; a < rank - 1; a++) {
      const v = offsets[a]![coord[a]!]!;
      if (v < 0) padded = true;
      base += v;
    }
    if (padded) {
      for (let j = 0; j < rowLength; j++) out[o++] = fill;
    } else {
      for (let j = 0; j < rowLength; j++) {
        const v = last[j]!;
        out[o++] = v < 0 ? fill : input[base + v];
      }
    }
    for (let a = rank - 2; a >= 0; a--) {
      if (++coord[a]! < outShape[a]!) break;
      coord[a] = 0;
    }
  }
  return result;
}

/** Offsets for an axis read as in[start + step * i] with the given input stride. */
export function affineOffsets(count: number, start: number, step: number, stride: number): Int32Array {
  const o = new Int32Array(count);
  for (let i = 0; i < count; i++) o[i] = (start + step * i) * stride;
  return o;
}

/** Copies `count` elements from src[from..] to dst[to..] (same dtype arrays). */
export function copyRange(dst: TypedArray, to: number, src: TypedArray, from: number, count: number): void {
  (dst as Float64Array).set((src as Float64Array).subarray(from, from + count), to);
}

/** Zero of a dtype in its in-memory representation (0n for the bigint dtypes). */
export function zeroOf(dtype: DType): number | bigint {
  return dtype === 'i64' || dtype === 'u64' ? 0n : 0;
}

/** The integers in an index tensor (i32 or i64) as numbers. */
export function intsOf(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}
