import { getAttr, type Node } from '../../../ir/index.js';
import { exprCall, exprLiteral, exprOperand, parseExpression, type Expr } from '../../../ir/ops/fused.js';
import { collapseBroadcast } from '../../shared/broadcast.js';
import { cFloat, checkF32Static, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Elementwise f32 ops and FusedElementwise, all lowered through the one expression tree of ir/ops/fused.ts:
 * a plain op (Add, Relu, Clip...) is first written as the expression it computes. The broadcast is collapsed
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

const UNARY: Readonly<Record<string, string>> = {
  Abs: 'abs', Neg: 'neg', Sqrt: 'sqrt', Exp: 'exp', Reciprocal: 'reciprocal', Tanh: 'tanh', Sigmoid: 'sigmoid', Relu: 'relu', Erf: 'erf', HardSwish: 'hard_swish',
};
const BINARY: Readonly<Record<string, string>> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div' };
const VARIADIC: Readonly<Record<string, string>> = { Sum: 'add', Max: 'max', Min: 'min', Mean: 'add' };

/** The expression a node computes over its non-null inputs (operand k = k-th non-null input). */
function expressionOf(node: Node): Expr {
  const x = (i: number) => exprOperand(i);
  const op = node.op;
  if (op === 'FusedElementwise') return parseExpression(getAttr<string>(node, 'expression'));
  if (UNARY[op]) return exprCall(UNARY[op]!, x(0));
  if (BINARY[op]) return exprCall(BINARY[op]!, x(0), x(1));
  if (VARIADIC[op]) {
    let e = x(0);
    for (let i = 1; i < node.inputs.length; i++) e = exprCall(VARIADIC[op]!, e, x(i));
    return op === 'Mean' ? exprCall('div', e, exprLiteral(node.inputs.length)) : e;
  }
  switch (op) {
    case 'LeakyRelu':
      return exprCall('leaky_relu', x(0), exprLiteral(getAttr<number>(node, 'alpha')));
    case 'PRelu':
      return exprCall('leaky_relu', x(0), x(1));
    case 'HardSigmoid':
      return exprCall('hard_sigmoid', x(0), exprLiteral(getAttr<number>(node, 'alpha')), exprLiteral(getAttr<number>(node, 'beta')));
    case 'Gelu':
      return exprCall(getAttr<string>(node, 'approximate') === 'tanh' ? 'gelu_tanh' : 'gelu', x(0));
    case 'Clip': {
      let next = 1;
      const bound = (i: number, fallback: number) => (node.inputs[i] ? x(next++) : exprLiteral(fallback));
      const lo = bound(1, -Infinity);
      return exprCall('clip', x(0), lo, bound(2, Infinity));
    }
  }
  throw new Error(`no expression for ${op}`);
}

function unsupportedCall(e: Expr): string | null {
  if (e.kind !== 'call') return null;
  if (!LOWERINGS[e.op]) return `expression op ${e.op} has no rvv lowering`;
  for (const a of e.args) {
    const r = unsupportedCall(a);
    if (r) return r;
  }
  return null;
}

function lower(e: Expr, operands: string[]): string {
  if (e.kind === 'operand') return operands[e.index]!;
  if (e.kind === 'literal') return `VSPLAT(${cFloat(e.value)}, vl)`;
  return LOWERINGS[e.op]!(e.args.map((a) => lower(a, operands)));
}

function emitElementwise(node: Node, ctx: CEmitContext): string {
  ctx.helper('edgec_elementwise', () => HELPERS);
  const inputs = node.inputs.filter((v) => v !== null);
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
    `${indent}  VST(yo + j, ${lower(expressionOf(node), inputs.map((_, k) => `v${k}`))}, vl);`,
    `${indent}  j += (long)vl;`,
    `${indent}}`,
  );
  for (let a = outer.length - 1; a >= 0; a--) lines.push(`${'  '.repeat(a)}}`);
  return lines.join('\n');
}

export const elementwiseKernels: RvvKernel = {
  ops: [...Object.keys(UNARY), ...Object.keys(BINARY), ...Object.keys(VARIADIC), 'LeakyRelu', 'PRelu', 'HardSigmoid', 'Gelu', 'Clip', 'FusedElementwise'],
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
