import { numel, type Tensor } from '../../../../ir/index.js';
import { resizeAxes, resizeTargets } from '../../../../ir/ops/nn.js';
import type { KernelContext } from '../registry.js';
import { resizeTaps, type AxisPlan, type AxisTaps } from '../../../../ir/ops/resize-taps.js';
import { floatData, floatResult } from './common.js';

/**
 * Resize, following the ONNX reference implementation. Every mode is separable, so the tensor is resized one
 * axis at a time: each output index along an axis is a weighted sum of a few input indices (its "taps"),
 * or the extrapolation value when tf_crop_and_resize maps it outside the input.
 */

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
    const taps = resizeTaps(ctx.attr, plan);
    data = resampleAxis(data, numel(shape.slice(0, ax)), plan.inLen, numel(shape.slice(ax + 1)), taps, extrapolation);
    shape = shape.map((d, j) => (j === ax ? plan.outLen : d));
  });
  return [floatResult(X.dtype, shape, data)];
}
