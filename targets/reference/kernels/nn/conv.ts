import type { Tensor } from '../../../../ir/index.js';
import { convTransposeGeometry, windowGeometry, windowOutputDim } from '../../../../ir/ops/nn.js';
import type { KernelContext } from '../registry.js';
import { floatData, floatResult, pads3d, to3d, type FloatArray } from './common.js';
import { gemmAccumulate } from './gemm.js';

/**
 * Conv as im2col + GEMM per (batch, group): the window gather makes every convolution one matrix product
 * W[M/g, C/g·kvol] · cols[C/g·kvol, outVol], whose inner loop runs over long contiguous output rows.
 * 1-D and 2-D convolutions run as 3-D ones with leading size-1 axes.
 */
export function convKernel([x, w, b]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const W = w!;
  const spatialRank = X.shape.length - 2;
  if (spatialRank > 3) ctx.fail(`Conv with ${spatialRank} spatial dims is not supported by the reference kernel (at most 3)`);
  const group = ctx.attr<number>('group');
  const [batch, channels] = [X.shape[0]!, X.shape[1]!];
  const outChannels = W.shape[0]!;
  const g = windowGeometry(ctx, X.shape.slice(2), ctx.fail, W.shape.slice(2));
  const outSpatial = X.shape.slice(2).map((d, i) => windowOutputDim(d, g, i, false, ctx.fail) as number);

  const [D, H, Wd] = to3d(X.shape.slice(2), 1);
  const [OD, OH, OW] = to3d(outSpatial, 1);
  const [KD, KH, KW] = to3d(g.kernel, 1);
  const [SD, SH, SW] = to3d(g.strides, 1);
  const [DD, DH, DW] = to3d(g.dilations, 1);
  const { begin } = pads3d(g.pads);
  const [PD, PH, PW] = begin;

  const cg = channels / group;
  const mg = outChannels / group;
  const kvol = KD * KH * KW;
  const inVol = D * H * Wd;
  const outVol = OD * OH * OW;
  const xData = floatData(X);
  const wData = floatData(W);
  const out = new Float64Array(batch * outChannels * outVol);

  // A 1×1 kernel with unit strides and no padding reads the input planes as they are.
  const pointwise = kvol === 1 && SD * SH * SW === 1 && g.pads.every((p) => p === 0);
  const cols = pointwise ? xData : new (xData instanceof Float32Array ? Float32Array : Float64Array)(cg * kvol * outVol);

  for (let n = 0; n < batch; n++) {
    for (let grp = 0; grp < group; grp++) {
      const xOff = (n * channels + grp * cg) * inVol;
      let colOff = xOff;
      if (!pointwise) {
        colOff = 0;
        im2col(xData, xOff, cg, [D, H, Wd], [OD, OH, OW], [KD, KH, KW], [SD, SH, SW], [DD, DH, DW], [PD, PH, PW], cols);
      }
      gemmAccumulate(mg, cg * kvol, outVol, wData, grp * mg * cg * kvol, cols, colOff, out, (n * outChannels + grp * mg) * outVol);
    }
  }
  if (b) addChannelBias(out, floatData(b), batch, outChannels, outVol);
  return [floatResult(X.dtype, [batch, outChannels, ...outSpatial], out)];
}

type Triple = readonly [number, number, number];

/** Gathers every kernel tap of `channels` input planes into rows of cols[c·kvol + tap][outVol] (0 in padding). */
function im2col(
  x: FloatArray,
  xOff: number,
  channels: number,
  [D, H, W]: Triple,
  [OD, OH, OW]: Triple,
  [KD, KH, KW]: Triple,
  [SD, SH, SW]: Triple,
  [DD, DH, DW]: Triple,
  [PD, PH, PW]: Triple,
  cols: FloatArray,
): void {
  const outVol = OD * OH * OW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * D * H * W;
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++, row++) {
          const dst = row * outVol;
          // The output columns whose input column lies inside the image, so the inner loop needs no test.
          const [owLo, owHi] = validRange(OW, SW, kw * DW - PW, W);
          for (let od = 0; od < OD; od++) {
            const id = od * SD - PD + kd * DD;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * SH - PH + kh * DH;
              const o = dst + (od * OH + oh) * OW;
              if (id < 0 || id >= D || ih < 0 || ih >= H) {
                cols.fill(0, o, o + OW);
                continue;
              }
              const src = plane + (id * H + ih) * W + kw * DW - PW;
              for (let ow = 0; ow < owLo; ow++) cols[o + ow] = 0;
              for (let ow = owLo; ow < owHi; ow++) cols[o + ow] = x[src + ow * SW]!;
              for (let ow = owHi; ow < OW; ow++) cols[o + ow] = 0;
            }
          }
        }
      }
    }
  }
}

/** [lo, hi): output positions o in [0, outSize) with 0 <= o*stride + offset < inSize. */
export function validRange(outSize: number, stride: number, offset: number, inSize: number): [number, number] {
  const lo = Math.min(outSize, Math.max(0, Math.ceil(-offset / stride)));
  const hi = Math.max(lo, Math.min(outSize, Math.ceil((inSize - offset) / stride)));
  return [lo, hi];
}

function addChannelBias(out: Float64Array, bias: FloatArray, batch: number, channels: number, vol: number): void {
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const v = bias[c]!;
      const o = (n * channels + c) * vol;
      for (let i = 0; i < vol; i++) out[o + i] += v;
    }
  }
}

/**
 * ConvTranspose as a scatter: every input element adds x·w to each output position its kernel taps reach.
 * W is [C, M/group, k...].
 */
export function convTransposeKernel([x, w, b]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const X = x!;
  const W = w!;
  const spatialRank = X.shape.length - 2;
  if (spatialRank > 3) ctx.fail(`ConvTranspose with ${spatialRank} spatial dims is not supported by the reference kernel (at most 3)`);
  const group = ctx.attr<number>('group');
  const [batch, channels] = [X.shape[0]!, X.shape[1]!];
  const cg = channels / group;
  const mg = W.shape[1]!;
  const outChannels = mg * group;
  const g = convTransposeGeometry(ctx, X.shape.slice(2), W.shape.slice(2), ctx.fail);
  const outSpatial = g.output as number[];

  const [D, H, Wd] = to3d(X.shape.slice(2), 1);
  const [OD, OH, OW] = to3d(outSpatial, 1);
  const [KD, KH, KW] = to3d(g.kernel, 1);
  const [SD, SH, SW] = to3d(g.strides, 1);
  const [DD, DH, DW] = to3d(g.dilations, 1);
  const [PD, PH, PW] = pads3d(g.pads).begin;
  const kvol = KD * KH * KW;
  const inVol = D * H * Wd;
  const outVol = OD * OH * OW;
  const xData = floatData(X);
  const wData = floatData(W);
  const out = new Float64Array(batch * outChannels * outVol);

  for (let n = 0; n < batch; n++) {
    for (let grp = 0; grp < group; grp++) {
      for (let c = 0; c < cg; c++) {
        const ic = grp * cg + c;
        const xPlane = (n * channels + ic) * inVol;
        for (let m = 0; m < mg; m++) {
          const oPlane = (n * outChannels + grp * mg + m) * outVol;
          const wBase = (ic * mg + m) * kvol;
          for (let kd = 0; kd < KD; kd++) {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const wv = wData[wBase + (kd * KH + kh) * KW + kw]!;
                if (wv === 0) continue;
                // Input columns whose output column iw*SW - PW + kw*DW lands inside the output.
                const [iwLo, iwHi] = validRange(Wd, SW, kw * DW - PW, OW);
                for (let id = 0; id < D; id++) {
                  const od = id * SD - PD + kd * DD;
                  if (od < 0 || od >= OD) continue;
                  for (let ih = 0; ih < H; ih++) {
                    const oh = ih * SH - PH + kh * DH;
                    if (oh < 0 || oh >= OH) continue;
                    const src = xPlane + (id * H + ih) * Wd;
                    const dst = oPlane + (od * OH + oh) * OW + kw * DW - PW;
                    for (let iw = iwLo; iw < iwHi; iw++) out[dst + iw * SW] += wv * xData[src + iw]!;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  if (b) addChannelBias(out, floatData(b), batch, outChannels, outVol);
  return [floatResult(X.dtype, [batch, outChannels, ...outSpatial], out)];
}

