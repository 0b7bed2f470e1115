import type { DType, Node, Value } from '../../../ir/index.js';
import type { Expr } from '../../../ir/ops/expression.js';
import { C_TYPES, type CEmitContext } from '../kernel.js';
import { emitBroadcastStrips } from './broadcast-strips.js';

/**
 * Elementwise kernels on the element types other than the f32 expression path: integer and f64 arithmetic
 * (the op's schema expression, lowered here on integer or f64 vectors), and the ops with a bool side, which the
 * float expression language does not say: the comparisons Equal / Less / Greater (bool results, any operand
 * type) and Where (a bool condition). Every type runs at LMUL=4 on SEW = its width, so a bool (u8) vector of
 * the same vl has LMUL 4 * 8 / SEW and the same mask type (vbool<SEW/4>).
 *
 * Integer semantics are the reference's: wrapping add/sub/mul, division truncating toward zero with x / 0 = 0,
 * |INT_MIN| = INT_MIN, Pow by repeated squaring (a negative exponent gives 0 unless |x| = 1). f64 Min / Max
 * propagate NaN like f32's.
 */

/** A vector element type: SEW and kind. */
export interface Lane {
  readonly sew: 8 | 16 | 32 | 64;
  readonly kind: 'i' | 'u' | 'f';
}

const LANES: Readonly<Partial<Record<DType, Lane>>> = {
  i8: { sew: 8, kind: 'i' },
  u8: { sew: 8, kind: 'u' },
  bool: { sew: 8, kind: 'u' },
  i16: { sew: 16, kind: 'i' },
  u16: { sew: 16, kind: 'u' },
  i32: { sew: 32, kind: 'i' },
  u32: { sew: 32, kind: 'u' },
  i64: { sew: 64, kind: 'i' },
  u64: { sew: 64, kind: 'u' },
  f32: { sew: 32, kind: 'f' },
  f64: { sew: 64, kind: 'f' },
};

export const laneOf = (dtype: DType): Lane | undefined => LANES[dtype];
/** Intrinsic suffix at LMUL=4: i32m4, f64m4... */
export const suffix = (l: Lane): string => `${l.kind}${l.sew}m4`;
export const vectorType = (l: Lane): string => `v${{ i: 'int', u: 'uint', f: 'float' }[l.kind]}${l.sew}m4_t`;
/** The mask type's suffix: b<SEW/4>. */
export const maskOf = (l: Lane): string => `b${l.sew / 4}`;
/** Suffix of the u8 vector holding bools at the lane's vl: u8m4, u8m2, u8m1 or u8mf2. */
export const boolSuffix = (l: Lane): string => `u8${{ 8: 'm4', 16: 'm2', 32: 'm1', 64: 'mf2' }[l.sew]}`;

const isFloat = (l: Lane) => l.kind === 'f';
const splat = (l: Lane, x: string) => (isFloat(l) ? `__riscv_vfmv_v_f_${suffix(l)}(${x}, vl)` : `__riscv_vmv_v_x_${suffix(l)}(${x}, vl)`);
const load = (l: Lane, p: string) => `__riscv_vle${l.sew}_v_${suffix(l)}(${p}, vl)`;

/** C of a mask from u8 bools (nonzero is true). */
const boolMask = (l: Lane, v: string) => `__riscv_vmsne_vx_${boolSuffix(l)}_${maskOf(l)}(${v}, 0, vl)`;
/** C storing a mask as u8 0/1 at `yo + j`. */
const storeMask = (l: Lane, mask: string) =>
  `__riscv_vse8_v_${boolSuffix(l)}(yo + j, __riscv_vmerge_vxm_${boolSuffix(l)}(__riscv_vmv_v_x_${boolSuffix(l)}(0, vl), 1, ${mask}, vl), vl);`;

/** Per-lane helper functions (operands used twice), each defined once per model and lane. */
function laneHelper(ctx: CEmitContext, l: Lane, op: string): string {
  const s = suffix(l);
  const V = vectorType(l);
  const b = maskOf(l);
  const name = `edgec_${op}_${s}`;
  const body: Record<string, () => string> = {
    // x / y truncating, and 0 where y = 0 (RVV gives all ones there)
    div: () => `static inline ${V} ${name}(${V} x, ${V} y, size_t vl) {
  ${V} q = __riscv_vdiv${l.kind === 'u' ? 'u' : ''}_vv_${s}(x, y, vl);
  return __riscv_vmerge_vxm_${s}(q, 0, __riscv_vmseq_vx_${s}_${b}(y, 0, vl), vl);
}`,
    abs: () => `static inline ${V} ${name}(${V} x, size_t vl) {
  return __riscv_vmax_vv_${s}(x, __riscv_vneg_v_${s}(x, vl), vl);
}`,
    // x < 0 ? alpha x : x (PRelu)
    leaky: () => `static inline ${V} ${name}(${V} x, ${V} alpha, size_t vl) {
  return __riscv_vmerge_vvm_${s}(x, __riscv_vmul_vv_${s}(x, alpha, vl), __riscv_vmslt_vx_${s}_${b}(x, 0, vl), vl);
}`,
    // NaN-propagating min / max (vfmin / vfmax return the other operand)
    fmax: () => `static inline ${V} ${name}(${V} x, ${V} y, size_t vl) {
  ${`vbool${l.sew / 4}_t`} nan = __riscv_vmor_mm_${b}(__riscv_vmfne_vv_${s}_${b}(x, x, vl), __riscv_vmfne_vv_${s}_${b}(y, y, vl), vl);
  return __riscv_vmerge_vvm_${s}(__riscv_vfmax_vv_${s}(x, y, vl), __riscv_vfadd_vv_${s}(x, y, vl), nan, vl);
}`,
    fmin: () => `static inline ${V} ${name}(${V} x, ${V} y, size_t vl) {
  ${`vbool${l.sew / 4}_t`} nan = __riscv_vmor_mm_${b}(__riscv_vmfne_vv_${s}_${b}(x, x, vl), __riscv_vmfne_vv_${s}_${b}(y, y, vl), vl);
  return __riscv_vmerge_vvm_${s}(__riscv_vfmin_vv_${s}(x, y, vl), __riscv_vfadd_vv_${s}(x, y, vl), nan, vl);
}`,
    /*
     * x ** y by squaring over the bits of |y|, all lanes until the largest exponent is spent; a negative y
     * gives trunc(x ** y): 0, except 1 ** y = 1 and (-1) ** y = +-1, which |y| already computes.
     */
    pow: () => {
      const signed = l.kind === 'i';
      const shift = signed ? 'vsra' : 'vsrl';
      return `static inline ${V} ${name}(${V} x, ${V} y, size_t vl) {
  ${V} r = __riscv_vmv_v_x_${s}(1, vl);
  ${V} e = y;${signed ? `\n  vbool${l.sew / 4}_t negative = __riscv_vmslt_vx_${s}_${b}(y, 0, vl);\n  e = __riscv_vmerge_vvm_${s}(e, __riscv_vneg_v_${s}(e, vl), negative, vl);` : ''}
  for (${V} base = x;;) {
    r = __riscv_vmerge_vvm_${s}(r, __riscv_vmul_vv_${s}(r, base, vl), __riscv_vmsne_vx_${s}_${b}(__riscv_vand_vx_${s}(e, 1, vl), 0, vl), vl);
    e = __riscv_${shift}_vx_${s}(e, 1, vl);
    if (__riscv_vcpop_m_${b}(__riscv_vmsne_vx_${s}_${b}(e, 0, vl), vl) == 0) break;
    base = __riscv_vmul_vv_${s}(base, base, vl);
  }${
    signed
      ? `\n  vbool${l.sew / 4}_t unit = __riscv_vmsleu_vx_u${l.sew}m4_${b}(__riscv_vreinterpret_v_${s}_u${l.sew}m4(__riscv_vadd_vx_${s}(x, 1, vl)), 2, vl);\n  r = __riscv_vmerge_vxm_${s}(r, 0, __riscv_vmandn_mm_${b}(negative, unit, vl), vl);`
      : ''
  }
  return r;
}`;
    },
  };
  ctx.helper(`typed:${name}`, body[op]!);
  return name;
}

/** C of one expression operator on vectors of lane l, or null when this lane has no lowering for it. */
function lowerCall(ctx: CEmitContext, l: Lane, op: string, args: string[]): string | null {
  const s = suffix(l);
  const f = isFloat(l);
  const u = l.kind === 'u';
  const [x, y] = args;
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul':
      return `__riscv_v${f ? 'f' : ''}${op}_vv_${s}(${x}, ${y}, vl)`;
    case 'div':
      return f ? `__riscv_vfdiv_vv_${s}(${x}, ${y}, vl)` : `${laneHelper(ctx, l, 'div')}(${x}, ${y}, vl)`;
    case 'max':
    case 'min':
      return f ? `${laneHelper(ctx, l, `f${op}`)}(${x}, ${y}, vl)` : `__riscv_v${op}${u ? 'u' : ''}_vv_${s}(${x}, ${y}, vl)`;
    case 'neg':
      return u ? null : `__riscv_v${f ? 'f' : ''}neg_v_${s}(${x}, vl)`;
    case 'abs':
      return f ? `__riscv_vfabs_v_${s}(${x}, vl)` : u ? x! : `${laneHelper(ctx, l, 'abs')}(${x}, vl)`;
    case 'sqrt':
      return f ? `__riscv_vfsqrt_v_${s}(${x}, vl)` : null;
    case 'relu':
      return l.kind === 'i' ? `__riscv_vmax_vx_${s}(${x}, 0, vl)` : null;
    case 'leaky_relu':
      return l.kind === 'i' ? `${laneHelper(ctx, l, 'leaky')}(${x}, ${y}, vl)` : null;
    case 'pow':
      return f ? null : `${laneHelper(ctx, l, 'pow')}(${x}, ${y}, vl)`;
    case 'exp':
    case 'log':
      return f && l.sew === 64 ? `${defineF64Math(ctx, op)}(${x}, vl)` : null;
    default:
      return null;
  }
}

/*
 * f64 e^x and ln x on vfloat64m4_t, to about 1e-15 relative (the reference computes in double):
 *   e^x = 2^n e^r, n = round(x / ln 2), r = x - n ln 2 (ln 2 split hi + lo), |r| <= ln 2 / 2, e^r by its Taylor
 *   series to r^12 / 12! (Horner); 2^n = 2^(n/2) 2^(n - n/2), two factors built in the exponent field, so
 *   subnormal results come out; x < -745 gives 0, x > 709.78 inf, NaN itself.
 *   ln x = e ln 2 + 2 atanh(s), x = m 2^e with m in [sqrt(1/2), sqrt(2)), s = (m - 1) / (m + 1), |s| <= 0.172,
 *   atanh's odd series to s^21; a subnormal x is scaled by 2^54 first; ln 0 = -inf, ln of a negative or
 *   NaN = NaN, ln inf = inf.
 */
const F64_MATH: Readonly<Record<string, string>> = {
  exp: `static inline vfloat64m4_t edgec_vexp_f64(vfloat64m4_t x, size_t vl) {
  vbool16_t under = __riscv_vmflt_vf_f64m4_b16(x, -745.0, vl);
  vbool16_t over = __riscv_vmfgt_vf_f64m4_b16(x, 709.78, vl);
  vfloat64m4_t xc = __riscv_vfmax_vf_f64m4(__riscv_vfmin_vf_f64m4(x, 709.78, vl), -745.0, vl);
  vint64m4_t n = __riscv_vfcvt_x_f_v_i64m4(__riscv_vfmul_vf_f64m4(xc, 1.4426950408889634, vl), vl);
  vfloat64m4_t nf = __riscv_vfcvt_f_x_v_f64m4(n, vl);
  vfloat64m4_t r = __riscv_vfnmsac_vf_f64m4(xc, 6.93147180369123816490e-01, nf, vl);
  r = __riscv_vfnmsac_vf_f64m4(r, 1.90821492927058770002e-10, nf, vl);
  static const double c[13] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
  vfloat64m4_t p = __riscv_vfmv_v_f_f64m4(c[0], vl);
  for (int k = 1; k < 13; k++) p = __riscv_vfmadd_vv_f64m4(p, r, __riscv_vfmv_v_f_f64m4(c[k], vl), vl);
  vint64m4_t n1 = __riscv_vsra_vx_i64m4(n, 1, vl);
  vint64m4_t n2 = __riscv_vsub_vv_i64m4(n, n1, vl);
  vfloat64m4_t y = __riscv_vfmul_vv_f64m4(p, __riscv_vreinterpret_v_i64m4_f64m4(__riscv_vsll_vx_i64m4(__riscv_vadd_vx_i64m4(n1, 1023, vl), 52, vl)), vl);
  y = __riscv_vfmul_vv_f64m4(y, __riscv_vreinterpret_v_i64m4_f64m4(__riscv_vsll_vx_i64m4(__riscv_vadd_vx_i64m4(n2, 1023, vl), 52, vl)), vl);
  y = __riscv_vfmerge_vfm_f64m4(y, 0.0, under, vl);
  y = __riscv_vfmerge_vfm_f64m4(y, INFINITY, over, vl);
  return __riscv_vmerge_vvm_f64m4(y, x, __riscv_vmfne_vv_f64m4_b16(x, x, vl), vl);
}`,
  log: `static inline vfloat64m4_t edgec_vlog_f64(vfloat64m4_t x, size_t vl) {
  vbool16_t tiny = __riscv_vmand_mm_b16(__riscv_vmflt_vf_f64m4_b16(x, 2.2250738585072014e-308, vl), __riscv_vmfgt_vf_f64m4_b16(x, 0.0, vl), vl);
  vuint64m4_t bits = __riscv_vreinterpret_v_f64m4_u64m4(__riscv_vfmul_vf_f64m4_mu(tiny, x, x, 18014398509481984.0, vl));
  vint64m4_t e = __riscv_vsub_vx_i64m4(__riscv_vreinterpret_v_u64m4_i64m4(__riscv_vsrl_vx_u64m4(bits, 52, vl)), 1023, vl);
  e = __riscv_vsub_vx_i64m4_mu(tiny, e, e, 54, vl);
  vfloat64m4_t m = __riscv_vreinterpret_v_u64m4_f64m4(__riscv_vor_vx_u64m4(__riscv_vand_vx_u64m4(bits, 0x000FFFFFFFFFFFFFull, vl), 0x3FF0000000000000ull, vl));
  vbool16_t big = __riscv_vmfgt_vf_f64m4_b16(m, 1.4142135623730951, vl);
  m = __riscv_vmerge_vvm_f64m4(m, __riscv_vfmul_vf_f64m4(m, 0.5, vl), big, vl);
  e = __riscv_vadd_vx_i64m4_mu(big, e, e, 1, vl);
  vfloat64m4_t s = __riscv_vfdiv_vv_f64m4(__riscv_vfsub_vf_f64m4(m, 1.0, vl), __riscv_vfadd_vf_f64m4(m, 1.0, vl), vl);
  vfloat64m4_t s2 = __riscv_vfmul_vv_f64m4(s, s, vl);
  vfloat64m4_t p = __riscv_vfmv_v_f_f64m4(1.0 / 21.0, vl);
  for (int k = 19; k >= 1; k -= 2) p = __riscv_vfmadd_vv_f64m4(p, s2, __riscv_vfmv_v_f_f64m4(1.0 / k, vl), vl);
  vfloat64m4_t y = __riscv_vfmacc_vf_f64m4(__riscv_vfmul_vf_f64m4(__riscv_vfmul_vv_f64m4(p, s, vl), 2.0, vl), 6.93147180559945309417e-01, __riscv_vfcvt_f_x_v_f64m4(e, vl), vl);
  y = __riscv_vfmerge_vfm_f64m4(y, -INFINITY, __riscv_vmfeq_vf_f64m4_b16(x, 0.0, vl), vl);
  y = __riscv_vfmerge_vfm_f64m4(y, INFINITY, __riscv_vmfeq_vf_f64m4_b16(x, INFINITY, vl), vl);
  return __riscv_vfmerge_vfm_f64m4(y, NAN, __riscv_vmnot_m_b16(__riscv_vmfge_vf_f64m4_b16(x, 0.0, vl), vl), vl);
}`,
};

/** Defines the f64 vector helper of `op` (exp, log) once and returns its C name. */
function defineF64Math(ctx: CEmitContext, op: string): string {
  const name = `edgec_v${op}_f64`;
  ctx.helper(name, () => F64_MATH[op]!);
  return name;
}

type Lowered = { code: string } | { error: string };

/**
 * The expression on lane-l vectors, operand i being `operands[i]`; integer literals only (Clip's absent bounds,
 * the literals +-inf, are dropped rather than lowered).
 */
function lowerTyped(ctx: CEmitContext, l: Lane, e: Expr, operands: readonly string[]): Lowered {
  if (e.kind === 'operand') return { code: operands[e.index]! };
  if (e.kind === 'literal') {
    if (!isFloat(l) && !Number.isInteger(e.value)) return { error: `the literal ${e.value} has no ${l.kind}${l.sew} value` };
    return { code: splat(l, isFloat(l) ? String(e.value) : `${e.value}`) };
  }
  if (e.op === 'clip') {
    const [x, lo, hi] = e.args as [Expr, Expr, Expr];
    let r = lowerTyped(ctx, l, x, operands);
    const bound = (b: Expr, op: 'max' | 'min') => {
      if ('error' in r || (b.kind === 'literal' && !Number.isFinite(b.value))) return;
      const v = lowerTyped(ctx, l, b, operands);
      r = 'error' in v ? v : { code: lowerCall(ctx, l, op, [r.code, v.code])! };
    };
    bound(lo, 'max');
    bound(hi, 'min');
    return r;
  }
  const args: string[] = [];
  for (const a of e.args) {
    const v = lowerTyped(ctx, l, a, operands);
    if ('error' in v) return v;
    args.push(v.code);
  }
  const code = lowerCall(ctx, l, e.op, args);
  return code === null ? { error: `expression op ${e.op} has no rvv lowering on ${l.kind}${l.sew}` } : { code };
}

/** What a non-f32-expression node computes: the element lane, and C for a strip's result (given `v<k>`). */
interface TypedPlan {
  readonly lane: Lane;
  /** C storing the strip's result at `yo + j`, given the operand vectors v0, v1... */
  store(ctx: CEmitContext): string | { error: string };
}

/** The plan for a node, or why this kernel cannot run it. */
export function typedPlan(node: Node, expression: Expr | undefined): TypedPlan | string {
  const inputs = node.inputs.filter((v): v is Value => v !== null);
  const data = node.op === 'Where' ? inputs[1]! : inputs[0]!;
  const lane = laneOf(data.type.dtype);
  if (!lane) return `${node.op} on ${data.type.dtype} is not supported on rvv`;
  const same = (node.op === 'Where' ? inputs.slice(1) : inputs).find((v) => v.type.dtype !== data.type.dtype);
  if (same) return `mixed operand dtypes (${data.type.dtype} and ${same.type.dtype}) are not supported for ${node.op} on rvv`;
  const s = suffix(lane);
  const b = maskOf(lane);
  const f = isFloat(lane);
  switch (node.op) {
    case 'Where':
      if (inputs[0]!.type.dtype !== 'bool') return `Where needs a bool condition, got ${inputs[0]!.type.dtype}`;
      return { lane, store: () => `__riscv_vse${lane.sew}_v_${s}(yo + j, __riscv_vmerge_vvm_${s}(v2, v1, ${boolMask(lane, 'v0')}, vl), vl);` };
    case 'Equal':
      return { lane, store: () => storeMask(lane, `__riscv_vm${f ? 'f' : 's'}eq_vv_${s}_${b}(v0, v1, vl)`) };
    case 'Less':
    case 'Greater': {
      const [x, y] = node.op === 'Less' ? ['v0', 'v1'] : ['v1', 'v0'];
      const op = f ? 'vmflt' : lane.kind === 'u' ? 'vmsltu' : 'vmslt';
      return { lane, store: () => storeMask(lane, `__riscv_${op}_vv_${s}_${b}(${x}, ${y}, vl)`) };
    }
  }
  if (!expression) return `${node.op} has no expression for these attributes`;
  if (data.type.dtype === 'bool' || lane.kind === 'f' && lane.sew === 32) return `${node.op} on ${data.type.dtype} is not supported on rvv`;
  return {
    lane,
    store: (ctx) => {
      let present = 0;
      const operands = node.inputs.map((v) => (v ? `v${present++}` : ''));
      const r = lowerTyped(ctx, lane, expression, operands);
      return 'error' in r ? r : `__riscv_vse${lane.sew}_v_${s}(yo + j, ${r.code}, vl);`;
    },
  };
}

/** A check-only context: lowering defines no helpers. */
const DRY: CEmitContext = {
  ptr: () => '',
  weightsF32: () => '',
  weightsBytes: () => '',
  scratch: () => '',
  helper: () => undefined,
  planHelper: (_k, plan, name) => name(plan),
};

/** Why the typed kernel cannot run the node, or null. */
export function checkTyped(node: Node, expression: Expr | undefined): string | null {
  const plan = typedPlan(node, expression);
  if (typeof plan === 'string') return plan;
  const store = plan.store(DRY);
  return typeof store === 'string' ? null : store.error;
}

export function emitTyped(node: Node, expression: Expr | undefined, ctx: CEmitContext): string {
  const plan = typedPlan(node, expression);
  if (typeof plan === 'string') throw new Error(plan);
  const store = plan.store(ctx);
  if (typeof store !== 'string') throw new Error(store.error);
  const inputs = node.inputs.filter((v): v is Value => v !== null);
  const lane = plan.lane;
  const operandTypes = inputs.map((v) => C_TYPES[v.type.dtype]!);
  return emitBroadcastStrips(inputs, node.outputs[0]!, ctx, {
    operandTypes,
    resultType: C_TYPES[node.outputs[0]!.type.dtype]!,
    vset: `__riscv_vsetvl_e${lane.sew}m4`,
    load: (k, broadcast) => {
      const isBool = inputs[k]!.type.dtype === 'bool' && node.op === 'Where';
      if (isBool) return `vuint8${boolSuffix(lane).slice(2)}_t v${k} = ${broadcast ? `__riscv_vmv_v_x_${boolSuffix(lane)}(s${k}, vl)` : `__riscv_vle8_v_${boolSuffix(lane)}(q${k} + j, vl)`};`;
      return `${vectorType(lane)} v${k} = ${broadcast ? splat(lane, `s${k}`) : load(lane, `q${k} + j`)};`;
    },
    store,
  });
}
