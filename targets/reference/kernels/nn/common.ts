import { allocArray, isBigInt, numel, roundToDType, type DType, type Tensor } from '../../../../ir/index.js';

/** Helpers the nn kernels share: float views of operand data and typed result construction. */

export type FloatArray = Float32Array | Float64Array;

/**
 * The operand's elements as a float array the hot loops can index directly: f32/f16/bf16/f64 data as is
 * (f16 and bf16 already live in Float32Array), integers converted to Float64Array.
 */
export function floatData(t: Tensor): FloatArray {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) return t.data;
  const out = new Float64Array(t.data.length);
  if (isBigInt(t.dtype)) for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  else for (let i = 0; i < out.length; i++) out[i] = t.data[i] as number;
  return out;
}

/**
 * A result tensor of dtype from values computed in float64 (or float32): stored as the dtype stores them
 * (f32 rounds, f16/bf16 round to half precision, integers truncate and saturate as in fromNumbers).
 */
export function floatResult(dtype: DType, shape: readonly number[], values: FloatArray): Tensor {
  const n = numel(shape);
  if (dtype === 'f32' && values instanceof Float32Array && values.length === n) return { dtype, shape: [...shape], data: values };
  const data = allocArray(dtype, n);
  if (dtype === 'f32' || dtype === 'f64') {
    (data as FloatArray).set(values.subarray(0, n));
  } else if (dtype === 'f16' || dtype === 'bf16') {
    const dst = data as Float32Array;
    for (let i = 0; i < n; i++) dst[i] = roundToDType(dtype, values[i]!);
  } else if (isBigInt(dtype)) {
    const dst = data as BigInt64Array;
    for (let i = 0; i < n; i++) dst[i] = BigInt(Math.trunc(values[i]!));
  } else {
    const dst = data as Int32Array;
    for (let i = 0; i < n; i++) dst[i] = Math.trunc(values[i]!);
  }
  return { dtype, shape: [...shape], data };
}

/**
 * Spatial dims (and per-axis parameters) padded at the front to exactly three, so one 3-D loop nest serves
 * 1-D, 2-D and 3-D convolution and pooling.
 */
export function to3d(values: readonly number[], fill: number): [number, number, number] {
  const out = [fill, fill, fill];
  const offset = 3 - values.length;
  values.forEach((v, i) => (out[offset + i] = v));
  return out as [number, number, number];
}

/** Begin and end pads of a [begin..., end...] list, each padded to three axes. */
export function pads3d(pads: readonly number[]): { begin: [number, number, number]; end: [number, number, number] } {
  const n = pads.length / 2;
  return { begin: to3d(pads.slice(0, n), 0), end: to3d(pads.slice(n), 0) };
}
