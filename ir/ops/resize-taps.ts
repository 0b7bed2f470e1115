import type { AttrValue } from '../graph.js';

/**
 * Resize's per-axis taps, following the ONNX reference implementation: every mode is separable, so each output
 * index along an axis is a weighted sum of a few input indices (its taps), or the extrapolation value when
 * tf_crop_and_resize maps it outside the input. Shared by every target, so they all resample alike.
 */
export interface AxisTaps {
  outLen: number;
  /** Taps per output index. */
  count: number;
  index: Int32Array;
  weight: Float64Array;
  /** 1 where the output index takes extrapolation_value. */
  outside: Uint8Array;
}

export interface AxisPlan {
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

export function resizeTaps(attr: <T extends AttrValue>(name: string) => T, p: AxisPlan): AxisTaps {
  const mode = attr<string>('mode');
  const ctm = attr<string>('coordinate_transformation_mode');
  const excludeOutside = attr<number>('exclude_outside') !== 0;
  const antialias = attr<number>('antialias') !== 0;
  const a = attr<number>('cubic_coeff_a');
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
      index[t] = clamp(nearestIndex(x, attr<string>('nearest_mode')));
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

