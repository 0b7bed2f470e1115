import { normalizeAxis, numel, type DType, type Tensor } from '../../../../ir/index.js';
import { lrnWindow } from '../../../../ir/ops/nn.js';
import type { KernelContext } from '../registry.js';
import { broadcastIndexers } from '../util.js';
import { floatData, floatResult } from './common.js';

/** BatchNormalization (inference), InstanceNormalization and LayerNormalization; statistics in float64. */

export function batchNormKernel([x, scale, bias, mean, variance]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  if (ctx.attr<number>('training_mode') !== 0) ctx.fail('BatchNormalization training_mode = 1 is not supported');
  const X = x!;
  const epsilon = ctx.attr<number>('epsilon');
  const [s, b, m, v] = [scale!, bias!, mean!, variance!].map(floatData);
  const batch = X.shape[0]!;
  const channels = X.shape[1]!;
  const vol = numel(X.shape.slice(2));
  const data = floatData(X);
  const out = new Float64Array(data.length);
  for (let c = 0; c < channels; c++) {
    // y = x * a + shift with a = scale / sqrt(var + eps), shift = B - mean * a.
    const a = s![c]! / Math.sqrt(v![c]! + epsilon);
    const shift = b![c]! - m![c]! * a;
    for (let n = 0; n < batch; n++) {
      const o = (n * channels + c) * vol;
      for (let i = 0; i < vol; i++) out[o + i] = data[o + i]! * a + shift;
    }
  }
  return [floatResult(X.dtype, X.shape, out)];
}

export function instanceNormKernel([x, scale, bias]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const epsilon = ctx.attr<number>('epsilon');
  const s = floatData(scale!);
  const b = floatData(bias!);
  const channels = X.shape[1]!;
  const planes = X.shape[0]! * channels;
  const vol = numel(X.shape.slice(2));
  const data = floatData(X);
  const out = new Float64Array(data.length);
  for (let p = 0; p < planes; p++) {
    const o = p * vol;
    const { mean, invStd } = moments(data, o, vol, epsilon);
    const a = s[p % channels]! * invStd;
    const shift = b[p % channels]! - mean * a;
    for (let i = 0; i < vol; i++) out[o + i] = data[o + i]! * a + shift;
  }
  return [floatResult(X.dtype, X.shape, out)];
}

/** Mean and 1/sqrt(variance + epsilon) of `count` elements from `offset` (two passes, for accuracy). */
function moments(data: ArrayLike<number>, offset: number, count: number, epsilon: number): { mean: number; invStd: number } {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += data[offset + i]!;
  const mean = sum / count;
  let sq = 0;
  for (let i = 0; i < count; i++) {
    const d = data[offset + i]! - mean;
    sq += d * d;
  }
  return { mean, invStd: 1 / Math.sqrt(sq / count + epsilon) };
}

export function layerNormKernel([x, scale, bias]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const axis = normalizeAxis(ctx.attr<number>('axis'), X.shape.length);
  const epsilon = ctx.attr<number>('epsilon');
  const stash = ctx.attr<string>('stash_type') as DType;
  const statType: DType = X.dtype === 'f64' ? 'f64' : stash;
  const normShape = X.shape.slice(axis);
  const outer = numel(X.shape.slice(0, axis));
  const inner = numel(normShape);
  // Scale and B broadcast (unidirectionally) to the normalized dims: map each normalized element to theirs.
  const scaleAt = broadcastIndexers([normShape, scale!.shape]).index[1]!;
  const biasAt = bias ? broadcastIndexers([normShape, bias.shape]).index[1]! : undefined;
  const s = floatData(scale!);
  const b = bias ? floatData(bias) : undefined;
  const data = floatData(X);
  const out = new Float64Array(data.length);
  const means = new Float64Array(outer);
  const invStds = new Float64Array(outer);
  for (let r = 0; r < outer; r++) {
    const o = r * inner;
    const { mean, invStd } = moments(data, o, inner, epsilon);
    means[r] = mean;
    invStds[r] = invStd;
    for (let i = 0; i < inner; i++) {
      const shift = b ? b[biasAt![i]!]! : 0;
      out[o + i] = (data[o + i]! - mean) * invStd * s[scaleAt[i]!]! + shift;
    }
  }
  const statShape = X.shape.map((d, i) => (i < axis ? d : 1));
  return [floatResult(X.dtype, X.shape, out), floatResult(statType, statShape, means), floatResult(statType, statShape, invStds)];
}

/**
 * LRN: y = x / (bias + alpha/size * s)^beta with s the sum of x^2 over the channel window of lrnWindow (clipped
 * to the existing channels), per image and spatial position; in float64.
 */
export function lrnKernel([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const [alpha, beta, bias] = ['alpha', 'beta', 'bias'].map((a) => ctx.attr<number>(a)) as [number, number, number];
  const size = ctx.attr<number>('size');
  const { before, after } = lrnWindow(size);
  const batch = X.shape[0]!;
  const channels = X.shape[1]!;
  const vol = numel(X.shape.slice(2));
  const data = floatData(X);
  const out = new Float64Array(data.length);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const lo = Math.max(0, c - before);
      const hi = Math.min(channels - 1, c + after);
      const o = (n * channels + c) * vol;
      for (let i = 0; i < vol; i++) {
        let sum = 0;
        for (let k = lo; k <= hi; k++) {
          const v = data[(n * channels + k) * vol + i]!;
          sum += v * v;
        }
        out[o + i] = data[o + i]! / Math.pow(bias + (alpha / size) * sum, beta);
      }
    }
  }
  return [floatResult(X.dtype, X.shape, out)];
}
