import type { Node } from '../../../ir/index.js';
import { convTransposePlan, tapsOf, type ConvTransposePlan } from '../../shared/conv-transpose-geometry.js';
import { type CEmitContext, type RvvKernel } from '../kernel.js';
import { defineGemm, MAX_MR, packPanels } from './gemm-core.js';

/**
 * ConvTranspose (f32, 1 to 3 spatial axes, any strides, dilations, pads, output padding / shape and groups) as
 * a GEMM on the shared microkernel followed by a vectorized col2im scatter-add. Per image, group and block of
 * MB output channels:
 *   col[(m, t), p] = sum_c W[c, m, t] * X[c, p]          (t a kernel tap, p an input position; W is W^T already)
 *   Y[m, o(p, t)] += col[(m, t), p]                      (o = p * stride - padBegin + t * dilation, per axis)
 * The GEMM's A is the block's [MB*taps x Cg] slice of W seen transposed: packed into MR-row panels at compile
 * time for constant weights, read in place with strides (row stride 1, depth stride Mg*taps) otherwise; B is
 * the group's input planes as stored. col2im runs per tap over the input rows whose outputs land inside,
 * one LMUL=4 strip of input columns at a time (unit-stride, or strided by the width stride on the output side),
 * after the plane was filled with the bias. The col block lives in scratch, at most COL_BUDGET bytes (or one
 * channel), as the wasm kernel sizes it.
 */

const COL_BUDGET = 256 * 1024;

interface Blocking {
  plan: ConvTransposePlan;
  taps: number;
  /** Input positions per image, output positions per channel. */
  pixels: number;
  outPixels: number;
  /** Output channels per col block (a divisor of Mg), the block's GEMM rows, the microkernel's rows. */
  MB: number;
  rows: number;
  mr: number;
}

function blocking(node: Node): Blocking | string {
  const plan = convTransposePlan(node);
  if (typeof plan === 'string') return plan;
  const taps = tapsOf(plan);
  const pixels = plan.dims[0] * plan.dims[1] * plan.dims[2];
  let MB = 1;
  for (let d = 1; d <= plan.Mg; d++) if (plan.Mg % d === 0 && d * taps * pixels * 4 <= COL_BUDGET) MB = d;
  const rows = MB * taps;
  return { plan, taps, pixels, outPixels: plan.out[0] * plan.out[1] * plan.out[2], MB, rows, mr: Math.min(MAX_MR, rows) };
}

/** Every (group, block)'s [rows x Cg] slice of W^T packed into MR-row panels, one after another. */
function packedBlocks(w: ArrayLike<number>, b: Blocking): Float32Array {
  const { plan: p, taps, rows, mr, MB } = b;
  const blocks = p.Mg / MB;
  const panelFloats = Math.ceil(rows / mr) * p.Cg * mr;
  const out = new Float32Array(p.group * blocks * panelFloats);
  const slice = new Float32Array(rows * p.Cg);
  for (let g = 0; g < p.group; g++) {
    for (let blk = 0; blk < blocks; blk++) {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < p.Cg; c++) slice[r * p.Cg + c] = w[(g * p.Cg + c) * p.Mg * taps + blk * rows + r]!;
      }
      out.set(packPanels(slice, rows, p.Cg, mr), (g * blocks + blk) * panelFloats);
    }
  }
  return out;
}

const COL2IM = `
/* [lo, hi): the input positions i whose output i*S - P + k*D lies in [0, O). */
static inline void edgec_tap_range(long I, long S, long P, long D, long k, long O, long *lo, long *hi) {
  long off = k * D - P;
  long l = off >= 0 ? 0 : (-off + S - 1) / S;
  long h = O - 1 - off < 0 ? 0 : (O - 1 - off) / S + 1;
  if (h > I) h = I;
  *lo = l;
  *hi = h > l ? h : l;
}

/*
 * Y[m] = bias[m] (or 0), then every tap's col rows added at their output positions, for MB channels; g holds
 * D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW.
 */
static void edgec_col2im(const float *col, float *Y, const float *bias, long MB, const long *g) {
  long D = g[0], H = g[1], W = g[2], OD = g[3], OH = g[4], OW = g[5], KD = g[6], KH = g[7], KW = g[8];
  long SD = g[9], SH = g[10], SW = g[11], DD = g[12], DH = g[13], DW = g[14], PD = g[15], PH = g[16], PW = g[17];
  long pixels = D * H * W, outPixels = OD * OH * OW;
  for (long m = 0; m < MB; m++) {
    float *y = Y + m * outPixels;
    edgec_fill_f32(y, bias ? bias[m] : 0.0f, (size_t)outPixels);
    for (long kd = 0; kd < KD; kd++) {
      long d0, d1;
      edgec_tap_range(D, SD, PD, DD, kd, OD, &d0, &d1);
      for (long kh = 0; kh < KH; kh++) {
        long h0, h1;
        edgec_tap_range(H, SH, PH, DH, kh, OH, &h0, &h1);
        for (long kw = 0; kw < KW; kw++) {
          long w0, w1;
          edgec_tap_range(W, SW, PW, DW, kw, OW, &w0, &w1);
          const float *c = col + (((m * KD + kd) * KH + kh) * KW + kw) * pixels;
          for (long id = d0; id < d1; id++)
            for (long ih = h0; ih < h1; ih++) {
              const float *src = c + (id * H + ih) * W + w0;
              float *dst = y + ((id * SD - PD + kd * DD) * OH + ih * SH - PH + kh * DH) * OW + w0 * SW - PW + kw * DW;
              for (long j = 0; j < w1 - w0;) {
                size_t vl = VSET((size_t)(w1 - w0 - j));
                vf sum = __riscv_vfadd_vv_f32m4(edgec_vload(dst + j * SW, SW, vl), VLD(src + j, vl), vl);
                if (SW == 1) VST(dst + j, sum, vl);
                else __riscv_vsse32_v_f32m4(dst + j * SW, SW * 4, sum, vl);
                j += (long)vl;
              }
            }
        }
      }
    }
  }
}
`;

function emitConvTranspose(node: Node, ctx: CEmitContext): string {
  const b = blocking(node) as Blocking;
  const { plan: p, taps, pixels, outPixels, MB, rows, mr } = b;
  const [x, w, bias] = node.inputs;
  const constant = !!w!.data;
  const gemm = defineGemm(ctx, constant ? 'packed' : 'strided', mr);
  ctx.helper('edgec_col2im', () => COL2IM);
  const blocks = p.Mg / MB;
  const panelFloats = Math.ceil(rows / mr) * p.Cg * mr;
  const a = constant
    ? `${ctx.weightsF32(`conv-transpose-panels:${w!.name}:${p.group}:${MB}:${mr}`, packedBlocks(w!.data!.data as ArrayLike<number>, b))} + (grp * ${blocks} + blk) * ${panelFloats}`
    : `${ctx.ptr(w!)} + grp * ${p.Cg * p.Mg * taps} + blk * ${rows}`;
  const geometry = [...p.dims, ...p.out, ...p.kernel, ...p.strides, ...p.dilations, ...p.padBegin].join(', ');
  return [
    `static const long geometry[18] = {${geometry}};`,
    `const float *X = ${ctx.ptr(x!)};`,
    `float *Y = ${ctx.ptr(node.outputs[0]!)};`,
    `const float *bias = ${bias ? ctx.ptr(bias) : 'NULL'};`,
    `float *col = ${ctx.scratch(rows * pixels * 4)};`,
    `for (long n = 0; n < ${p.batch}; n++)`,
    `  for (long grp = 0; grp < ${p.group}; grp++)`,
    `    for (long blk = 0; blk < ${blocks}; blk++) {`,
    `      long m0 = grp * ${p.Mg} + blk * ${MB};`,
    `      ${gemm}(${rows}, ${pixels}, ${p.Cg}, ${a}, 1, ${p.Mg * taps}, X + (n * ${p.C} + grp * ${p.Cg}) * ${pixels}, ${pixels},`,
    `          col, ${pixels}, NULL, 0, NULL, 0, 0.0f, 0.0f);`,
    `      edgec_col2im(col, Y + (n * ${p.M} + m0) * ${outPixels}, bias ? bias + m0 : NULL, ${MB}, geometry);`,
    `    }`,
  ].join('\n');
}

export const convTransposeKernels: RvvKernel = {
  ops: ['ConvTranspose'],
  check(node) {
    for (const v of [...node.inputs, node.outputs[0]]) {
      if (v && v.type.dtype !== 'f32') return `only f32 is supported for ConvTranspose on rvv, %${v.name} is ${v.type.dtype}`;
    }
    return null;
  },
  checkDims(node) {
    const b = blocking(node);
    return typeof b === 'string' ? b : null;
  },
  scratchBytes(node) {
    const b = blocking(node) as Blocking;
    return b.rows * b.pixels * 4;
  },
  emit: emitConvTranspose,
};
