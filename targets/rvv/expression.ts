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
};

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
