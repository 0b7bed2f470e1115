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
 *   T[oh, w]  = rowBias[oh] + sum_k rowW[oh, k] * X[rowSrc[oh, k] + w]          (vle32 + vfmacc.vf along W, LMUL 8)
 *   Y[oh, ow] = colBias[ow] + sum_k colW[k, ow] * T[oh, colIdx[k, ow]]          (vluxei32 gather + vfmacc.vv along OW)
 *
 * The biases hold extrapolation_value where tf_crop_and_resize maps an index outside the input (whose weights are
 * 0), and are left out when no index is. A single tap of weight 1 (nearest) skips the multiply: T is then the
 * input row itself. Rows go in blocks of up to BLOCK_ROWS: the row pass fills the block's T rows in scratch, then
 * each vector of output columns loads its gather offsets and weights once and applies them to every row of the
 * block. The helper is generated per tap structure (counts unrolled, absent tables left out), with LMUL chosen so
 * the hoisted column vectors stay in registers.
 */

const BLOCK_ROWS = 32;

/** The structure a helper is generated for (the dims are arguments). */
interface ResizeShape {
  rowTaps: number;
  rowWeighted: boolean;
  rowBias: boolean;
  colTaps: number;
  colWeighted: boolean;
  colBias: boolean;
}

/** LMUL of the column pass: its offsets, weights, bias, accumulator and one gathered vector in 32 registers. */
function columnLmul(s: ResizeShape): number {
  const groups = s.colTaps * (s.colWeighted ? 2 : 1) + (s.colBias ? 1 : 0) + 2;
  return groups <= 8 ? 4 : groups <= 16 ? 2 : 1;
}

function resizeSource(name: string, s: ResizeShape): string {
  const L = columnLmul(s);
  const [vf, vu, f] = [`vfloat32m${L}_t`, `vuint32m${L}_t`, `f32m${L}`];
  const taps = (n: number, line: (k: number) => string) => Array.from({ length: n }, (_, k) => line(k)).join('\n');
  const rowPass = s.rowWeighted
    ? `      for (long r = 0; r < rows; r++) {
        const int32_t *rs = rowSrc + (oh0 + r) * ${s.rowTaps};
        const float *rw = rowW + (oh0 + r) * ${s.rowTaps};
        float *t = T + r * W;
        for (long w = 0; w < W;) {
          size_t vl = __riscv_vsetvl_e32m8((size_t)(W - w));
          vfloat32m8_t acc = __riscv_vfmul_vf_f32m8(__riscv_vle32_v_f32m8(x + rs[0] + w, vl), rw[0], vl);
${taps(s.rowTaps - 1, (k) => `          acc = __riscv_vfmacc_vf_f32m8(acc, rw[${k + 1}], __riscv_vle32_v_f32m8(x + rs[${k + 1}] + w, vl), vl);`)}
${s.rowBias ? '          acc = __riscv_vfadd_vf_f32m8(acc, rowBias[oh0 + r], vl);' : ''}
          __riscv_vse32_v_f32m8(t + w, acc, vl);
          w += (long)vl;
        }
      }`
    : '';
  const gather = (k: number) => `__riscv_vluxei32_v_${f}(src, i${k}, vl)`;
  const column = s.colWeighted
    ? [`${vf} acc = __riscv_vfmul_vv_${f}(${gather(0)}, w0, vl);`, ...Array.from({ length: s.colTaps - 1 }, (_, k) => `acc = __riscv_vfmacc_vv_${f}(acc, w${k + 1}, ${gather(k + 1)}, vl);`)]
    : [`${vf} acc = ${gather(0)};`];
  if (s.colBias) column.push(`acc = __riscv_vfadd_vv_${f}(acc, cb, vl);`);
  const code = `static void ${name}(const float *X, float *Y, long planes, long H, long W, long OH, long OW, const int32_t *rowSrc,
    const float *rowW, const float *rowBias, const uint32_t *colOff, const float *colW, const float *colBias, float *T) {
  (void)rowW; (void)rowBias; (void)colW; (void)colBias; (void)T;
  for (long p = 0; p < planes; p++) {
    const float *x = X + p * H * W;
    float *y = Y + p * OH * OW;
    for (long oh0 = 0; oh0 < OH; oh0 += ${BLOCK_ROWS}) {
      long rows = OH - oh0 < ${BLOCK_ROWS} ? OH - oh0 : ${BLOCK_ROWS};
${rowPass}
      for (long ow = 0; ow < OW;) {
        size_t vl = __riscv_vsetvl_e32m${L}((size_t)(OW - ow));
${taps(s.colTaps, (k) => `        ${vu} i${k} = __riscv_vle32_v_u32m${L}(colOff + ${k} * OW + ow, vl);`)}
${s.colWeighted ? taps(s.colTaps, (k) => `        ${vf} w${k} = __riscv_vle32_v_${f}(colW + ${k} * OW + ow, vl);`) : ''}
${s.colBias ? `        ${vf} cb = __riscv_vle32_v_${f}(colBias + ow, vl);` : ''}
        for (long r = 0; r < rows; r++) {
          const float *src = ${s.rowWeighted ? 'T + r * W' : 'x + rowSrc[oh0 + r]'};
${column.map((l) => `          ${l}`).join('\n')}
          __riscv_vse32_v_${f}(y + (oh0 + r) * OW + ow, acc, vl);
        }
        ow += (long)vl;
      }
    }
  }
}
`;
  return `\n${code.split('\n').filter((line) => line.trim() !== '').join('\n')}\n`;
}

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

const planOf = (node: Node) => resizePlanePlan(node) as ResizePlanePlan;

function emitResize(node: Node, ctx: CEmitContext): string {
  const p = planOf(node);
  const t = tablesOf(p);
  const shape: ResizeShape = {
    rowTaps: p.rows.count,
    rowWeighted: t.rowW !== null,
    rowBias: t.rowBias !== null,
    colTaps: p.cols.count,
    colWeighted: t.colW !== null,
    colBias: t.colBias !== null,
  };
  const name = ctx.planHelper('resize', shape, (s) => `edgec_resize_r${s.rowTaps}${s.rowWeighted ? 'w' : ''}${s.rowBias ? 'b' : ''}_c${s.colTaps}${s.colWeighted ? 'w' : ''}${s.colBias ? 'b' : ''}`, resizeSource);
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
    `(const int32_t *)${bytes('resize-row-src', t.rowSrc)}`,
    f32('resize-row-weights', t.rowW),
    f32('resize-row-bias', t.rowBias),
    `(const uint32_t *)${bytes('resize-col-offsets', t.colOff)}`,
    f32('resize-col-weights', t.colW),
    f32('resize-col-bias', t.colBias),
    t.rowW ? ctx.scratch(scratchOf(p)) : 'NULL',
  ];
  return `${name}(${args.join(', ')});`;
}

/** The row pass's block of T rows (none when rows are read in place). */
const scratchOf = (p: ResizePlanePlan) => (isSingleTapAxis(p.rows) ? 0 : Math.min(p.OH, BLOCK_ROWS) * p.W * 4);

export const resizeKernels: RvvKernel = {
  ops: ['Resize'],
  check: (node) => checkF32(node) ?? resizeConstantsProblem(node),
  checkDims(node) {
    const p = resizePlanePlan(node);
    return typeof p === 'string' ? p : null;
  },
  scratchBytes: (node) => scratchOf(planOf(node)),
  emit: emitResize,
};
