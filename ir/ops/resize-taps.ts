import { EdgecError } from '../errors.js';
import type { AttrValue, Node, Value } from '../graph.js';
import { resizeAxes, resizeTargets } from './nn.js';
import { getAttr } from './registry.js';

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


/**
 * The taps of every axis of a Resize node whose scales or sizes (and roi) are constants, with the input's static
 * shape: axes not listed in `axes` get identity taps. Code generators place these as tables, so every target
 * resamples exactly as the reference does. Throws EdgecError (code VERIFY) on operands the op refuses.
 */
export interface ResizeNodeTaps {
  inShape: number[];
  outShape: number[];
  /** Per axis of X. */
  axes: AxisTaps[];
  extrapolation: number;
}

function constantNumbers(v: Value | null | undefined): number[] | undefined {
  const t = v?.data;
  return t && t.data.length > 0 ? Array.from(t.data as ArrayLike<number | bigint>, Number) : undefined;
}

export function resizeNodeTaps(node: Node): ResizeNodeTaps {
  const [x, roiV, scalesV, sizesV] = node.inputs;
  const inShape = x!.type.shape as number[];
  const attr = <T extends AttrValue>(name: string) => getAttr<T>(node, name);
  const fail = (m: string): never => {
    throw new EdgecError('VERIFY', m, { node: node.label, op: node.op });
  };
  const resized = resizeAxes({ attr }, inShape.length, fail);
  const targets = resizeTargets({ attr }, resized.map((a) => inShape[a]!), constantNumbers(scalesV), constantNumbers(sizesV), fail);
  const roi = attr<string>('coordinate_transformation_mode') === 'tf_crop_and_resize' ? constantNumbers(roiV) : undefined;
  if (roi && roi.length !== 2 * resized.length) fail(`roi has ${roi.length} entries; expected ${2 * resized.length} (start and end per resized axis)`);
  const axes = inShape.map((inLen, a) => {
    const i = resized.indexOf(a);
    if (i < 0) return resizeTaps(attr, { inLen, outLen: inLen, scale: 1, roiStart: 0, roiEnd: 1 });
    return resizeTaps(attr, {
      inLen,
      outLen: targets.outSizes[i] as number,
      scale: targets.scales[i]!,
      roiStart: roi ? roi[i]! : 0,
      roiEnd: roi ? roi[i + resized.length]! : 1,
    });
  });
  return { inShape, outShape: axes.map((t) => t.outLen), axes, extrapolation: attr<number>('extrapolation_value') };
}

/**
 * Whether every output index reads only its own input index, with weights summing to 1: the axis is not resized.
 * Several taps may share that index (pytorch_half_pixel on an axis of length 1 maps to -0.5, whose linear or
 * cubic taps all clamp to index 0), so their weights are summed, up to rounding of the f64 weights.
 */
export function isIdentityAxis(t: AxisTaps, inLen: number): boolean {
  if (t.outLen !== inLen) return false;
  for (let o = 0; o < t.outLen; o++) {
    if (t.outside[o]) return false;
    let sum = 0;
    for (let k = 0; k < t.count; k++) {
      const w = t.weight[o * t.count + k]!;
      if (w !== 0 && t.index[o * t.count + k] !== o) return false;
      sum += w;
    }
    if (Math.abs(sum - 1) > 1e-12) return false;
  }
  return true;
}

/** One tap of weight 1 everywhere and nothing outside (nearest): the source is read without multiplying. */
export function isSingleTapAxis(t: AxisTaps): boolean {
  return t.count === 1 && t.weight.every((w) => w === 1) && t.outside.every((o) => o === 0);
}

const presentOperand = (v: Value | null | undefined) => v && !(v.type.shape.length === 1 && v.type.shape[0] === 0);

/** Reason the operands a static-shape code generator reads at compile time (scales, sizes, roi) are not constants, or null. */
export function resizeConstantsProblem(node: Node): string | null {
  const [, roiV, scalesV, sizesV] = node.inputs;
  const constant = (v: Value | null | undefined) => !presentOperand(v) || constantNumbers(v) !== undefined;
  if (!constant(scalesV) || !constant(sizesV)) return 'scales/sizes must be constants';
  if (getAttr<string>(node, 'coordinate_transformation_mode') === 'tf_crop_and_resize' && !constant(roiV)) return 'roi must be a constant';
  return null;
}

/**
 * A 4-D Resize seen as `planes` (N * C) planes of H x W resampled to OH x OW: the form the f32 kernels run,
 * separable into a row pass (rows taps) and a column pass (cols taps). When N or C is resized too, `outer` holds
 * their taps: output plane (n, c) is then sum over the batch and channel taps of weight * resampled input plane
 * (a third pass over whole planes). A reason string when the node has another rank, is empty, or resizes N or C
 * into more output planes than the caller takes (`maxOuterPlanes`, 0 unless given: a generator that has no
 * plane pass).
 */
export interface ResizePlanePlan {
  /** N and C taps, only when either axis is resized (the plane index of (n, c) is n * C + c). */
  outer?: { C: number; batch: AxisTaps; channels: AxisTaps };
  planes: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  rows: AxisTaps;
  cols: AxisTaps;
  extrapolation: number;
}

export function resizePlanePlan(node: Node, options: { maxOuterPlanes?: number } = {}): ResizePlanePlan | string {
  const shape = node.inputs[0]!.type.shape;
  if (shape.length !== 4) return `Resize of a rank-${shape.length} tensor is not supported (4-D NCHW)`;
  if (shape.some((d) => d === 0)) return 'empty tensors are not supported';
  let t: ResizeNodeTaps;
  try {
    t = resizeNodeTaps(node);
  } catch (e) {
    if (e instanceof EdgecError) return e.message;
    throw e;
  }
  const [N, C, H, W] = t.inShape as [number, number, number, number];
  const plan: ResizePlanePlan = { planes: N * C, H, W, OH: t.outShape[2]!, OW: t.outShape[3]!, rows: t.axes[2]!, cols: t.axes[3]!, extrapolation: t.extrapolation };
  const resized = [0, 1].filter((a) => !isIdentityAxis(t.axes[a]!, t.inShape[a]!));
  if (resized.length === 0) return plan;
  const maxOuterPlanes = options.maxOuterPlanes ?? 0;
  if (maxOuterPlanes === 0) return `resizing the ${resized[0] === 0 ? 'batch' : 'channel'} axis is not supported (only H and W)`;
  const outerPlanes = t.outShape[0]! * t.outShape[1]!;
  if (outerPlanes > maxOuterPlanes) return `resizing the batch or channel axis into ${outerPlanes} planes is not supported (at most ${maxOuterPlanes}: the code is unrolled per plane)`;
  return { ...plan, outer: { C, batch: t.axes[0]!, channels: t.axes[1]! } };
}
