import { allocArray, type Tensor } from '../../../../ir/index.js';
import { windowGeometry, windowOutputDim, type WindowGeometry } from '../../../../ir/ops/nn.js';
import type { KernelContext } from '../registry.js';
import { floatData, floatResult, pads3d, to3d } from './common.js';

/**
 * MaxPool, AveragePool and the global pools. Windows are walked per output position in a 3-D loop nest
 * (1-D and 2-D pools get leading size-1 axes); padding never contributes a value.
 */

interface PoolPlan {
  g: WindowGeometry;
  outShape: number[];
  planes: number;
  inDims: [number, number, number];
  outDims: [number, number, number];
  kernel: [number, number, number];
  strides: [number, number, number];
  dilations: [number, number, number];
  padBegin: [number, number, number];
  padEnd: [number, number, number];
}

function planPool(X: Tensor, ctx: KernelContext): PoolPlan {
  const spatial = X.shape.slice(2);
  if (spatial.length > 3) ctx.fail(`${ctx.node.op} with ${spatial.length} spatial dims is not supported by the reference kernel (at most 3)`);
  const g = windowGeometry(ctx, spatial, ctx.fail);
  const ceil = ctx.attr<number>('ceil_mode') !== 0;
  const outSpatial = spatial.map((d, i) => windowOutputDim(d, g, i, ceil, ctx.fail) as number);
  const { begin, end } = pads3d(g.pads);
  return {
    g,
    outShape: [X.shape[0]!, X.shape[1]!, ...outSpatial],
    planes: X.shape[0]! * X.shape[1]!,
    inDims: to3d(spatial, 1),
    outDims: to3d(outSpatial, 1),
    kernel: to3d(g.kernel, 1),
    strides: to3d(g.strides, 1),
    dilations: to3d(g.dilations, 1),
    padBegin: begin,
    padEnd: end,
  };
}

export function maxPoolKernel([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const p = planPool(X, ctx);
  const [D, H, W] = p.inDims;
  const [OD, OH, OW] = p.outDims;
  const [KD, KH, KW] = p.kernel;
  const [SD, SH, SW] = p.strides;
  const [DD, DH, DW] = p.dilations;
  const [PD, PH, PW] = p.padBegin;
  const columnMajor = ctx.attr<number>('storage_order') === 1;
  const inVol = D * H * W;
  const outVol = OD * OH * OW;
  const data = floatData(X);
  const values = new Float64Array(p.planes * outVol);
  const indices = new Float64Array(p.planes * outVol);
  for (let plane = 0; plane < p.planes; plane++) {
    const base = plane * inVol;
    let o = plane * outVol;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) {
          let best = -Infinity;
          let bestAt = -1;
          for (let kd = 0; kd < KD; kd++) {
            const id = od * SD - PD + kd * DD;
            if (id < 0 || id >= D) continue;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - PH + kh * DH;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - PW + kw * DW;
                if (iw < 0 || iw >= W) continue;
                const at = (id * H + ih) * W + iw;
                const v = data[base + at]!;
                if (v > best || bestAt < 0) {
                  best = v;
                  bestAt = columnMajor ? id + ih * D + iw * D * H : at;
                }
              }
            }
          }
          values[o] = best;
          // Indices are flat positions in the whole input tensor, batch and channel included.
          indices[o] = base + bestAt;
        }
      }
    }
  }
  const y = floatResult(X.dtype, p.outShape, values);
  if (ctx.node.outputs.length < 2) return [y];
  const idx = allocArray('i64', indices.length) as BigInt64Array;
  for (let i = 0; i < indices.length; i++) idx[i] = BigInt(indices[i]!);
  return [y, { dtype: 'i64', shape: p.outShape, data: idx }];
}

export function averagePoolKernel([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const p = planPool(X, ctx);
  const [D, H, W] = p.inDims;
  const [OD, OH, OW] = p.outDims;
  const [KD, KH, KW] = p.kernel;
  const [SD, SH, SW] = p.strides;
  const [DD, DH, DW] = p.dilations;
  const [PD, PH, PW] = p.padBegin;
  const [ED, EH, EW] = p.padEnd;
  const includePad = ctx.attr<number>('count_include_pad') !== 0;
  const inVol = D * H * W;
  const outVol = OD * OH * OW;
  const data = floatData(X);
  const values = new Float64Array(p.planes * outVol);
  // How many taps of a window starting at `start` fall in [lo, hi) along one axis: the divisor is a product.
  const taps = (start: number, k: number, dil: number, lo: number, hi: number): number => {
    let n = 0;
    for (let i = 0; i < k; i++) {
      const at = start + i * dil;
      if (at >= lo && at < hi) n++;
    }
    return n;
  };
  for (let plane = 0; plane < p.planes; plane++) {
    const base = plane * inVol;
    let o = plane * outVol;
    for (let od = 0; od < OD; od++) {
      const d0 = od * SD - PD;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * SH - PH;
        for (let ow = 0; ow < OW; ow++, o++) {
          const w0 = ow * SW - PW;
          let sum = 0;
          for (let kd = 0; kd < KD; kd++) {
            const id = d0 + kd * DD;
            if (id < 0 || id >= D) continue;
            for (let kh = 0; kh < KH; kh++) {
              const ih = h0 + kh * DH;
              if (ih < 0 || ih >= H) continue;
              const row = base + (id * H + ih) * W;
              for (let kw = 0; kw < KW; kw++) {
                const iw = w0 + kw * DW;
                if (iw >= 0 && iw < W) sum += data[row + iw]!;
              }
            }
          }
          // With count_include_pad the divisor counts taps inside the padded input (not beyond it, where
          // ceil_mode windows may reach); without it only taps inside the input.
          const count = includePad
            ? taps(d0, KD, DD, -PD, D + ED) * taps(h0, KH, DH, -PH, H + EH) * taps(w0, KW, DW, -PW, W + EW)
            : taps(d0, KD, DD, 0, D) * taps(h0, KH, DH, 0, H) * taps(w0, KW, DW, 0, W);
          values[o] = count > 0 ? sum / count : 0;
        }
      }
    }
  }
  return [floatResult(X.dtype, p.outShape, values)];
}

function globalPool(X: Tensor, reduce: 'mean' | 'max'): Tensor {
  const planes = X.shape[0]! * X.shape[1]!;
  const vol = X.shape.slice(2).reduce((a, b) => a * b, 1);
  const data = floatData(X);
  const values = new Float64Array(planes);
  for (let p = 0; p < planes; p++) {
    const base = p * vol;
    if (reduce === 'mean') {
      let sum = 0;
      for (let i = 0; i < vol; i++) sum += data[base + i]!;
      values[p] = sum / vol;
    } else {
      let best = -Infinity;
      for (let i = 0; i < vol; i++) if (data[base + i]! > best) best = data[base + i]!;
      values[p] = best;
    }
  }
  return floatResult(X.dtype, [X.shape[0]!, X.shape[1]!, ...X.shape.slice(2).map(() => 1)], values);
}

export const globalAveragePoolKernel = ([x]: readonly (Tensor | null)[]): Tensor[] => [globalPool(x!, 'mean')];
export const globalMaxPoolKernel = ([x]: readonly (Tensor | null)[]): Tensor[] => [globalPool(x!, 'max')];
