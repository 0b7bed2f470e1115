import type { Node } from '../../../ir/index.js';
import { isSingleTapAxis, resizeConstantsProblem, resizePlanePlan, type AxisTaps, type ResizePlanePlan } from '../../../ir/ops/resize-taps.js';
import { planKey } from '../../shared/plan-key.js';
import { checkF32, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Resize of 4-D NCHW f32 over H and W, every mode (nearest with each nearest_mode, linear, cubic, antialias,
 * exclude_outside) and coordinate transformation (tf_crop_and_resize with its extrapolation value), as the wasm
 * kernel runs it. Every mode is separable and the shapes are static, so each axis's taps (source indices and
 * weights, ir/ops/resize-taps.ts, the reference's own) become tables in the weights blob:
 *
 *   row[w]    = rowBias[oh] + sum_k rowW[oh, k] * X[rowSrc[oh, k] + w]          (vle32 + vfmacc.vf along W)
 *   Y[oh, ow] = colBias[ow] + sum_k colW[k, ow] * row[colIdx[k, ow]]           (vluxei32 gather + vfmacc.vv along OW)
 *
 * The biases hold extrapolation_value where tf_crop_and_resize maps an index outside the input (whose weights are
 * 0), and are left out when no index is. A single tap of weight 1 (nearest) skips the multiply: the row pass
 * then reads the input row in place, and the column pass is one gather per output vector.
 */

interface Tables {
  rowSrc: Int32Array;
  rowW: Float32Array | null;
  rowBias: Float32Array | null;
  colOff: Uint32Array;
  colW: Float32Array | null;
  colBias: Float32Array | null;
}

/** Per output index, in [o * count + k] order (rows) or [k * outLen + o] order (columns, one vector per tap). */
function axisTables(t: AxisTaps, extrapolation: number, unit: number, tapMajor: boolean) {
  const { outLen, count, index, weight, outside } = t;
  const at = (o: number, k: number) => (tapMajor ? k * outLen + o : o * count + k);
  const offsets = new Int32Array(outLen * count);
  const weights = new Float32Array(outLen * count);
  for (let o = 0; o < outLen; o++) {
    for (let k = 0; k < count; k++) {
      offsets[at(o, k)] = outside[o] ? 0 : index[o * count + k]! * unit;
      weights[at(o, k)] = outside[o] ? 0 : weight[o * count + k]!;
    }
  }
  const bias = outside.some((x) => x !== 0) ? Float32Array.from(outside, (x) => (x ? extrapolation : 0)) : null;
  return { offsets, weights: isSingleTapAxis(t) ? null : weights, bias };
}

function tablesOf(p: ResizePlanePlan): Tables {
  const rows = axisTables(p.rows, p.extrapolation, p.W, false);
  const cols = axisTables(p.cols, p.extrapolation, 4, true);
  return { rowSrc: rows.offsets, rowW: rows.weights, rowBias: rows.bias, colOff: new Uint32Array(cols.offsets.buffer), colW: cols.weights, colBias: cols.bias };
}

const RESIZE = `
/*
 * Separable resize of planes x H x W into planes x OH x OW. rowW == NULL: each output row is input row rowSrc[oh]
 * (one tap of weight 1); else row pass into 'row' (W floats). colW == NULL: one gather per output vector.
 * rowBias / colBias (NULL when absent) add the extrapolation value. colOff: byte offsets, tap-major.
 */
static void edgec_resize(const float *X, float *Y, long planes, long H, long W, long OH, long OW,
                         long rc, const int32_t *rowSrc, const float *rowW, const float *rowBias,
                         long cc, const uint32_t *colOff, const float *colW, const float *colBias, float *row) {
  for (long p = 0; p < planes; p++) {
    const float *x = X + p * H * W;
    float *y = Y + p * OH * OW;
    for (long oh = 0; oh < OH; oh++) {
      const float *src = x + rowSrc[oh * rc];
      if (rowW) {
        const int32_t *rs = rowSrc + oh * rc;
        const float *rw = rowW + oh * rc;
        for (long w = 0; w < W;) {
          size_t vl = VSET((size_t)(W - w));
          vf acc = __riscv_vfmul_vf_f32m4(VLD(x + rs[0] + w, vl), rw[0], vl);
          for (long k = 1; k < rc; k++) acc = __riscv_vfmacc_vf_f32m4(acc, rw[k], VLD(x + rs[k] + w, vl), vl);
          if (rowBias) acc = __riscv_vfadd_vf_f32m4(acc, rowBias[oh], vl);
          VST(row + w, acc, vl);
          w += (long)vl;
        }
        src = row;
      }
      float *out = y + oh * OW;
      for (long ow = 0; ow < OW;) {
        size_t vl = VSET((size_t)(OW - ow));
        vf acc = __riscv_vluxei32_v_f32m4(src, __riscv_vle32_v_u32m4(colOff + ow, vl), vl);
        if (colW) {
          acc = __riscv_vfmul_vv_f32m4(acc, VLD(colW + ow, vl), vl);
          for (long k = 1; k < cc; k++) {
            vf v = __riscv_vluxei32_v_f32m4(src, __riscv_vle32_v_u32m4(colOff + k * OW + ow, vl), vl);
            acc = __riscv_vfmacc_vv_f32m4(acc, VLD(colW + k * OW + ow, vl), v, vl);
          }
        }
        if (colBias) acc = __riscv_vfadd_vv_f32m4(acc, VLD(colBias + ow, vl), vl);
        VST(out + ow, acc, vl);
        ow += (long)vl;
      }
    }
  }
}
`;

const planOf = (node: Node) => resizePlanePlan(node) as ResizePlanePlan;

function emitResize(node: Node, ctx: CEmitContext): string {
  const p = planOf(node);
  const t = tablesOf(p);
  ctx.helper('edgec_resize', () => RESIZE);
  const f32 = (kind: string, data: Float32Array | null) => (data ? ctx.weightsF32(planKey(kind, data), data) : 'NULL');
  const bytes = (kind: string, data: Int32Array | Uint32Array) => ctx.weightsBytes(planKey(kind, data), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const args = [
    ctx.ptr(node.inputs[0]!),
    ctx.ptr(node.outputs[0]!),
    p.planes,
    p.H,
    p.W,
    p.OH,
    p.OW,
    p.rows.count,
    `(const int32_t *)${bytes('resize-row-src', t.rowSrc)}`,
    f32('resize-row-weights', t.rowW),
    f32('resize-row-bias', t.rowBias),
    p.cols.count,
    `(const uint32_t *)${bytes('resize-col-offsets', t.colOff)}`,
    f32('resize-col-weights', t.colW),
    f32('resize-col-bias', t.colBias),
    t.rowW ? ctx.scratch(p.W * 4) : 'NULL',
  ];
  return `edgec_resize(${args.join(', ')});`;
}

export const resizeKernels: RvvKernel = {
  ops: ['Resize'],
  check: (node) => checkF32(node) ?? resizeConstantsProblem(node),
  checkDims(node) {
    const p = resizePlanePlan(node);
    return typeof p === 'string' ? p : null;
  },
  scratchBytes: (node) => planOf(node).W * 4,
  emit: emitResize,
};
