import { dtypeRange, makeTensor, numel, type DType, type Node, type QuantParams, type Tensor, type Value } from '../ir/index.js';
import { roundHalfToEven } from '../ir/ops/quantized.js';

/**
 * Quantization parameters: choosing them (activations asymmetric, weights symmetric per channel, bias int32)
 * and reading them off QuantizeLinear / DequantizeLinear nodes. Shared by the quantize and lower-qdq passes and
 * by the calibration driver, so that all of them round the same way.
 */

/** Scales are stored as float32 (what ONNX files hold), so every consumer sees the same number. */
export const f32 = Math.fround;

/**
 * Asymmetric parameters covering [min, max] (widened to hold 0, so that zero — padding, Relu — is exact):
 * scale = (max - min) / (qmax - qmin), zero point = round(qmin - min / scale), clamped into the dtype range.
 */
export function activationParams(min: number, max: number, dtype: DType): QuantParams {
  const [qmin, qmax] = dtypeRange(dtype);
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  let scale = f32((hi - lo) / (qmax - qmin));
  if (!(scale > 0) || !Number.isFinite(scale)) scale = f32(1 / (qmax - qmin));
  const zeroPoint = Math.max(qmin, Math.min(qmax, Math.round(qmin - lo / scale)));
  return { scale: [scale], zeroPoint: [zeroPoint] };
}

/** QuantizeLinear of one value: clamp(round_half_even(f32(x / scale)) + zero point). */
export function quantizeScalar(x: number, scale: number, zeroPoint: number, lo: number, hi: number): number {
  const v = f32(x / scale);
  const q = Number.isNaN(v) ? zeroPoint : roundHalfToEven(v) + zeroPoint;
  return q < lo ? lo : q > hi ? hi : q;
}

/**
 * Symmetric int8 weights, one scale per index along `axis`: scale = max|w| / 127, values in [-127, 127]
 * (the restricted range keeps products of two int8 values symmetric, as most int8 kernels assume).
 */
export function quantizeWeights(w: Tensor, axis: number): { data: Tensor; quant: QuantParams } {
  const channels = w.shape[axis]!;
  const inner = numel(w.shape.slice(axis + 1));
  const src = w.data as Float32Array;
  const maxAbs = new Array<number>(channels).fill(0);
  for (let i = 0; i < src.length; i++) {
    const c = Math.floor(i / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(src[i]!));
  }
  const scale = maxAbs.map((m) => (m > 0 ? f32(m / 127) : 1));
  const q = new Int8Array(src.length);
  for (let i = 0; i < src.length; i++) q[i] = quantizeScalar(src[i]!, scale[Math.floor(i / inner) % channels]!, 0, -127, 127);
  return { data: { dtype: 'i8', shape: [...w.shape], data: q }, quant: { scale, zeroPoint: new Array<number>(channels).fill(0), axis } };
}

/** int32 bias with scale input_scale * weight_scale[m] (so it adds straight into the accumulator). */
export function quantizeBias(b: Tensor, inputScale: number, weightScales: readonly number[]): { data: Tensor; quant: QuantParams } {
  const scale = Array.from({ length: b.data.length }, (_, m) => f32(inputScale * weightScales[weightScales.length > 1 ? m : 0]!));
  const values = Array.from(b.data as Float32Array, (x, m) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(x / scale[m]!))));
  return { data: makeTensor('i32', b.shape, values), quant: { scale, zeroPoint: new Array<number>(scale.length).fill(0), axis: 0 } };
}

/** Whether two parameter sets describe the same mapping (same dtype assumed). */
export function sameParams(a: QuantParams, b: QuantParams): boolean {
  return a.scale.length === b.scale.length && a.scale.every((s, i) => s === b.scale[i]) && a.zeroPoint.every((z, i) => z === b.zeroPoint[i]);
}

export function isPerTensor(q: QuantParams): boolean {
  return q.scale.length === 1 && q.axis === undefined;
}

/** The parameters of a QuantizeLinear / DequantizeLinear node whose scale and zero point are constants. */
export interface LinearParams extends QuantParams {
  /** The quantized side's dtype. */
  dtype: DType;
}

export function linearParams(node: Node): LinearParams | undefined {
  if (node.op !== 'QuantizeLinear' && node.op !== 'DequantizeLinear') return undefined;
  const [x, scale, zp] = node.inputs;
  if (!scale?.data || (zp && !zp.data)) return undefined;
  if (Number(node.attrs['block_size'] ?? 0) !== 0) return undefined;
  const scales = Array.from(scale.data.data as ArrayLike<number>, Number);
  const zps = zp ? Array.from(zp.data!.data as ArrayLike<number>, Number) : new Array<number>(scales.length).fill(0);
  const dtype = node.op === 'QuantizeLinear' ? node.outputs[0]!.type.dtype : x!.type.dtype;
  if (scales.length === 1 && scale.type.shape.length <= 1) return { scale: scales, zeroPoint: [zps[0]!], dtype };
  const quantized = node.op === 'QuantizeLinear' ? node.outputs[0]! : x!;
  const rank = quantized.type.shape.length;
  const axisAttr = Number(node.attrs['axis'] ?? 1);
  return { scale: scales, zeroPoint: zps, axis: axisAttr < 0 ? axisAttr + rank : axisAttr, dtype };
}

/** The integer data behind a DequantizeLinear operand: a constant, or QuantizeLinear of a float constant. */
export function quantizedConstant(v: Value): Tensor | undefined {
  if (v.data) return v.data;
  const q = v.producer;
  if (q?.op !== 'QuantizeLinear' || !q.inputs[0]?.data) return undefined;
  const p = linearParams(q);
  if (!p) return undefined;
  const w = q.inputs[0].data;
  if (w.dtype !== 'f32') return undefined;
  const [lo, hi] = dtypeRange(p.dtype);
  const inner = p.axis === undefined ? 1 : numel(w.shape.slice(p.axis + 1));
  const channels = p.axis === undefined ? 1 : w.shape[p.axis]!;
  const values = Array.from(w.data as Float32Array, (x, i) => {
    const c = p.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    return quantizeScalar(x, p.scale[c]!, p.zeroPoint[c]!, lo, hi);
  });
  return makeTensor(p.dtype, w.shape, values);
}
