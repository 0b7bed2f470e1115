import { numel, type Tensor } from '../../../../ir/index.js';
import { resizeAxes, resizeTargets } from '../../../../ir/ops/nn.js';
import type { KernelContext } from '../registry.js';
import { floatData, floatResult } from './common.js';

/**
 * Resize, following the ONNX reference implementation. Every mode is separable, so the tensor is resized one
 * axis at a time: each output index along an axis is a weighted sum of a few input indices (its "taps"),
 * or the extrapolation value when tf_crop_and_resize maps it outside the input.
 */

interface AxisTaps {
  outLen: number;
  /** Taps per output index. */
  count: number;
  index: Int32Array;
  weight: Float64Array;
  /** 1 where the output index takes extrapolation_value. */
  outside: Uint8Array;
}

interface AxisPlan {
  inLen: number;
  outLen: number;
  scale: number;
  roiStart: number;
  roiEnd: number;
}

/** The input coordinate an output index maps to (coordinate_transformation_mode), or NaN if outside (crop). */
function sourceCoordinate(mode: string, x: number, p: AxisPlan): number {
  // As in the ONNX reference, the "output width" in these formulas is scale * input, not the rounded size.
  const outWidth = p.scale * p.inLen;
  switch (mode) {
    case 'align_corners':
      return outWidth === 1 ? 0 : (x * (p.inLen - 1)) / (outWidth - 1);
    case 'asymmetric':
      return x / p.scale;
    case 'tf_crop_and_resize': {
      const span = p.roiEnd - p.roiStart;
      const at = (outWidth === 1 ? (span * (p.inLen - 1)) / 2 : (x * span * (p.inLen - 1)) / (outWidth - 1)) + p.roiStart * (p.inLen - 1);
      return at < 0 || at > p.inLen - 1 ? NaN : at;
    }
    case 'pytorch_half_pixel':
      return outWidth === 1 ? -0.5 : (x + 0.5) / p.scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = p.outLen / outWidth;
      const offset = (p.inLen / 2) * (1 - adjustment);
      return offset + (x + 0.5) / p.scale - 0.5;
    }
    default: // half_pixel
      return (x + 0.5) / p.scale - 0.5;
  }
}

function nearestIndex(x: number, mode: string): number {
  if (Number.isInteger(x)) return x;
  const floor = Math.floor(x);
  const frac = x - floor;
  switch (mode) {
    case 'round_prefer_ceil':
      return frac < 0.5 ? floor : floor + 1;
    case 'floor':
      return floor;
    case 'ceil':
      return floor + 1;
    default: // round_prefer_floor
      return frac <= 0.5 ? floor : floor + 1;
  }
}

/** Keys' cubic convolution kernel with parameter a. */
function cubicWeight(d: number, a: number): number {
  const x = Math.abs(d);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

function axisTaps(p: AxisPlan, ctx: KernelContext): AxisTaps {
  const mode = ctx.attr<string>('mode');
  const ctm = ctx.attr<string>('coordinate_transformation_mode');
  const excludeOutside = ctx.attr<number>('exclude_outside') !== 0;
  const antialias = ctx.attr<number>('antialias') !== 0;
  const a = ctx.attr<number>('cubic_coeff_a');
  // Filter support: linear reaches 1 input step each side, cubic 2; antialiasing stretches it by 1/scale.
  const radius = mode === 'cubic' ? 2 : 1;
  const stretch = antialias ? Math.min(p.scale, 1) : 1;
  const first = Math.floor(-radius / stretch) + 1;
  const count = mode === 'nearest' ? 1 : 2 - 2 * first;
  const index = new Int32Array(p.outLen * count);
  const weight = new Float64Array(p.outLen * count);
  const outside = new Uint8Array(p.outLen);
  const clamp = (i: number) => Math.min(Math.max(i, 0), p.inLen - 1);
  for (let o = 0; o < p.outLen; o++) {
    const x = sourceCoordinate(ctm, o, p);
    if (Number.isNaN(x)) {
      outside[o] = 1;
      continue;
    }
    const t = o * count;
    if (mode === 'nearest') {
      index[t] = clamp(nearestIndex(x, ctx.attr<string>('nearest_mode')));
      weight[t] = 1;
      continue;
    }
    // The reference keeps the fractional part in (0, 1]: an integral coordinate counts from the index below.
    const base = Number.isInteger(x) ? x - 1 : Math.floor(x);
    const ratio = Number.isInteger(x) ? 1 : x - base;
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const i = first + k;
      const d = (i - ratio) * stretch;
      let w = mode === 'cubic' ? cubicWeight(d, a) : Math.max(0, 1 - Math.abs(d));
      if (excludeOutside && (base + i < 0 || base + i >= p.inLen)) w = 0;
      index[t + k] = clamp(base + i);
      weight[t + k] = w;
      sum += w;
    }
    // Antialiased filters and exclude_outside renormalize so the weights sum to one.
    if ((antialias || excludeOutside) && sum !== 0) for (let k = 0; k < count; k++) weight[t + k] /= sum;
  }
  return { outLen: p.outLen, count, index, weight, outside };
}

/** Resamples one axis of a row-major [outer, inLen, inner] array into [outer, outLen, inner]. */
function resampleAxis(data: Float64Array, outer: number, inLen: number, inner: number, taps: AxisTaps, extrapolation: number): Float64Array {
  const { outLen, count, index, weight, outside } = taps;
  const out = new Float64Array(outer * outLen * inner);
  for (let r = 0; r < outer; r++) {
    const src = r * inLen * inner;
    for (let o = 0; o < outLen; o++) {
      const dst = (r * outLen + o) * inner;
      if (outside[o]) {
        out.fill(extrapolation, dst, dst + inner);
        continue;
      }
      for (let k = 0; k < count; k++) {
        const w = weight[o * count + k]!;
        if (w === 0) continue;
        const from = src + index[o * count + k]! * inner;
        for (let i = 0; i < inner; i++) out[dst + i] += w * data[from + i]!;
      }
    }
  }
  return out;
}

function present(t: Tensor | null): Tensor | null {
  return t && t.data.length > 0 ? t : null;
}

export function resizeKernel([x, roiT, scalesT, sizesT]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const mode = ctx.attr<string>('mode');
  if (mode === 'nearest' && ctx.attr<number>('antialias') !== 0) ctx.fail('Resize antialias applies only to linear and cubic modes');
  const rank = X.shape.length;
  const axes = resizeAxes(ctx, rank, ctx.fail);
  const scales = present(scalesT);
  const sizes = present(sizesT);
  const numbers = (t: Tensor | null) => (t ? Array.from(t.data as ArrayLike<number | bigint>, Number) : undefined);
  const inputDims = axes.map((ax) => X.shape[ax]!);
  const targets = resizeTargets(ctx, inputDims, numbers(scales), numbers(sizes), ctx.fail);
  const roi = ctx.attr<string>('coordinate_transformation_mode') === 'tf_crop_and_resize' ? numbers(present(roiT)) : undefined;
  if (roi && roi.length !== 2 * axes.length) ctx.fail(`roi has ${roi.length} entries; expected ${2 * axes.length} (start and end per resized axis)`);
  const extrapolation = ctx.attr<number>('extrapolation_value');

  let shape = [...X.shape];
  let data: Float64Array = Float64Array.from(floatData(X));
  axes.forEach((ax, i) => {
    const plan: AxisPlan = {
      inLen: shape[ax]!,
      outLen: targets.outSizes[i] as number,
      scale: targets.scales[i]!,
      roiStart: roi ? roi[i]! : 0,
      roiEnd: roi ? roi[i + axes.length]! : 1,
    };
    const taps = axisTaps(plan, ctx);
    data = resampleAxis(data, numel(shape.slice(0, ax)), plan.inLen, numel(shape.slice(ax + 1)), taps, extrapolation);
    shape = shape.map((d, j) => (j === ax ? plan.outLen : d));
  });
  return [floatResult(X.dtype, shape, data)];
}
