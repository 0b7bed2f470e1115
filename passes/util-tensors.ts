import { arrayToBytes, dtypeBytes, makeTensor, numel, stridesOf, type Tensor } from '../ir/index.js';

/** Tensor helpers the cleanup passes share: sizes, exact equality, transposition of constants. */

export function tensorBytes(t: { dtype: Tensor['dtype']; shape: readonly number[] }): number {
  return numel(t.shape) * dtypeBytes(t.dtype);
}

/** Same dtype, shape and bit pattern (so -0 differs from 0 and NaNs with equal bits are equal, as in memory). */
export function tensorsEqual(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = arrayToBytes(a.dtype, a.data);
  const y = arrayToBytes(b.dtype, b.data);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A cheap content hash (FNV-1a over the bytes) to bucket constants before comparing them exactly. */
export function tensorHash(t: Tensor): string {
  const bytes = arrayToBytes(t.dtype, t.data);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${t.dtype}[${t.shape.join(',')}]#${h.toString(16)}`;
}

/** Transpose's default perm (reversed axes) made explicit. */
export function resolvePerm(perm: readonly number[] | undefined, rank: number): number[] {
  if (!perm) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  return perm.map((p) => (p < 0 ? p + rank : p));
}

export function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** Transpose(Transpose(x, first), second) == Transpose(x, composePerms(first, second)). */
export function composePerms(first: readonly number[], second: readonly number[]): number[] {
  return second.map((i) => first[i]!);
}

export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The data of Transpose(t, perm): output dim i is input dim perm[i]. */
export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  const rank = t.shape.length;
  const outShape = perm.map((p) => t.shape[p]!);
  const inStrides = stridesOf(t.shape);
  const stepFor = perm.map((p) => inStrides[p]!); // input stride walked by each output dim
  const out = makeTensor(t.dtype, outShape);
  const src = t.data as ArrayLike<number | bigint>;
  const dst = out.data as unknown as { [i: number]: number | bigint };
  const n = numel(outShape);
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    dst[i] = src[offset]!;
    // Odometer increment over the output index, tracking the input offset incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      offset += stepFor[d]!;
      if (index[d]! < outShape[d]!) break;
      offset -= stepFor[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/** The same data under another shape of equal size (e.g. [C] seen as [1,C,1,1]). */
export function reshapeTensor(t: Tensor, shape: readonly number[]): Tensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}
