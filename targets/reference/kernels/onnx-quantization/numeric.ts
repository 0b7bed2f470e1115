import { dtypeRange, halfToFloat, floatToHalf, isBigInt, roundToDType, type DType, type Tensor } from '../../../../ir/index.js';
import { roundHalfEven } from '../math.js';

/** Numeric helpers of the quantized kernels: integer views of tensors, float rounding, saturation. */

/** The tensor's elements as an Int32Array (8/16-bit and i32 data are copied exactly). */
export function toInt32(t: Tensor): Int32Array {
  if (t.data instanceof Int32Array) return t.data;
  if (isBigInt(t.dtype)) return Int32Array.from(t.data as BigInt64Array, (v) => Number(v));
  return Int32Array.from(t.data as ArrayLike<number>);
}

/** The tensor's elements as numbers (floats as stored; f16/bf16 are already rounded to their precision). */
export function toFloat64(t: Tensor): Float64Array {
  if (isBigInt(t.dtype)) return Float64Array.from(t.data as BigInt64Array, (v) => Number(v));
  return Float64Array.from(t.data as ArrayLike<number>);
}

/**
 * Rounds the result of one float operation to `dtype`'s precision. Half types go through float32 first because
 * numpy (and ORT's half kernels) compute half arithmetic in float32 and then narrow.
 */
export function roundFloat(dtype: DType, x: number): number {
  switch (dtype) {
    case 'f64':
      return x;
    case 'f16':
      return halfToFloat(floatToHalf(Math.fround(x)));
    default:
      return roundToDType(dtype, Math.fround(x));
  }
}

/** round half to even, add the zero point, clamp to the dtype's range: the last step of every quantization. */
export function saturateRound(value: number, zeroPoint: number, lo: number, hi: number): number {
  // NaN has no integer meaning; map it to the zero point (the quantized zero) rather than to garbage.
  const q = Number.isNaN(value) ? zeroPoint : roundHalfEven(value) + zeroPoint;
  return q < lo ? lo : q > hi ? hi : q;
}

export const quantRange = (dtype: DType): [number, number] => dtypeRange(dtype);
