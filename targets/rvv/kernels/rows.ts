import { getAttr, type Node } from '../../../ir/index.js';
import { exprCall, exprOperand } from '../../../ir/ops/expression.js';
import { defineExpressionHelpers } from '../expression.js';
import { cFloat, checkF32, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Row-wise kernels over a contiguous innermost extent: Softmax / LogSoftmax (one axis: the last extent by rows,
 * another across the inner columns), LayerNormalization (normalizing dims [axis, rank) with Scale and B of that shape), and the f32
 * reductions ReduceMean / ReduceSum / ReduceMax / ReduceMin over one contiguous run of axes (reduce.ts owns the ops). Each row is reduced with
 * LMUL=4 partial vectors and one vfred at the end; reductions over a non-innermost run vectorize across the
 * inner extent instead.
 */

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/**
 * C statements (in a row loop) setting `float var` to the mean squared deviation of the `n` floats at `x` from
 * `mean`, summed in LMUL=4 partial vectors (the reference's second pass).
 */
export const rowVariance = (n: string): string => `    size_t vlmax = VSET((size_t)${n});
    vf acc = VSPLAT(0.0f, vlmax);
    for (long i = 0; i < ${n};) {
      size_t vl = VSET((size_t)(${n} - i));
      vf d = __riscv_vfsub_vf_f32m4(VLD(x + i, vl), mean, vl);
      acc = __riscv_vfmacc_vv_f32m4_tu(acc, d, d, vl);
      i += (long)vl;
    }
    float var = __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredusum_vs_f32m4_f32m1(acc, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax)) / (float)${n};`;

/** edgec_layernorm, or with `stats` edgec_layernorm_stats, which also stores each row's Mean and InvStdDev. */
const layerNormHelper = (stats: boolean): string => `/* y = (x - mean) / sqrt(var + eps) * scale + bias per row of n floats (bias may be NULL)${stats ? '; each row\'s mean and 1 / sqrt(var + eps) stored where Mean / InvStdDev is not NULL' : ''} */
static void edgec_layernorm${stats ? '_stats' : ''}(const float *X, float *Y, const float *scale, const float *bias, long rows, long n, float eps${stats ? ', float *Mean, float *InvStdDev' : ''}) {
  for (long r = 0; r < rows; r++) {
    const float *x = X + r * n;
    float *y = Y + r * n;
    float mean = edgec_row_reduce(x, n, 0) / (float)n;
${rowVariance('n')}
    float inv = 1.0f / sqrtf(var + eps);${stats ? '\n    if (Mean) Mean[r] = mean;\n    if (InvStdDev) InvStdDev[r] = inv;' : ''}
    for (long i = 0; i < n;) {
      size_t vl = VSET((size_t)(n - i));
      vf v = __riscv_vfmul_vv_f32m4(__riscv_vfmul_vf_f32m4(__riscv_vfsub_vf_f32m4(VLD(x + i, vl), mean, vl), inv, vl), VLD(scale + i, vl), vl);
      if (bias) v = __riscv_vfadd_vv_f32m4(v, VLD(bias + i, vl), vl);
      VST(y + i, v, vl);
      i += (long)vl;
    }
  }
}`;

const ROW_HELPERS = `
/* sum (or max) of n floats */
static inline float edgec_row_reduce(const float *x, long n, int is_max) {
  size_t vlmax = VSET((size_t)n);
  vf acc = VSPLAT(is_max ? -INFINITY : 0.0f, vlmax);
  for (long i = 0; i < n;) {
    size_t vl = VSET((size_t)(n - i));
    vf v = VLD(x + i, vl);
    acc = is_max ? __riscv_vfmax_vv_f32m4_tu(acc, acc, v, vl) : __riscv_vfadd_vv_f32m4_tu(acc, acc, v, vl);
    i += (long)vl;
  }
  vfloat32m1_t init = __riscv_vfmv_s_f_f32m1(is_max ? -INFINITY : 0.0f, 1);
  vfloat32m1_t r = is_max ? __riscv_vfredmax_vs_f32m4_f32m1(acc, init, vlmax) : __riscv_vfredusum_vs_f32m4_f32m1(acc, init, vlmax);
  return __riscv_vfmv_f_s_f32m1_f32(r);
}

/* softmax (or log-softmax) of each of the rows of n floats */
static void edgec_softmax(const float *X, float *Y, long rows, long n, int log_softmax) {
  for (long r = 0; r < rows; r++) {
    const float *x = X + r * n;
    float *y = Y + r * n;
    float m = edgec_row_reduce(x, n, 1);
    size_t vlmax = VSET((size_t)n);
    vf acc = VSPLAT(0.0f, vlmax);
    for (long i = 0; i < n;) {
      size_t vl = VSET((size_t)(n - i));
      vf e = edgec_vexp(__riscv_vfsub_vf_f32m4(VLD(x + i, vl), m, vl), vl);
      if (!log_softmax) VST(y + i, e, vl);
      acc = __riscv_vfadd_vv_f32m4_tu(acc, acc, e, vl);
      i += (long)vl;
    }
    float s = __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredusum_vs_f32m4_f32m1(acc, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));
    float shift = m + logf(s);
    float scale = 1.0f / s;
    for (long i = 0; i < n;) {
      size_t vl = VSET((size_t)(n - i));
      vf v = log_softmax ? __riscv_vfsub_vf_f32m4(VLD(x + i, vl), shift, vl) : __riscv_vfmul_vf_f32m4(VLD(y + i, vl), scale, vl);
      VST(y + i, v, vl);
      i += (long)vl;
    }
  }
}

${layerNormHelper(false)}

/* Y[o][i] = reduce over r < R of X[o][r][i] (mean when is_mean; max/min by op: 0 sum, 1 max, 2 min) */
static void edgec_reduce_mid(const float *X, float *Y, long outer, long R, long inner, int op, int is_mean) {
  for (long o = 0; o < outer; o++) {
    for (long i = 0; i < inner;) {
      size_t vl = VSET((size_t)(inner - i));
      const float *x = X + o * R * inner + i;
      vf acc = VLD(x, vl);
      for (long r = 1; r < R; r++) {
        vf v = VLD(x + r * inner, vl);
        acc = op == 1 ? __riscv_vfmax_vv_f32m4(acc, v, vl) : op == 2 ? __riscv_vfmin_vv_f32m4(acc, v, vl) : __riscv_vfadd_vv_f32m4(acc, v, vl);
      }
      if (is_mean) acc = __riscv_vfmul_vf_f32m4(acc, 1.0f / (float)R, vl);
      VST(Y + o * inner + i, acc, vl);
      i += (long)vl;
    }
  }
}
`;

export function useRowHelpers(ctx: CEmitContext): void {
  ctx.helper('edgec_rows', () => ROW_HELPERS);
}

/*
 * Softmax / LogSoftmax along an axis that is not the innermost extent, vectorized across the inner columns:
 * per strip the max over the axis, then the sum of exp(x - max), then y = e / sum (or x - max - ln sum).
 */
const SOFTMAX_MID = `
static void edgec_softmax_mid(const float *X, float *Y, long outer, long R, long inner, int log_softmax) {
  for (long o = 0; o < outer; o++)
    for (long i = 0; i < inner;) {
      size_t vl = VSET((size_t)(inner - i));
      const float *x = X + o * R * inner + i;
      float *y = Y + o * R * inner + i;
      vf m = VLD(x, vl);
      for (long r = 1; r < R; r++) m = __riscv_vfmax_vv_f32m4(m, VLD(x + r * inner, vl), vl);
      vf s = VSPLAT(0.0f, vl);
      for (long r = 0; r < R; r++) {
        vf e = edgec_vexp(__riscv_vfsub_vv_f32m4(VLD(x + r * inner, vl), m, vl), vl);
        if (!log_softmax) VST(y + r * inner, e, vl);
        s = __riscv_vfadd_vv_f32m4(s, e, vl);
      }
      if (log_softmax) {
        vf shift = __riscv_vfadd_vv_f32m4(m, edgec_vlog(s, vl), vl);
        for (long r = 0; r < R; r++) VST(y + r * inner, __riscv_vfsub_vv_f32m4(VLD(x + r * inner, vl), shift, vl), vl);
      } else {
        vf scale = __riscv_vfrdiv_vf_f32m4(s, 1.0f, vl);
        for (long r = 0; r < R; r++) VST(y + r * inner, __riscv_vfmul_vv_f32m4(VLD(y + r * inner, vl), scale, vl), vl);
      }
      i += (long)vl;
    }
}
`;

function emitSoftmax(node: Node, ctx: CEmitContext): string {
  const shape = shapeOf(node.inputs[0]!);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const n = shape[axis]!;
  const inner = product(shape.slice(axis + 1));
  if (inner > 1) {
    defineExpressionHelpers(exprCall('log', exprOperand(0)), ctx.helper);
    ctx.helper('edgec_softmax_mid', () => SOFTMAX_MID);
    return `edgec_softmax_mid(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${product(shape.slice(0, axis))}, ${n}, ${inner}, ${node.op === 'LogSoftmax' ? 1 : 0});`;
  }
  useRowHelpers(ctx);
  return `edgec_softmax(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${product(shape) / n}, ${n}, ${node.op === 'LogSoftmax' ? 1 : 0});`;
}

function checkLayerNorm(node: Node): string | null {
  const shape = shapeOf(node.inputs[0]!);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const n = product(shape.slice(axis));
  for (const v of node.inputs.slice(1)) {
    if (v && product(shapeOf(v)) !== n) return `LayerNormalization ${v.name} must have the normalized shape on rvv`;
  }
  return null;
}

function emitLayerNorm(node: Node, ctx: CEmitContext): string {
  useRowHelpers(ctx);
  const shape = shapeOf(node.inputs[0]!);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const n = product(shape.slice(axis));
  const [x, scale, bias] = node.inputs;
  const [y, mean, invStdDev] = node.outputs;
  const args = `${ctx.ptr(x!)}, ${ctx.ptr(y!)}, ${ctx.ptr(scale!)}, ${bias ? ctx.ptr(bias) : 'NULL'}, ${product(shape) / n}, ${n}, ${cFloat(getAttr<number>(node, 'epsilon'))}`;
  if (!mean && !invStdDev) return `edgec_layernorm(${args});`;
  ctx.helper('edgec_layernorm_stats', () => layerNormHelper(true));
  return `edgec_layernorm_stats(${args}, ${mean ? ctx.ptr(mean) : 'NULL'}, ${invStdDev ? ctx.ptr(invStdDev) : 'NULL'});`;
}

/** The reduced axes: the attribute (older opsets) or the constant axes operand; all axes when empty. */
function reducedAxes(node: Node): number[] | string {
  const rank = shapeOf(node.inputs[0]!).length;
  const operand = node.inputs[1];
  if (operand && !operand.data) return 'the axes operand must be constant on rvv';
  const listed = operand ? Array.from(operand.data!.data as ArrayLike<number | bigint>, Number) : ((node.attrs.axes as number[] | undefined) ?? []);
  if (listed.length === 0) return getAttr<number>(node, 'noop_with_empty_axes') ? [] : Array.from({ length: rank }, (_, i) => i);
  return [...new Set(listed.map((a) => axisOf(a, rank)))].sort((a, b) => a - b);
}

/** [outer, reduced, inner] when the reduced axes (ignoring size-1 ones) form one contiguous run. */
export function reduceExtents(node: Node): [number, number, number] | string {
  const shape = shapeOf(node.inputs[0]!);
  const axes = reducedAxes(node);
  if (typeof axes === 'string') return axes;
  const real = axes.filter((a) => shape[a] !== 1);
  if (real.length === 0) return [product(shape), 1, 1];
  const [first, last] = [real[0]!, real[real.length - 1]!];
  for (let a = first; a <= last; a++) if (!axes.includes(a) && shape[a] !== 1) return 'reduced axes that are not one contiguous run are not supported on rvv';
  return [product(shape.slice(0, first)), product(shape.slice(first, last + 1)), product(shape.slice(last + 1))];
}

const REDUCE_OPS: Readonly<Record<string, number>> = { ReduceSum: 0, ReduceMean: 0, ReduceMax: 1, ReduceMin: 2 };

/** f32 ReduceSum / ReduceMean / ReduceMax / ReduceMin over one contiguous run of axes (reduce.ts dispatches here). */
export function emitRowReduce(node: Node, ctx: CEmitContext): string {
  useRowHelpers(ctx);
  const [outer, R, inner] = reduceExtents(node) as [number, number, number];
  return `edgec_reduce_mid(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${outer}, ${R}, ${inner}, ${REDUCE_OPS[node.op]!}, ${node.op === 'ReduceMean' ? 1 : 0});`;
}

export const rowKernels: RvvKernel = {
  ops: ['Softmax', 'LogSoftmax', 'LayerNormalization'],
  check: checkF32,
  checkDims(node) {
    return node.op === 'LayerNormalization' ? checkLayerNorm(node) : null;
  },
  emit(node, ctx) {
    return node.op === 'LayerNormalization' ? emitLayerNorm(node, ctx) : emitSoftmax(node, ctx);
  },
};
