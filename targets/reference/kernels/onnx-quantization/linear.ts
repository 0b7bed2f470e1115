import { allocArray, roundToDType, type DType, type Tensor, type TypedArray } from '../../../../ir/index.js';
import { roundHalfEven } from '../math.js';
import type { KernelContext } from '../registry.js';
import { quantRange, roundFloat, saturateRound, toFloat64 } from './numeric.js';
import { quantParamIndex } from './params.js';

/** QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear, numerically as the ONNX reference computes them. */

type NumberArray = Exclude<TypedArray, BigInt64Array | BigUint64Array>;

export function quantizeLinear([x, scale, zeroPoint]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const out: DType = zeroPoint?.dtype ?? ((ctx.attr<string>('output_dtype') || 'u8') as DType);
  const precision = ctx.attr<string>('precision') as DType | '';
  // The scale's type sets the precision of x / scale (ONNX opset 23+), unless `precision` overrides it.
  const division: DType = precision || scale!.dtype;
  const index = quantParamIndex(x!.shape, scale!.shape, ctx.attr<number>('axis'), ctx.attr<number>('block_size'));
  const xs = toFloat64(x!);
  const scales = toFloat64(scale!);
  const zps = zeroPoint ? toFloat64(zeroPoint) : new Float64Array(scales.length);
  const [lo, hi] = quantRange(out);
  const data = allocArray(out, xs.length) as NumberArray;
  for (let i = 0; i < xs.length; i++) {
    const p = index[i]!;
    const q = roundFloat(division, roundToDType(division, xs[i]!) / roundToDType(division, scales[p]!));
    data[i] = saturateRound(q, zps[zps.length > 1 ? p : 0]!, lo, hi);
  }
  return [{ dtype: out, shape: [...x!.shape], data }];
}

export function dequantizeLinear([x, scale, zeroPoint]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const out = (ctx.attr<string>('output_dtype') || scale!.dtype) as DType;
  const index = quantParamIndex(x!.shape, scale!.shape, ctx.attr<number>('axis'), ctx.attr<number>('block_size'));
  const xs = toFloat64(x!);
  const scales = toFloat64(scale!);
  const zps = zeroPoint ? toFloat64(zeroPoint) : new Float64Array(scales.length);
  // x - zp and the product are float32 operations (as in the ONNX reference), f64 only for f64 results.
  const product: DType = out === 'f64' || scale!.dtype === 'f64' ? 'f64' : 'f32';
  const data = allocArray(out, xs.length) as Float32Array | Float64Array;
  for (let i = 0; i < xs.length; i++) {
    const p = index[i]!;
    const shifted = roundFloat(product, roundFloat(product, xs[i]!) - zps[zps.length > 1 ? p : 0]!);
    data[i] = roundToDType(out, roundFloat(product, shifted * scales[p]!));
  }
  return [{ dtype: out, shape: [...x!.shape], data }];
}

/**
 * u8 quantization with a scale and zero point that map [min(x, 0), max(x, 0)] onto [0, 255], every step in
 * float32 as the ONNX specification's reference formula does.
 */
export function dynamicQuantizeLinear([x]: readonly (Tensor | null)[]): Tensor[] {
  const xs = x!.data as Float32Array;
  let max = 0;
  let min = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  // The adjusted range always holds 0, so it is empty only when x is all zeros: the scale is then 1, not 0.
  const scale = max === min ? 1 : Math.fround(Math.fround(max - min) / 255);
  const initialZeroPoint = Math.fround(0 - Math.fround(min / scale));
  const zeroPoint = roundHalfEven(Math.max(0, Math.min(255, initialZeroPoint)));
  const y = new Uint8Array(xs.length);
  for (let i = 0; i < xs.length; i++) y[i] = saturateRound(Math.fround(xs[i]! / scale), zeroPoint, 0, 255);
  return [
    { dtype: 'u8', shape: [...x!.shape], data: y },
    { dtype: 'f32', shape: [], data: Float32Array.of(scale) },
    { dtype: 'u8', shape: [], data: Uint8Array.of(zeroPoint) },
  ];
}
