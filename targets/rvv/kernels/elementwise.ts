import { getOpSchema, nodeExpression, registeredOps, type Node } from '../../../ir/index.js';
import type { Expr } from '../../../ir/ops/expression.js';
import { collapseBroadcast } from '../../shared/broadcast.js';
import { cFloat, checkF32Static, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Elementwise f32 ops and FusedElementwise, all lowered through the one expression tree of ir/ops/expression.ts:
 * every op whose schema gives the expression it computes (Add, Relu, Clip...) runs here. The broadcast is collapsed
 * (shared/broadcast.ts) so the innermost axis is contiguous or broadcast for every operand; that axis is
 * strip-mined with LMUL=4 vectors, the outer axes are counted loops. Each strip reads every operand before
 * it writes, so plan-memory may put the result over a same-shaped operand.
 */

/** C for one expression op on vector arguments (`vl` in scope). */
const LOWERINGS: Readonly<Record<string, (a: string[]) => string>> = {
  add: ([x, y]) => `__riscv_vfadd_vv_f32m4(${x}, ${y}, vl)`,
  sub: ([x, y]) => `__riscv_vfsub_vv_f32m4(${x}, ${y}, vl)`,
  mul: ([x, y]) => `__riscv_vfmul_vv_f32m4(${x}, ${y}, vl)`,
  div: ([x, y]) => `__riscv_vfdiv_vv_f32m4(${x}, ${y}, vl)`,
  max: ([x, y]) => `edgec_vmax_nan(${x}, ${y}, vl)`,
  min: ([x, y]) => `edgec_vmin_nan(${x}, ${y}, vl)`,
  neg: ([x]) => `__riscv_vfneg_v_f32m4(${x}, vl)`,
  abs: ([x]) => `__riscv_vfabs_v_f32m4(${x}, vl)`,
  sqrt: ([x]) => `__riscv_vfsqrt_v_f32m4(${x}, vl)`,
  reciprocal: ([x]) => `__riscv_vfrdiv_vf_f32m4(${x}, 1.0f, vl)`,
  exp: ([x]) => `edgec_vexp(${x}, vl)`,
  tanh: ([x]) => `edgec_vtanh(${x}, vl)`,
  sigmoid: ([x]) => `edgec_vsigmoid(${x}, vl)`,
  erf: ([x]) => `edgec_verf(${x}, vl)`,
  relu: ([x]) => `__riscv_vfmax_vf_f32m4(${x}, 0.0f, vl)`,
  clip: ([x, lo, hi]) => `edgec_vclip(${x}, ${lo}, ${hi}, vl)`,
  leaky_relu: ([x, alpha]) => `edgec_vleaky(${x}, ${alpha}, vl)`,
  hard_sigmoid: ([x, a, b]) => `__riscv_vfmin_vf_f32m4(__riscv_vfmax_vf_f32m4(__riscv_vfmadd_vv_f32m4(${x}, ${a}, ${b}, vl), 0.0f, vl), 1.0f, vl)`,
  hard_swish: ([x]) => `edgec_vhard_swish(${x}, vl)`,
  gelu: ([x]) => `edgec_vgelu(${x}, vl)`,
  gelu_tanh: ([x]) => `edgec_vgelu_tanh(${x}, vl)`,
};

const HELPERS = `
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

/* x < 0 ? alpha x : x with a vector alpha (LeakyRelu's literal or PRelu's slope). */
static inline vf edgec_vleaky(vf x, vf alpha, size_t vl) {
  return __riscv_vmerge_vvm_f32m4(x, __riscv_vfmul_vv_f32m4(x, alpha, vl), __riscv_vmflt_vf_f32m4_b8(x, 0.0f, vl), vl);
}
`;

function unsupportedCall(e: Expr): string | null {
  if (e.kind !== 'call') return null;
  if (!LOWERINGS[e.op]) return `expression op ${e.op} has no rvv lowering`;
  for (const a of e.args) {
    const r = unsupportedCall(a);
    if (r) return r;
  }
  return null;
}

/** The node's expression; throws when its attributes have none (check() reports that). */
function expressionOf(node: Node): Expr {
  const expr = nodeExpression(node);
  if (!expr) throw new Error(`${node.op} has no expression for these attributes`);
  return expr;
}

/** C of the expression, operand i (the node's input i) being the vector variable `operands[i]`. */
function lower(e: Expr, operands: readonly string[]): string {
  if (e.kind === 'operand') return operands[e.index]!;
  if (e.kind === 'literal') return `VSPLAT(${cFloat(e.value)}, vl)`;
  return LOWERINGS[e.op]!(e.args.map((a) => lower(a, operands)));
}

function emitElementwise(node: Node, ctx: CEmitContext): string {
  ctx.helper('edgec_elementwise', () => HELPERS);
  const inputs = node.inputs.filter((v) => v !== null);
  // The expression numbers operands by input position; the loads below number the inputs present.
  let present = 0;
  const operandNames = node.inputs.map((v) => (v ? `v${present++}` : ''));
  const out = shapeOf(node.outputs[0]!);
  const { dims, strides } = collapseBroadcast(out, inputs.map(shapeOf));
  const outer = dims.slice(0, -1);
  const inner = dims[dims.length - 1]!;
  const lines = inputs.map((v, k) => `const float *p${k} = ${ctx.ptr(v)};`);
  lines.push(`float *y = ${ctx.ptr(node.outputs[0]!)};`);
  let indent = '';
  outer.forEach((d, a) => {
    lines.push(`${indent}for (long i${a} = 0; i${a} < ${d}; i${a}++) {`);
    indent += '  ';
  });
  const offset = (s: number[]) => outer.map((_, a) => (s[a] ? `i${a} * ${s[a]}` : '')).filter(Boolean).join(' + ') || '0';
  const outStrides = outer.map((_, a) => dims.slice(a + 1).reduce((x, y) => x * y, 1));
  inputs.forEach((_, k) => {
    const s = strides[k]!;
    lines.push(`${indent}const float *q${k} = p${k} + ${offset(s)};`);
    if (s[s.length - 1] === 0) lines.push(`${indent}const float s${k} = *q${k};`);
  });
  lines.push(`${indent}float *yo = y + ${offset(outStrides)};`);
  const operands = inputs.map((_, k) => (strides[k]![dims.length - 1] === 0 ? `VSPLAT(s${k}, vl)` : `VLD(q${k} + j, vl)`));
  const loads = inputs.map((_, k) => `${indent}  vf v${k} = ${operands[k]};`);
  lines.push(
    `${indent}for (long j = 0; j < ${inner};) {`,
    `${indent}  size_t vl = VSET((size_t)(${inner} - j));`,
    ...loads,
    `${indent}  VST(yo + j, ${lower(expressionOf(node), operandNames)}, vl);`,
    `${indent}  j += (long)vl;`,
    `${indent}}`,
  );
  for (let a = outer.length - 1; a >= 0; a--) lines.push(`${'  '.repeat(a)}}`);
  return lines.join('\n');
}

export const elementwiseKernels: RvvKernel = {
  ops: registeredOps().filter((op) => getOpSchema(op)!.expression),
  check(node) {
    const basic = checkF32Static(node);
    if (basic) return basic;
    const other = node.inputs.find((v) => v && v.type.dtype !== 'f32');
    if (other) return `operand %${other.name} is ${other.type.dtype}; rvv elementwise kernels take f32`;
    try {
      return unsupportedCall(expressionOf(node));
    } catch (e) {
      return (e as Error).message;
    }
  },
  emit: emitElementwise,
};
