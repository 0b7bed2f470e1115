import type { Node } from '../../../ir/index.js';
import type { ConvGeometry } from '../../shared/conv-geometry.js';
import type { CEmitContext } from '../kernel.js';
import { activationArgs } from './gemm-core.js';

export const paddedH = (g: ConvGeometry): number => g.H + g.PT + g.PB;
export const paddedW = (g: ConvGeometry): number => g.W + g.PL + g.PR;

/**
 * Depthwise conv (one input channel per group, any channel multiplier): per output channel and output row,
 * one LMUL=4 vector of output columns accumulates KH*KW taps with vfmacc.vf, each tap a unit-stride or
 * strided load from the channel's zero-padded plane (copied into scratch once per channel when the conv pads).
 */
export function emitDepthwise(node: Node, g: ConvGeometry, ctx: CEmitContext): string {
  const [x, w, b, z] = node.inputs;
  ctx.helper('edgec_depthwise', () => DEPTHWISE);
  const padded = g.PT + g.PL + g.PB + g.PR > 0;
  const plane = padded ? ctx.scratch(paddedH(g) * paddedW(g) * 4) : 'NULL';
  return [
    `for (long n = 0; n < ${g.batch}; n++)`,
    `  edgec_depthwise(${ctx.ptr(x!)} + n * ${g.C * g.H * g.W}, ${ctx.ptr(w!)}, ${b ? ctx.ptr(b) : 'NULL'},`,
    `      ${z ? `${ctx.ptr(z)} + n * ${g.M * g.OH * g.OW}` : 'NULL'}, ${ctx.ptr(node.outputs[0]!)} + n * ${g.M * g.OH * g.OW},`,
    `      ${g.C}, ${g.H}, ${g.W}, ${g.Mg}, ${g.OH}, ${g.OW}, ${g.KH}, ${g.KW}, ${g.SH}, ${g.SW}, ${g.DH}, ${g.DW},`,
    `      ${g.PT}, ${g.PL}, ${padded ? paddedH(g) : g.H}, ${padded ? paddedW(g) : g.W}, ${plane}, ${activationArgs(node)});`,
  ].join('\n');
}

const DEPTHWISE = `
static void edgec_depthwise(const float *X, const float *Wt, const float *bias, const float *Z, float *Y,
                            long C, long H, long W, long Mg, long OH, long OW, long KH, long KW, long SH, long SW,
                            long DH, long DW, long PT, long PL, long PH, long PW, float *plane, int act, float p0, float p1) {
  for (long c = 0; c < C; c++) {
    const float *P = X + c * H * W;
    if (plane) {
      edgec_pad_planes(plane, P, 1, H, W, PT, PL, PH, PW, 0.0f);
      P = plane;
    }
    for (long j = 0; j < Mg; j++) {
      long m = c * Mg + j;
      const float *w = Wt + m * KH * KW;
      float b = bias ? bias[m] : 0.0f;
      for (long oh = 0; oh < OH; oh++) {
        const float *row = P + oh * SH * PW;
        float *out = Y + (m * OH + oh) * OW;
        const float *zrow = Z ? Z + (m * OH + oh) * OW : 0;
        for (long ow = 0; ow < OW;) {
          size_t vl = VSET((size_t)(OW - ow));
          vf acc = VSPLAT(b, vl);
          for (long kh = 0; kh < KH; kh++)
            for (long kw = 0; kw < KW; kw++)
              acc = __riscv_vfmacc_vf_f32m4(acc, w[kh * KW + kw], edgec_vload(row + kh * DH * PW + ow * SW + kw * DW, SW, vl), vl);
          if (zrow) acc = __riscv_vfadd_vv_f32m4(acc, VLD(zrow + ow, vl), vl);
          VST(out + ow, edgec_act(acc, act, p0, p1, vl), vl);
          ow += (long)vl;
        }
      }
    }
  }
}
`;
