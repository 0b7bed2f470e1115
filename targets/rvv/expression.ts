import { ACTIVATIONS, activationTemplate } from '../../ir/ops/activations.js';
import { expressionOps, type Expr } from '../../ir/ops/expression.js';
import { cFloat } from './kernel.js';

/**
 * The expression language of ir/ops/expression.ts in C with RVV intrinsics, on `vf` (vfloat32m4_t) values with
 * `vl` in scope: elementwise kernels lower their op's expression with it, and the FusedConv / FusedGemm
 * activation switch (edgec_act, in the prelude) is generated from each activation's expression, so the one
 * definition of an op or activation is the IR's.
 */

/**
 * An operand or literal in C: a vector expression, or a float that every lane holds (a literal, a broadcast
 * scalar operand, a run-time activation param), for which operators have cheaper .vf forms.
 */
export type Operand = { readonly vector: string } | { readonly scalar: string };

const vec = (a: Operand): string => ('vector' in a ? a.vector : `VSPLAT(${a.scalar}, vl)`);
const scalars = (...args: Operand[]): string[] | null => (args.every((a) => 'scalar' in a) ? args.map((a) => (a as { scalar: string }).scalar) : null);

/** C for one expression op (`vl` in scope). */
const LOWERINGS: Readonly<Record<string, (a: Operand[]) => string>> = {
  add: ([x, y]) => `__riscv_vfadd_vv_f32m4(${vec(x!)}, ${vec(y!)}, vl)`,
  sub: ([x, y]) => `__riscv_vfsub_vv_f32m4(${vec(x!)}, ${vec(y!)}, vl)`,
  mul: ([x, y]) => `__riscv_vfmul_vv_f32m4(${vec(x!)}, ${vec(y!)}, vl)`,
  div: ([x, y]) => `__riscv_vfdiv_vv_f32m4(${vec(x!)}, ${vec(y!)}, vl)`,
  max: ([x, y]) => `edgec_vmax_nan(${vec(x!)}, ${vec(y!)}, vl)`,
  min: ([x, y]) => `edgec_vmin_nan(${vec(x!)}, ${vec(y!)}, vl)`,
  neg: ([x]) => `__riscv_vfneg_v_f32m4(${vec(x!)}, vl)`,
  abs: ([x]) => `__riscv_vfabs_v_f32m4(${vec(x!)}, vl)`,
  sqrt: ([x]) => `__riscv_vfsqrt_v_f32m4(${vec(x!)}, vl)`,
  reciprocal: ([x]) => `__riscv_vfrdiv_vf_f32m4(${vec(x!)}, 1.0f, vl)`,
  exp: ([x]) => `edgec_vexp(${vec(x!)}, vl)`,
  tanh: ([x]) => `edgec_vtanh(${vec(x!)}, vl)`,
  sigmoid: ([x]) => `edgec_vsigmoid(${vec(x!)}, vl)`,
  erf: ([x]) => `edgec_verf(${vec(x!)}, vl)`,
  relu: ([x]) => `edgec_vrelu(${vec(x!)}, vl)`,
  clip: ([x, lo, hi]) => {
    const s = scalars(lo!, hi!);
    return s ? `edgec_vclip_f(${vec(x!)}, ${s[0]}, ${s[1]}, vl)` : `edgec_vclip(${vec(x!)}, ${vec(lo!)}, ${vec(hi!)}, vl)`;
  },
  leaky_relu: ([x, alpha]) => {
    const s = scalars(alpha!);
    return s ? `edgec_vleaky_f(${vec(x!)}, ${s[0]}, vl)` : `edgec_vleaky(${vec(x!)}, ${vec(alpha!)}, vl)`;
  },
  hard_sigmoid: ([x, a, b]) => {
    const s = scalars(a!, b!);
    if (s) return `edgec_vhard_sigmoid(${vec(x!)}, ${s[0]}, ${s[1]}, vl)`;
    return `edgec_vclip_f(__riscv_vfmadd_vv_f32m4(${vec(x!)}, ${vec(a!)}, ${vec(b!)}, vl), 0.0f, 1.0f, vl)`;
  },
  hard_swish: ([x]) => `edgec_vhard_swish(${vec(x!)}, vl)`,
  gelu: ([x]) => `edgec_vgelu(${vec(x!)}, vl)`,
  gelu_tanh: ([x]) => `edgec_vgelu_tanh(${vec(x!)}, vl)`,
  log: ([x]) => `edgec_vlog(${vec(x!)}, vl)`,
  pow: ([x, y]) => `edgec_vpow(${vec(x!)}, ${vec(y!)}, vl)`,
  floor: ([x]) => `edgec_vfloor(${vec(x!)}, vl)`,
  ceil: ([x]) => `edgec_vceil(${vec(x!)}, vl)`,
};

/**
 * Vector math some lowerings call beyond the prelude, defined in model.c only by the kernels that use it
 * (defineExpressionHelpers), in dependency order.
 */
const OP_HELPERS: Readonly<Record<string, readonly string[]>> = {
  log: ['log'],
  floor: ['round'],
  ceil: ['round'],
  pow: ['round', 'log', 'pow'],
};

const HELPER_CODE: Readonly<Record<string, string>> = {
  /*
   * floor / ceil: convert to an integer with the static rounding mode and back; |x| >= 2^23 (already
   * integral), inf and NaN pass unchanged, and the sign of x is kept so -0.5 rounds up to -0.
   */
  round: `
static inline vf edgec_vround_rm(vf x, vf r, size_t vl) {
  vbool8_t small = __riscv_vmflt_vf_f32m4_b8(__riscv_vfabs_v_f32m4(x, vl), 8388608.0f, vl);
  return __riscv_vmerge_vvm_f32m4(x, __riscv_vfsgnj_vv_f32m4(r, x, vl), small, vl);
}
static inline vf edgec_vfloor(vf x, size_t vl) {
  return edgec_vround_rm(x, __riscv_vfcvt_f_x_v_f32m4(__riscv_vfcvt_x_f_v_i32m4_rm(x, __RISCV_FRM_RDN, vl), vl), vl);
}
static inline vf edgec_vceil(vf x, size_t vl) {
  return edgec_vround_rm(x, __riscv_vfcvt_f_x_v_f32m4(__riscv_vfcvt_x_f_v_i32m4_rm(x, __RISCV_FRM_RUP, vl), vl), vl);
}
`,
  /*
   * ln x (Cephes logf): x = m 2^e with m in [sqrt(1/2), sqrt 2), log(1 + t) = t - t^2/2 + t^3 P(t) for t = m - 1,
   * plus e ln 2 split in two; denormals are scaled by 2^23 first. 0 -> -inf, +inf -> +inf, x < 0 or NaN -> NaN.
   */
  log: `
static inline vf edgec_vlog(vf x, size_t vl) {
  vbool8_t tiny = __riscv_vmflt_vf_f32m4_b8(x, 1.17549435e-38f, vl);
  vint32m4_t bits = __riscv_vreinterpret_v_f32m4_i32m4(__riscv_vmerge_vvm_f32m4(x, __riscv_vfmul_vf_f32m4(x, 8388608.0f, vl), tiny, vl));
  vint32m4_t e = __riscv_vsub_vx_i32m4(__riscv_vsra_vx_i32m4(bits, 23, vl), 126, vl);
  e = __riscv_vmerge_vvm_i32m4(e, __riscv_vsub_vx_i32m4(e, 23, vl), tiny, vl);
  vf m = __riscv_vreinterpret_v_i32m4_f32m4(__riscv_vor_vx_i32m4(__riscv_vand_vx_i32m4(bits, 0x007fffff, vl), 0x3f000000, vl));
  vbool8_t low = __riscv_vmflt_vf_f32m4_b8(m, 0.70710678118654752f, vl);
  e = __riscv_vmerge_vvm_i32m4(e, __riscv_vsub_vx_i32m4(e, 1, vl), low, vl);
  vf ef = __riscv_vfcvt_f_x_v_f32m4(e, vl);
  vf t = __riscv_vfsub_vf_f32m4(__riscv_vmerge_vvm_f32m4(m, __riscv_vfadd_vv_f32m4(m, m, vl), low, vl), 1.0f, vl);
  vf z = __riscv_vfmul_vv_f32m4(t, t, vl);
  vf p = VSPLAT(7.0376836292e-2f, vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(-1.1514610310e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(1.1676998740e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(-1.2420140846e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(1.4249322787e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(-1.6668057665e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(2.0000714765e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(-2.4999993993e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(3.3333331174e-1f, vl), vl);
  vf y = __riscv_vfmul_vv_f32m4(__riscv_vfmul_vv_f32m4(p, t, vl), z, vl);
  y = __riscv_vfmacc_vf_f32m4(y, -2.12194440e-4f, ef, vl);
  y = __riscv_vfnmsac_vf_f32m4(y, 0.5f, z, vl);
  vf r = __riscv_vfmacc_vf_f32m4(__riscv_vfadd_vv_f32m4(t, y, vl), 0.693359375f, ef, vl);
  r = __riscv_vfmerge_vfm_f32m4(r, -INFINITY, __riscv_vmfeq_vf_f32m4_b8(x, 0.0f, vl), vl);
  r = __riscv_vfmerge_vfm_f32m4(r, INFINITY, __riscv_vmfeq_vf_f32m4_b8(x, INFINITY, vl), vl);
  return __riscv_vfmerge_vfm_f32m4(r, NAN, __riscv_vmnot_m_b8(__riscv_vmfge_vf_f32m4_b8(x, 0.0f, vl), vl), vl);
}
`,
  /*
   * x ** y as the reference (JS) computes it, via exp(y ln|x|): the sign of x for odd integer y, NaN for a negative
   * finite x and non-integer y, 1 for y = 0; y ln|x| beyond exp's range gives +inf or 0.
   */
  pow: `
static inline vf edgec_vpow(vf x, vf y, size_t vl) {
  vf l = __riscv_vfmul_vv_f32m4(y, edgec_vlog(__riscv_vfabs_v_f32m4(x, vl), vl), vl);
  vf r = edgec_vexp(l, vl);
  r = __riscv_vfmerge_vfm_f32m4(r, INFINITY, __riscv_vmfgt_vf_f32m4_b8(l, 88.7228391f, vl), vl);
  r = __riscv_vfmerge_vfm_f32m4(r, 0.0f, __riscv_vmflt_vf_f32m4_b8(l, -103.972077f, vl), vl);
  vbool8_t yint = __riscv_vmfeq_vv_f32m4_b8(edgec_vfloor(y, vl), y, vl);
  vf half = __riscv_vfmul_vf_f32m4(y, 0.5f, vl);
  vbool8_t odd = __riscv_vmand_mm_b8(yint, __riscv_vmfne_vv_f32m4_b8(edgec_vfloor(half, vl), half, vl), vl);
  vbool8_t sign = __riscv_vmslt_vx_i32m4_b8(__riscv_vreinterpret_v_f32m4_i32m4(x), 0, vl);
  r = __riscv_vmerge_vvm_f32m4(r, __riscv_vfneg_v_f32m4(r, vl), __riscv_vmand_mm_b8(sign, odd, vl), vl);
  vbool8_t negative = __riscv_vmand_mm_b8(__riscv_vmflt_vf_f32m4_b8(x, 0.0f, vl), __riscv_vmfne_vf_f32m4_b8(x, -INFINITY, vl), vl);
  r = __riscv_vfmerge_vfm_f32m4(r, NAN, __riscv_vmandn_mm_b8(negative, yint, vl), vl);
  return __riscv_vfmerge_vfm_f32m4(r, 1.0f, __riscv_vmfeq_vf_f32m4_b8(y, 0.0f, vl), vl);
}
`,
};

/** Defines (once per model) the helpers the expression's lowerings call beyond the prelude. */
export function defineExpressionHelpers(e: Expr, helper: (key: string, code: () => string) => void): void {
  for (const op of expressionOps(e)) for (const name of OP_HELPERS[op] ?? []) helper(`expression:${name}`, () => HELPER_CODE[name]!);
}

/** The C helpers the lowerings call, beyond the prelude's vector math (part of the prelude). */
export const EXPRESSION_HELPERS = `
/*
 * ONNX Max / Min propagate NaN, and Clip lets it through; vfmax / vfmin return the other operand instead,
 * so NaN lanes are patched back in (x + y is NaN where either is).
 */
static inline vf edgec_vmax_nan(vf x, vf y, size_t vl) {
  vbool8_t nan = __riscv_vmor_mm_b8(__riscv_vmfne_vv_f32m4_b8(x, x, vl), __riscv_vmfne_vv_f32m4_b8(y, y, vl), vl);
  return __riscv_vmerge_vvm_f32m4(__riscv_vfmax_vv_f32m4(x, y, vl), __riscv_vfadd_vv_f32m4(x, y, vl), nan, vl);
}
static inline vf edgec_vmin_nan(vf x, vf y, size_t vl) {
  vbool8_t nan = __riscv_vmor_mm_b8(__riscv_vmfne_vv_f32m4_b8(x, x, vl), __riscv_vmfne_vv_f32m4_b8(y, y, vl), vl);
  return __riscv_vmerge_vvm_f32m4(__riscv_vfmin_vv_f32m4(x, y, vl), __riscv_vfadd_vv_f32m4(x, y, vl), nan, vl);
}
static inline vf edgec_vclip(vf x, vf lo, vf hi, size_t vl) {
  vf r = __riscv_vfmin_vv_f32m4(__riscv_vfmax_vv_f32m4(x, lo, vl), hi, vl);
  return __riscv_vmerge_vvm_f32m4(r, x, __riscv_vmfne_vv_f32m4_b8(x, x, vl), vl);
}
static inline vf edgec_vclip_f(vf x, float lo, float hi, size_t vl) {
  vf r = __riscv_vfmin_vf_f32m4(__riscv_vfmax_vf_f32m4(x, lo, vl), hi, vl);
  return __riscv_vmerge_vvm_f32m4(r, x, __riscv_vmfne_vv_f32m4_b8(x, x, vl), vl);
}

/* x < 0 ? 0 : x; vfmax would turn NaN into 0. */
static inline vf edgec_vrelu(vf x, size_t vl) {
  return __riscv_vfmerge_vfm_f32m4(x, 0.0f, __riscv_vmflt_vf_f32m4_b8(x, 0.0f, vl), vl);
}

/* x < 0 ? alpha x : x with a vector alpha (LeakyRelu's literal or PRelu's slope). */
static inline vf edgec_vleaky(vf x, vf alpha, size_t vl) {
  return __riscv_vmerge_vvm_f32m4(x, __riscv_vfmul_vv_f32m4(x, alpha, vl), __riscv_vmflt_vf_f32m4_b8(x, 0.0f, vl), vl);
}
static inline vf edgec_vleaky_f(vf x, float alpha, size_t vl) {
  return __riscv_vmerge_vvm_f32m4(x, __riscv_vfmul_vf_f32m4(x, alpha, vl), __riscv_vmflt_vf_f32m4_b8(x, 0.0f, vl), vl);
}
`;

/** The first operator of the tree with no lowering, or null. */
export function unsupportedExpressionOp(e: Expr): string | null {
  const op = [...expressionOps(e)].find((o) => !LOWERINGS[o]);
  return op === undefined ? null : `expression op ${op} has no rvv lowering`;
}

/** C of the expression (a vector), operand i being `operands[i]`. */
export function lowerExpression(e: Expr, operands: readonly Operand[]): string {
  return vec(lowerOperand(e, operands));
}

function lowerOperand(e: Expr, operands: readonly Operand[]): Operand {
  if (e.kind === 'operand') return operands[e.index]!;
  if (e.kind === 'literal') return { scalar: cFloat(e.value) };
  return { vector: LOWERINGS[e.op]!(e.args.map((a) => lowerOperand(a, operands))) };
}

/** The activation's number in edgec_act's switch: its place in ir/ops/activations.ts (None is 0). */
export function activationCode(name: string): number {
  return Object.keys(ACTIVATIONS).indexOf(name);
}

/**
 * edgec_act(x, act, p0, p1): the activation numbered `act` with params p0, p1, each case the activation's
 * expression lowered with its params as splats of the run-time p0, p1 (one GEMM or depthwise kernel serves nodes
 * of every activation).
 */
export function activationSwitch(): string {
  const cases = Object.keys(ACTIVATIONS).flatMap((name) => {
    const code = activationCode(name);
    return code === 0 ? [] : [`    case ${code}: return ${lowerExpression(activationTemplate(name), [{ vector: 'x' }, { scalar: 'p0' }, { scalar: 'p1' }])};`];
  });
  return [
    '/* The activation of FusedConv / FusedGemm, numbered by targets/rvv/expression.ts from ir/ops/activations.ts. */',
    'static inline vf edgec_act(vf x, int act, float p0, float p1, size_t vl) {',
    '  switch (act) {',
    ...cases,
    '    default: return x;',
    '  }',
    '}',
  ].join('\n');
}
