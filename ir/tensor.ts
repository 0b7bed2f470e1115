import { allocArray, isBigInt, roundToDType, type DType, type TypedArray } from './dtype.js';
import { EdgecError } from './errors.js';

/** A concrete tensor: dtype, static shape and data in the dtype's in-memory array (see dtype.ts). */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function makeTensor(dtype: DType, shape: readonly number[], data?: TypedArray | ArrayLike<number> | ArrayLike<bigint>): Tensor {
  const n = numel(shape);
  const out = allocArray(dtype, n);
  if (data !== undefined) {
    if (data.length !== n) {
      throw new EdgecError('BAD_DATA', `tensor of shape [${shape.join(',')}] needs ${n} elements, got ${data.length}`);
    }
    if (isBigInt(dtype)) {
      const dst = out as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) dst[i] = BigInt(data[i] as number | bigint);
    } else if (dtype === 'f16' || dtype === 'bf16') {
      for (let i = 0; i < n; i++) out[i] = roundToDType(dtype, Number(data[i]));
    } else {
      const dst = out as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
      for (let i = 0; i < n; i++) dst[i] = Number(data[i]);
    }
  }
  return { dtype, shape: [...shape], data: out };
}

/** Element i as a JS number (int64 values beyond 2^53 lose precision; edge models never rely on them). */
export function readNumber(t: Tensor, i: number): number {
  return Number(t.data[i]);
}

/** All elements as numbers. */
export function toNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}

export function scalarOf(t: Tensor): number {
  if (t.data.length !== 1) throw new EdgecError('BAD_SHAPE', `expected a scalar, got shape [${t.shape.join(',')}]`);
  return Number(t.data[0]);
}
