import { getAttr, type Node } from '../../../ir/index.js';
import { exprCall, exprLiteral, exprOperand, parseExpression, type Expr } from '../../../ir/ops/fused.js';
import { elementwiseExpression } from '../../../passes/fuse-elementwise.js';
import { EXPRESSION_PRELUDE, lowerExpression, unsupportedExpressionOp } from '../expression.js';
import { at, product, shapeOf, type GpuKernel } from '../kernel.js';
import { bindings, broadcastIndex, elementKernel } from '../wgsl.js';
import { needsStaticF32 } from './common.js';

/**
 * Elementwise f32 ops and FusedElementwise: one invocation per output element evaluates the expression tree,
 * each operand read through its own broadcast index (constant strides; same-shaped operands read index i).
 */
const OPS = [
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil',
  'Tanh', 'Sigmoid', 'Relu', 'Erf', 'HardSwish', 'Clip', 'LeakyRelu', 'HardSigmoid', 'Gelu', 'FusedElementwise',
  'Sum', 'Mean', 'PRelu',
];

/** Ops fuse-elementwise leaves alone (it only fuses what it can chain) but whose expressions are simple. */
function ownExpression(node: Node): Expr | undefined {
  const operands = node.inputs.flatMap((v, i) => (v ? [exprOperand(i)] : []));
  if (operands.length === 0) return undefined;
  const sum = operands.reduce((acc, x) => exprCall('add', acc, x));
  if (node.op === 'Sum') return sum;
  if (node.op === 'Mean') return exprCall('div', sum, exprLiteral(operands.length));
  // PRelu: the slope is an operand broadcast like any other.
  if (node.op === 'PRelu') return exprCall('leaky_relu', exprOperand(0), exprOperand(1));
  return undefined;
}

function expressionOf(node: Node): Expr | undefined {
  if (node.op === 'FusedElementwise') return parseExpression(getAttr<string>(node, 'expression'));
  return elementwiseExpression(node) ?? ownExpression(node);
}

export const elementwiseKernels: GpuKernel = {
  ops: OPS,
  check(node) {
    const bad = needsStaticF32(node);
    if (bad) return bad;
    const expr = expressionOf(node);
    if (!expr) return `${node.op} has no expression form`;
    const op = unsupportedExpressionOp(expr);
    return op ? `expression operator ${op} has no WGSL lowering` : null;
  },
  emit(node, ctx) {
    const out = node.outputs[0]!;
    const dims = shapeOf(out);
    const expr = expressionOf(node)!;
    const lines: string[] = [];
    node.inputs.forEach((v, k) => {
      if (!v) return;
      const shape = shapeOf(v);
      const loc = ctx.locate(v);
      let index: string;
      if (product(shape) === 1) index = '0u';
      else if (shape.join() === dims.join()) index = 'i';
      else {
        lines.push(`  ${broadcastIndex(`j${k}`, 'i', shape, dims)}`);
        index = `j${k}`;
      }
      lines.push(`  let x${k} = ${at(loc, index)};`);
    });
    const value = lowerExpression(expr, (k) => `x${k}`);
    lines.push(`  ${at(ctx.locate(out), 'i')} = ${value};`);
    const { code, workgroups } = elementKernel(product(dims), ctx.options.workgroupSize, lines.join('\n'));
    return [{ code: `${bindings('f32')}\n${EXPRESSION_PRELUDE}\n${code}\n`, workgroups }];
  },
};
