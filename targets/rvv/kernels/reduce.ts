import { arrayToBytes, dtypeBytes, dtypeRange, getAttr, isBigInt, isFloat, makeTensor, type DType, type Node } from '../../../ir/index.js';
import { exprCall, exprOperand } from '../../../ir/ops/expression.js';
import { defineExpressionHelpers } from '../expression.js';
import { product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { emitRowReduce, reduceExtents } from './rows.js';

/**
 * The ReduceX ops. A reduction y = post(fold_{r} map(x_r)) is one of
 *   Sum, Mean (post: * 1/count), Max, Min, Prod, L1 (map |x|), L2 (map x^2, post sqrt), SumSquare (map x^2),
 *   LogSum (post ln), LogSumExp (m = max x, y = m + ln sum e^(x - m)).
 * The input is viewed as [outer, R, inner] per contiguous run of reduced axes (size-1 dims ignored). f32 folds
 * with LMUL=4 vectors: along the row and one vfred (Prod: the lanes multiplied at the end) when inner = 1,
 * across the inner columns otherwise. Axes that form several runs reduce run by run, innermost first, through
 * two scratch buffers: each pass folds one run, the first applies map and the last post, which is exact
 * algebra for every kind but LogSumExp (needs the max of the whole set first: one run only).
 * bool ReduceMax / ReduceMin (any / all) fold 0/1 bytes with vmaxu / vminu (one run). f64 folds each run in
 * input order in a scalar loop nest (accumulating in f64 as the reference does; wasm's f64 path is scalar too).
 * An empty input (a zero-size axis) reduces the empty set: every output element is one constant (emptyResult)
 * broadcast with a stride-0 copy.
 * f32 Sum / Mean / Max / Min over one run keep rows.ts's edgec_reduce_mid (the shared models use it).
 */

type Kind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'L1' | 'L2' | 'LogSum' | 'LogSumExp' | 'SumSquare';

/** The ReduceX ops of ir/ops/reduce.ts, each named Reduce<Kind>. */
const REDUCE_OPS: readonly string[] = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'L1', 'L2', 'LogSum', 'LogSumExp', 'SumSquare'].map((k) => `Reduce${k}`);
const kindOf = (node: Node): Kind => node.op.slice('Reduce'.length) as Kind;

/**
 * The reduction of the empty set as ONNX defines it: the fold's identity (0 for the sums, 1 for Prod, the lowest
 * value for Max, the highest for Min) mapped by post (LogSum, LogSumExp: ln 0 = -inf; float Mean: 0 / 0 = NaN).
 */
function emptyResult(kind: Kind, dtype: DType): number {
  const [lowest, highest] = isFloat(dtype) ? [-Infinity, Infinity] : dtypeRange(dtype);
  if (kind === 'Max') return lowest;
  if (kind === 'Min') return highest;
  if (kind === 'Prod') return 1;
  if (kind === 'Mean') return isFloat(dtype) ? NaN : 0;
  if (kind === 'LogSum' || kind === 'LogSumExp') return -Infinity;
  return 0;
}

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** The reduced axes (sorted; all when the list is empty), null for an identity (noop_with_empty_axes), or why not. */
function reducedAxes(node: Node): number[] | null | string {
  const rank = shapeOf(node.inputs[0]!).length;
  const operand = node.inputs[1];
  if (operand && !operand.data) return 'the axes operand must be constant on rvv';
  const listed = operand ? Array.from(operand.data!.data as ArrayLike<number | bigint>, Number) : ((node.attrs.axes as number[] | undefined) ?? []);
  if (listed.length === 0) return getAttr<number>(node, 'noop_with_empty_axes') ? null : Array.from({ length: rank }, (_, i) => i);
  return [...new Set(listed.map((a) => axisOf(a, rank)))].sort((a, b) => a - b);
}

/** One pass: fold R of [outer, R, inner]. */
interface Pass {
  outer: number;
  R: number;
  inner: number;
}

/** The passes folding each run of reduced dims, innermost run first (one [n, 1, 1] pass when nothing folds). */
function passesOf(shape: readonly number[], axes: readonly number[] | null): Pass[] {
  const dims: { size: number; reduced: boolean }[] = [];
  shape.forEach((size, a) => {
    if (size === 1) return;
    const reduced = axes !== null && axes.includes(a);
    const last = dims[dims.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else dims.push({ size, reduced });
  });
  const passes: Pass[] = [];
  for (let k = dims.length - 1; k >= 0; k--) {
    if (!dims[k]!.reduced) continue;
    passes.push({ outer: product(dims.slice(0, k).map((d) => d.size)), R: dims[k]!.size, inner: product(dims.slice(k + 1).map((d) => d.size)) });
    dims.splice(k, 1);
  }
  return passes.length > 0 ? passes : [{ outer: product(shape), R: 1, inner: 1 }];
}

// ---------------------------------------------------------------------------------------------------------
// f32

const V = 'f32m4';
const COMBINE: Record<string, string> = { add: 'vfadd', mul: 'vfmul', max: 'vfmax', min: 'vfmin' };
const foldOf = (kind: Kind): string => (kind === 'Prod' ? 'mul' : kind === 'Max' ? 'max' : kind === 'Min' ? 'min' : 'add');
const identityOf = (fold: string): string => (fold === 'mul' ? '1.0f' : fold === 'max' ? '(-INFINITY)' : fold === 'min' ? 'INFINITY' : '0.0f');

function mapOf(kind: Kind): string {
  if (kind === 'L1') return `v = __riscv_vfabs_v_${V}(v, vl);`;
  if (kind === 'L2' || kind === 'SumSquare') return `v = __riscv_vfmul_vv_${V}(v, v, vl);`;
  return '';
}

function postScalar(kind: Kind): string {
  if (kind === 'Mean') return 's *= scale;';
  if (kind === 'L2') return 's = sqrtf(s);';
  if (kind === 'LogSum') return 's = logf(s);';
  return '';
}

function postVector(kind: Kind): string {
  if (kind === 'Mean') return `acc = __riscv_vfmul_vf_${V}(acc, scale, vl);`;
  if (kind === 'L2') return `acc = __riscv_vfsqrt_v_${V}(acc, vl);`;
  if (kind === 'LogSum') return 'acc = edgec_vlog(acc, vl);';
  return '';
}

/** The lanes of `acc` (vlmax of them) folded to `float s`. */
function laneFold(fold: string): string {
  if (fold === 'mul') return `float lanes[vlmax];
      VST(lanes, acc, vlmax);
      float s = 1.0f;
      for (size_t k = 0; k < vlmax; k++) s *= lanes[k];`;
  const red = fold === 'max' ? 'vfredmax' : fold === 'min' ? 'vfredmin' : 'vfredusum';
  return `float s = __riscv_vfmv_f_s_f32m1_f32(__riscv_${red}_vs_${V}_f32m1(acc, __riscv_vfmv_s_f_f32m1(${identityOf(fold)}, 1), vlmax));`;
}

/** edgec_fold_<kind>: one pass over [outer, R, inner]; `first` applies map, `last` post (Mean: / count). */
function foldHelper(kind: Kind): string {
  const fold = foldOf(kind);
  const op = COMBINE[fold]!;
  const id = identityOf(fold);
  return `
/* ${kind}: one pass folding R of [outer, R, inner] (map when first, post when last) */
static void edgec_fold_${kind.toLowerCase()}(const float *X, float *Y, long outer, long R, long inner, int first, int last, long count) {
  float scale = 1.0f / (float)count;
  (void)scale;
  for (long o = 0; o < outer; o++) {
    const float *x = X + o * R * inner;
    float *y = Y + o * inner;
    if (inner == 1) {
      size_t vlmax = VSET((size_t)R);
      vf acc = VSPLAT(${id}, vlmax);
      for (long i = 0; i < R;) {
        size_t vl = VSET((size_t)(R - i));
        vf v = VLD(x + i, vl);
        if (first) { ${mapOf(kind)} }
        acc = __riscv_${op}_vv_${V}_tu(acc, acc, v, vl);
        i += (long)vl;
      }
      ${laneFold(fold)}
      if (last) { ${postScalar(kind)} }
      y[0] = s;
      continue;
    }
    for (long i = 0; i < inner;) {
      size_t vl = VSET((size_t)(inner - i));
      vf acc = VSPLAT(${id}, vl);
      for (long r = 0; r < R; r++) {
        vf v = VLD(x + r * inner + i, vl);
        if (first) { ${mapOf(kind)} }
        acc = __riscv_${op}_vv_${V}(acc, v, vl);
      }
      if (last) { ${postVector(kind)} }
      VST(y + i, acc, vl);
      i += (long)vl;
    }
  }
}
`;
}

const LOG_SUM_EXP = `
/* y = m + ln sum e^(x - m), m the max, over R of [outer, R, inner] (y = m when m is infinite) */
static void edgec_fold_logsumexp(const float *X, float *Y, long outer, long R, long inner) {
  for (long o = 0; o < outer; o++) {
    const float *x = X + o * R * inner;
    float *y = Y + o * inner;
    if (inner == 1) {
      size_t vlmax = VSET((size_t)R);
      vf acc = VSPLAT(-INFINITY, vlmax);
      for (long i = 0; i < R;) {
        size_t vl = VSET((size_t)(R - i));
        acc = __riscv_vfmax_vv_f32m4_tu(acc, acc, VLD(x + i, vl), vl);
        i += (long)vl;
      }
      float m = __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredmax_vs_f32m4_f32m1(acc, __riscv_vfmv_s_f_f32m1(-INFINITY, 1), vlmax));
      if (isinf(m)) { y[0] = m; continue; }
      acc = VSPLAT(0.0f, vlmax);
      for (long i = 0; i < R;) {
        size_t vl = VSET((size_t)(R - i));
        acc = __riscv_vfadd_vv_f32m4_tu(acc, acc, edgec_vexp(__riscv_vfsub_vf_f32m4(VLD(x + i, vl), m, vl), vl), vl);
        i += (long)vl;
      }
      float s = __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredusum_vs_f32m4_f32m1(acc, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));
      y[0] = m + logf(s);
      continue;
    }
    for (long i = 0; i < inner;) {
      size_t vl = VSET((size_t)(inner - i));
      vf m = VLD(x + i, vl);
      for (long r = 1; r < R; r++) m = __riscv_vfmax_vv_f32m4(m, VLD(x + r * inner + i, vl), vl);
      vf s = VSPLAT(0.0f, vl);
      for (long r = 0; r < R; r++) s = __riscv_vfadd_vv_f32m4(s, edgec_vexp(__riscv_vfsub_vv_f32m4(VLD(x + r * inner + i, vl), m, vl), vl), vl);
      VST(y + i, __riscv_vfadd_vv_f32m4(m, edgec_vlog(s, vl), vl), vl);
      i += (long)vl;
    }
  }
}
`;

/** Elements of the scratch the passes need: two buffers of the largest intermediate. */
function scratchElements(node: Node): number {
  const axes = reducedAxes(node);
  if (typeof axes === 'string') return 0;
  const passes = passesOf(shapeOf(node.inputs[0]!), axes);
  if (passes.length < 2) return 0;
  return 2 * Math.max(...passes.slice(0, -1).map((p) => p.outer * p.inner));
}

/**
 * The calls of helper `name` (X, Y, outer, R, inner, first, last, count), one per pass, ping-ponging between two
 * scratch buffers of `c`-typed elements; count is the number of reduced elements (Mean's divisor).
 */
function emitPasses(node: Node, name: string, c: 'float' | 'double', axes: number[] | null, ctx: CEmitContext): string {
  const shape = shapeOf(node.inputs[0]!);
  const passes = passesOf(shape, axes);
  const [x, y] = [ctx.ptr(node.inputs[0]!), ctx.ptr(node.outputs[0]!)];
  const count = axes === null ? 1 : product(axes.map((a) => shape[a]!));
  const elements = scratchElements(node);
  const base = passes.length > 1 ? `((${c} *)${ctx.scratch(elements * (c === 'float' ? 4 : 8))})` : '';
  const buffers = [base, `(${base} + ${elements / 2})`];
  const first = axes === null ? 0 : 1;
  return passes
    .map((p, k) => {
      const src = k === 0 ? x : buffers[(k - 1) % 2]!;
      const dst = k === passes.length - 1 ? y : buffers[k % 2]!;
      const last = axes !== null && k === passes.length - 1 ? 1 : 0;
      return `${name}(${src}, ${dst}, ${p.outer}, ${p.R}, ${p.inner}, ${k === 0 ? first : 0}, ${last}, ${count});`;
    })
    .join('\n');
}

function emitF32(node: Node, kind: Kind, axes: number[] | null, ctx: CEmitContext): string {
  defineExpressionHelpers(exprCall('log', exprOperand(0)), ctx.helper);
  if (kind === 'LogSumExp') {
    ctx.helper('edgec_fold_logsumexp', () => LOG_SUM_EXP);
    const p = passesOf(shapeOf(node.inputs[0]!), axes)[0]!;
    return `edgec_fold_logsumexp(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${p.outer}, ${p.R}, ${p.inner});`;
  }
  const name = `edgec_fold_${kind.toLowerCase()}`;
  ctx.helper(name, () => foldHelper(kind));
  return emitPasses(node, name, 'float', axes, ctx);
}

// ---------------------------------------------------------------------------------------------------------
// bool Max / Min: any / all of 0/1 bytes

const boolHelper = (max: boolean): string => {
  const op = max ? 'vmaxu' : 'vminu';
  const id = max ? 0 : 1;
  return `
/* bool Reduce${max ? 'Max (any)' : 'Min (all)'} over R of [outer, R, inner] */
static void edgec_fold_bool_${max ? 'max' : 'min'}(const uint8_t *X, uint8_t *Y, long outer, long R, long inner) {
  for (long o = 0; o < outer; o++) {
    const uint8_t *x = X + o * R * inner;
    uint8_t *y = Y + o * inner;
    if (inner == 1) {
      size_t vlmax = __riscv_vsetvl_e8m4((size_t)R);
      vuint8m4_t acc = __riscv_vmv_v_x_u8m4(${id}, vlmax);
      for (long i = 0; i < R;) {
        size_t vl = __riscv_vsetvl_e8m4((size_t)(R - i));
        acc = __riscv_${op}_vv_u8m4_tu(acc, acc, __riscv_vle8_v_u8m4(x + i, vl), vl);
        i += (long)vl;
      }
      y[0] = __riscv_vmv_x_s_u8m1_u8(__riscv_vred${op.slice(1)}_vs_u8m4_u8m1(acc, __riscv_vmv_s_x_u8m1(${id}, 1), vlmax));
      continue;
    }
    for (long i = 0; i < inner;) {
      size_t vl = __riscv_vsetvl_e8m4((size_t)(inner - i));
      vuint8m4_t acc = __riscv_vmv_v_x_u8m4(${id}, vl);
      for (long r = 0; r < R; r++) acc = __riscv_${op}_vv_u8m4(acc, __riscv_vle8_v_u8m4(x + r * inner + i, vl), vl);
      __riscv_vse8_v_u8m4(y + i, acc, vl);
      i += (long)vl;
    }
  }
}
`;
};

function emitBool(node: Node, kind: Kind, axes: number[] | null, ctx: CEmitContext): string {
  const name = `edgec_fold_bool_${kind === 'Max' ? 'max' : 'min'}`;
  ctx.helper(name, () => boolHelper(kind === 'Max'));
  const p = passesOf(shapeOf(node.inputs[0]!), axes)[0]!;
  return `${name}(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${p.outer}, ${p.R}, ${p.inner});`;
}

// ---------------------------------------------------------------------------------------------------------
// f64: in input order, like the reference

function f64Helper(kind: Kind): string {
  const fold = foldOf(kind);
  const id = fold === 'mul' ? '1.0' : fold === 'max' ? '(-INFINITY)' : fold === 'min' ? 'INFINITY' : '0.0';
  const map = kind === 'L1' ? 'v = fabs(v);' : kind === 'L2' || kind === 'SumSquare' ? 'v = v * v;' : kind === 'LogSumExp' ? 'v = exp(v - m);' : '';
  const combine = fold === 'mul' ? 's *= v;' : fold === 'max' ? 's = v > s || isnan(v) ? v : s;' : fold === 'min' ? 's = v < s || isnan(v) ? v : s;' : 's += v;';
  const post =
    kind === 'Mean' ? 's /= (double)count;' : kind === 'L2' ? 's = sqrt(s);' : kind === 'LogSum' ? 's = log(s);' : kind === 'LogSumExp' ? 's = isinf(m) ? m : m + log(s);' : '';
  const max = kind === 'LogSumExp' ? 'double m = -INFINITY; for (long r = 0; r < R; r++) { double v = x[r * inner]; if (v > m) m = v; }' : '';
  return `
/* f64 ${kind}: one pass folding R of [outer, R, inner] in input order (map when first, post when last) */
static void edgec_fold_${kind.toLowerCase()}_f64(const double *X, double *Y, long outer, long R, long inner, int first, int last, long count) {
  (void)first; (void)last; (void)count;
  for (long o = 0; o < outer; o++)
    for (long i = 0; i < inner; i++) {
      const double *x = X + o * R * inner + i;
      ${max}
      double s = ${id};
      for (long r = 0; r < R; r++) { double v = x[r * inner]; ${map ? `if (first) { ${map} }` : ''} ${combine} }
      ${post ? `if (last) { ${post} }` : ''}
      Y[o * inner + i] = s;
    }
}
`;
}

function emitF64(node: Node, kind: Kind, axes: number[] | null, ctx: CEmitContext): string {
  const name = `edgec_fold_${kind.toLowerCase()}_f64`;
  ctx.helper(name, () => f64Helper(kind));
  return emitPasses(node, name, 'double', axes, ctx);
}

// ---------------------------------------------------------------------------------------------------------

/** Every output element set to the reduction of the empty set (nothing when the output is empty too). */
function emitEmpty(node: Node, kind: Kind, ctx: CEmitContext): string {
  const out = node.outputs[0]!;
  const n = product(shapeOf(out));
  if (n === 0) return '/* empty output */';
  const dtype = out.type.dtype;
  const value = emptyResult(kind, dtype);
  // i64's highest value is not a double (dtypeRange rounds it up to 2^63): saturate it as a bigint.
  const element = isBigInt(dtype) ? (value >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(value)) : value;
  const bytes = arrayToBytes(dtype, makeTensor(dtype, [1], [element] as ArrayLike<number | bigint> as ArrayLike<number>).data);
  const bits = dtypeBytes(dtype) * 8;
  const src = ctx.weightsBytes(`reduce.empty:${dtype}:${Array.from(bytes).join(',')}`, bytes);
  return `edgec_copy${bits}((uint${bits}_t *)${ctx.ptr(out)}, 1, (const uint${bits}_t *)${src}, 0, ${n});`;
}

const SUPPORTED: Readonly<Record<string, string>> = { f32: 'f32', f64: 'f64', bool: 'bool' };

function checkReduce(node: Node): string | null {
  const axes = reducedAxes(node);
  return typeof axes === 'string' ? axes : null;
}

/** Reasons read from the dims and the element type (an empty input of any type is one fill). */
function checkReduceDims(node: Node): string | null {
  const shape = shapeOf(node.inputs[0]!);
  if (product(shape) === 0) return null;
  const kind = kindOf(node);
  const dtype = node.inputs[0]!.type.dtype;
  if (!SUPPORTED[dtype]) return `${node.op} on ${dtype} is not supported on rvv (f32, f64, bool Max/Min)`;
  if (dtype === 'bool' && kind !== 'Max' && kind !== 'Min') return `${node.op} on bool is not supported on rvv (only ReduceMax / ReduceMin)`;
  const axes = reducedAxes(node) as number[] | null;
  const several = passesOf(shape, axes).length > 1;
  if (several && (dtype === 'bool' || kindOf(node) === 'LogSumExp')) return `${node.op} on ${dtype} over reduced axes that are not one contiguous run is not supported on rvv`;
  return null;
}

function emitReduce(node: Node, ctx: CEmitContext): string {
  const kind = kindOf(node);
  const shape = shapeOf(node.inputs[0]!);
  if (product(shape) === 0) return emitEmpty(node, kind, ctx);
  const dtype = node.inputs[0]!.type.dtype;
  const axes = reducedAxes(node) as number[] | null;
  if (axes === null && dtype !== 'f32') {
    const bits = dtypeBytes(dtype) * 8;
    return `edgec_copy${bits}((uint${bits}_t *)${ctx.ptr(node.outputs[0]!)}, 1, (const uint${bits}_t *)${ctx.ptr(node.inputs[0]!)}, 1, ${product(shape)});`;
  }
  if (dtype === 'bool') return emitBool(node, kind, axes, ctx);
  if (dtype === 'f64') return emitF64(node, kind, axes, ctx);
  if (['Sum', 'Mean', 'Max', 'Min'].includes(kind) && typeof reduceExtents(node) !== 'string') return emitRowReduce(node, ctx);
  return emitF32(node, kind, axes, ctx);
}

export const reduceKernels: RvvKernel = {
  ops: REDUCE_OPS,
  check: checkReduce,
  checkDims: checkReduceDims,
  scratchBytes: (node) => scratchElements(node) * (node.inputs[0]!.type.dtype === 'f64' ? 8 : 4),
  emit: emitReduce,
};
