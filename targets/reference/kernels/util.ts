import { allocArray, broadcastShapes, EdgecError, isBigInt, numel, roundToDType, stridesOf, type DType, type Tensor, type TypedArray } from '../../../ir/index.js';

/** Small helpers the reference kernels share: element access as numbers, broadcasting, writing results. */

/** Reads element i of any tensor as a number (bool as 0/1). */
export function getter(t: Tensor): (i: number) => number {
  const d = t.data;
  if (isBigInt(t.dtype)) return (i) => Number((d as BigInt64Array)[i]);
  return (i) => (d as Float32Array)[i]!;
}

/**
 * A tensor of `dtype` and `shape` filled from plain numbers, converting as a store into that dtype would
 * (integers truncate toward zero and wrap; f16 rounds).
 */
export function fromNumbers(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
  const n = numel(shape);
  const data = allocArray(dtype, n);
  if (isBigInt(dtype)) {
    const dst = data as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      dst[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    }
  } else if (dtype === 'bool') {
    for (let i = 0; i < n; i++) data[i] = values[i] ? 1 : 0;
  } else if (dtype === 'f16' || dtype === 'bf16') {
    writeHalf(dtype, data as Float32Array, values, n);
  } else {
    const dst = data as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < n; i++) dst[i] = values[i]!;
  }
  return { dtype, shape: [...shape], data };
}

function writeHalf(dtype: DType, dst: Float32Array, values: ArrayLike<number>, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = roundToDType(dtype, values[i]!);
}

/** For each output element of the broadcast shape, the flat index into each operand. */
export function broadcastIndexers(shapes: readonly (readonly number[])[]): { shape: number[]; index: Int32Array[] } {
  const out = broadcastShapes(shapes) as number[] | undefined;
  if (!out) throw new EdgecError('RUNTIME', `shapes do not broadcast: ${shapes.map((s) => `[${s.join(',')}]`).join(' vs ')}`);
  const n = numel(out);
  const rank = out.length;
  const outStrides = stridesOf(out);
  const index = shapes.map((s) => {
    const idx = new Int32Array(n);
    const strides = stridesOf(s);
    const offset = rank - s.length;
    // Same shape as the output: identity mapping.
    if (s.length === rank && s.every((d, i) => d === out[i])) {
      for (let i = 0; i < n; i++) idx[i] = i;
      return idx;
    }
    for (let i = 0; i < n; i++) {
      let rem = i;
      let flat = 0;
      for (let a = 0; a < rank; a++) {
        const coord = Math.floor(rem / outStrides[a]!);
        rem -= coord * outStrides[a]!;
        const sa = a - offset;
        if (sa >= 0 && s[sa] !== 1) flat += coord * strides[sa]!;
      }
      idx[i] = flat;
    }
    return idx;
  });
  return { shape: out, index };
}

/** Applies fn elementwise over broadcast operands, producing a tensor of dtype. */
export function mapBroadcast(dtype: DType, operands: readonly Tensor[], fn: (...xs: number[]) => number): Tensor {
  const { shape, index } = broadcastIndexers(operands.map((t) => t.shape));
  const gets = operands.map(getter);
  const n = numel(shape);
  const values = new Float64Array(n);
  const args = new Array<number>(operands.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < operands.length; k++) args[k] = gets[k]!(index[k]![i]!);
    values[i] = fn(...args);
  }
  return fromNumbers(dtype, shape, values);
}

/** Applies fn to every element. */
export function mapUnary(t: Tensor, fn: (x: number) => number, dtype: DType = t.dtype): Tensor {
  const get = getter(t);
  const n = t.data.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = fn(get(i));
  return fromNumbers(dtype, t.shape, values);
}

/** Wraps an integer into the range of an integer dtype (two's complement), as stores in C would. */
export function wrapInteger(dtype: DType, x: number): number {
  switch (dtype) {
    case 'i8':
      return (x << 24) >> 24;
    case 'u8':
      return x & 0xff;
    case 'i16':
      return (x << 16) >> 16;
    case 'u16':
      return x & 0xffff;
    case 'i32':
      return x | 0;
    case 'u32':
      return x >>> 0;
    default:
      return x;
  }
}
