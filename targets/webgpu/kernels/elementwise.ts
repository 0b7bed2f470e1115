import { getOpSchema, nodeExpression, registeredOps } from '../../../ir/index.js';
import { EXPRESSION_PRELUDE, lowerExpression, unsupportedExpressionOp } from '../expression.js';
import { at, product, shapeOf, type GpuKernel } from '../kernel.js';
import { bindings, broadcastIndex, elementKernel } from '../wgsl.js';
import { needsF32 } from './common.js';

/**
 * Elementwise f32 ops and FusedElementwise: every op whose schema gives its expression (ir/ops/expression.ts).
 * One invocation per output element evaluates the expression tree, each operand read through its own broadcast
 * index (constant strides; same-shaped operands read index i).
 */
const OPS = registeredOps().filter((op) => getOpSchema(op)!.expression);

export const elementwiseKernels: GpuKernel = {
  ops: OPS,
  check(node) {
    const bad = needsF32(node);
    if (bad) return bad;
    const expr = nodeExpression(node);
    if (!expr) return `${node.op} has no expression form`;
    const op = unsupportedExpressionOp(expr);
    return op ? `expression operator ${op} has no WGSL lowering` : null;
  },
  emit(node, ctx) {
    const out = node.outputs[0]!;
    const dims = shapeOf(out);
    const expr = nodeExpression(node)!;
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
