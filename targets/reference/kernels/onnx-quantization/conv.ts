import { EdgecError, numel, type Tensor } from '../../../../ir/index.js';
import { convAttrsOf, convGeometry, type ConvGeometry } from '../../../../ir/ops/onnx-quantization.js';
import type { KernelContext } from '../registry.js';
import { toInt32 } from './numeric.js';

/**
 * Exact integer N-D convolution shared by QLinearConv and ConvInteger. Zero points are subtracted before the
 * convolution, so padding contributes zero (i.e. pads with the zero point, as ONNX Runtime does).
 */

export interface IntegerConvResult {
  /** int32 accumulators [N, M, out...]; stores into Int32Array wrap as 32-bit accumulation does. */
  acc: Int32Array;
  shape: number[];
}

/** The resolved geometry of a conv node for concrete operand shapes. */
export function convGeometryOf(ctx: KernelContext, x: Tensor, w: Tensor): ConvGeometry {
  const g = convGeometry(x.shape, w.shape, convAttrsOf((name) => ctx.attr(name)));
  if (typeof g === 'string') throw new EdgecError('RUNTIME', g, { node: ctx.node.label, op: ctx.node.op });
  return g;
}

/** x - zero point (zero point scalar). */
export function shiftedInput(x: Tensor, zeroPoint: Tensor | null): Int32Array {
  const xs = Int32Array.from(toInt32(x));
  const zp = zeroPoint ? toInt32(zeroPoint)[0]! : 0;
  if (zp !== 0) for (let i = 0; i < xs.length; i++) xs[i] -= zp;
  return xs;
}

/** w - zero point, the zero point scalar or one per output channel (w's first axis). */
export function shiftedWeight(w: Tensor, zeroPoint: Tensor | null): Int32Array {
  const ws = Int32Array.from(toInt32(w));
  if (!zeroPoint) return ws;
  const zps = toInt32(zeroPoint);
  const perChannel = numel(w.shape.slice(1));
  for (let i = 0; i < ws.length; i++) ws[i] -= zps.length > 1 ? zps[Math.floor(i / perChannel)]! : zps[0]!;
  return ws;
}

/**
 * For every (kernel position, output position) pair the flat spatial input index it reads, or -1 where the
 * window hangs over the padding. Laid out [kernel][output] so the innermost loop walks output positions.
 */
function windowTable(inSpatial: readonly number[], outSpatial: readonly number[], g: ConvGeometry): Int32Array {
  const n = inSpatial.length;
  const kernelSize = numel(g.kernel);
  const outSize = numel(outSpatial);
  // Per axis: input coordinate for (kernel coord k, output coord o), or -1 in the padding.
  const axisIndex = inSpatial.map((size, a) => {
    const k = g.kernel[a]!;
    const o = outSpatial[a]!;
    const table = new Int32Array(k * o);
    for (let kc = 0; kc < k; kc++) {
      for (let oc = 0; oc < o; oc++) {
        const c = oc * g.strides[a]! - g.pads[a]! + kc * g.dilations[a]!;
        table[kc * o + oc] = c >= 0 && c < size ? c : -1;
      }
    }
    return table;
  });
  const table = new Int32Array(kernelSize * outSize);
  const kc = new Array<number>(n).fill(0);
  const oc = new Array<number>(n).fill(0);
  for (let kp = 0; kp < kernelSize; kp++) {
    oc.fill(0);
    for (let op = 0; op < outSize; op++) {
      let flat = 0;
      for (let a = 0; a < n; a++) {
        const c = axisIndex[a]![kc[a]! * outSpatial[a]! + oc[a]!]!;
        if (c < 0) {
          flat = -1;
          break;
        }
        flat = flat * inSpatial[a]! + c;
      }
      table[kp * outSize + op] = flat;
      for (let a = n - 1; a >= 0 && ++oc[a]! === outSpatial[a]!; a--) oc[a] = 0;
    }
    for (let a = n - 1; a >= 0 && ++kc[a]! === g.kernel[a]!; a--) kc[a] = 0;
  }
  return table;
}

/** Grouped N-D convolution of zero-point-shifted x [N, C, in...] and w [M, C/group, k...], plus an optional bias. */
export function integerConv(
  x: Int32Array,
  xShape: readonly number[],
  w: Int32Array,
  wShape: readonly number[],
  g: ConvGeometry,
  group: number,
  bias?: Int32Array,
): IntegerConvResult {
  const [batch, channels] = [xShape[0]!, xShape[1]!];
  const outChannels = wShape[0]!;
  const channelsPerGroup = channels / group;
  const outPerGroup = outChannels / group;
  const inSpatial = xShape.slice(2);
  const outSpatial = g.outShape.slice(2) as number[];
  const inSize = numel(inSpatial);
  const outSize = numel(outSpatial);
  const kernelSize = numel(g.kernel);
  const table = windowTable(inSpatial, outSpatial, g);
  const acc = new Int32Array(batch * outChannels * outSize);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < outChannels; m++) {
      const group_ = Math.floor(m / outPerGroup);
      const outBase = (b * outChannels + m) * outSize;
      const row = acc.subarray(outBase, outBase + outSize);
      if (bias) row.fill(bias[m]!);
      for (let c = 0; c < channelsPerGroup; c++) {
        const xBase = (b * channels + group_ * channelsPerGroup + c) * inSize;
        const wBase = (m * channelsPerGroup + c) * kernelSize;
        for (let kp = 0; kp < kernelSize; kp++) {
          const wv = w[wBase + kp]!;
          if (wv === 0) continue;
          const tBase = kp * outSize;
          for (let o = 0; o < outSize; o++) {
            const idx = table[tBase + o]!;
            if (idx >= 0) row[o] += wv * x[xBase + idx]!;
          }
        }
      }
    }
  }
  return { acc, shape: g.outShape as number[] };
}
