import { getOpSchema, nodeExpression, registeredOps, type Node } from '../../../ir/index.js';
import type { Expr } from '../../../ir/ops/expression.js';
import { lowerExpression, unsupportedExpressionOp } from '../expression.js';
import { collapseBroadcast } from '../../shared/broadcast.js';
import { checkF32, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Elementwise f32 ops and FusedElementwise, all lowered through the one expression tree of ir/ops/expression.ts:
 * every op whose schema gives the expression it computes (Add, Relu, Clip...) runs here. The broadcast is collapsed
 * (shared/broadcast.ts) so the innermost axis is contiguous or broadcast for every operand; that axis is
 * strip-mined with LMUL=4 vectors, the outer axes are counted loops. Each strip reads every operand before
 * it writes, so plan-memory may put the result over a same-shaped operand.
 */

/** The node's expression; throws when its attributes have none (check() reports that). */
function expressionOf(node: Node): Expr {
  const expr = nodeExpression(node);
  if (!expr) throw new Error(`${node.op} has no expression for these attributes`);
  return expr;
}

function emitElementwise(node: Node, ctx: CEmitContext): string {
  const inputs = node.inputs.filter((v) => v !== null);
  // The expression numbers operands by input position; the loads below number the inputs present.
  let present = 0;
  const operands = node.inputs.map((v) => ({ vector: v ? `v${present++}` : '' }));
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
  const loads = inputs.map((_, k) => `${indent}  vf v${k} = ${strides[k]![dims.length - 1] === 0 ? `VSPLAT(s${k}, vl)` : `VLD(q${k} + j, vl)`};`);
  lines.push(
    `${indent}for (long j = 0; j < ${inner};) {`,
    `${indent}  size_t vl = VSET((size_t)(${inner} - j));`,
    ...loads,
    `${indent}  VST(yo + j, ${lowerExpression(expressionOf(node), operands)}, vl);`,
    `${indent}  j += (long)vl;`,
    `${indent}}`,
  );
  for (let a = outer.length - 1; a >= 0; a--) lines.push(`${'  '.repeat(a)}}`);
  return lines.join('\n');
}

export const elementwiseKernels: RvvKernel = {
  ops: registeredOps().filter((op) => getOpSchema(op)!.expression),
  check(node) {
    const basic = checkF32(node);
    if (basic) return basic;
    const other = node.inputs.find((v) => v && v.type.dtype !== 'f32');
    if (other) return `operand %${other.name} is ${other.type.dtype}; rvv elementwise kernels take f32`;
    try {
      return unsupportedExpressionOp(expressionOf(node));
    } catch (e) {
      return (e as Error).message;
    }
  },
  emit: emitElementwise,
};
