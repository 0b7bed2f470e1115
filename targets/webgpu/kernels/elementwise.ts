import { getOpSchema, nodeExpression, registeredOps, type DType, type Node } from '../../../ir/index.js';
import { EXPRESSION_PRELUDE, lowerExpression, unsupportedExpressionOp } from '../expression.js';
import { at, product, shapeOf, type GpuKernel, type ValueLocation } from '../kernel.js';
import { bindings, broadcastIndex, elementKernel } from '../wgsl.js';
import { needsF32 } from './common.js';
import { emitHalfElementwise, halfElementwiseProblem, involvesHalf } from './half.js';
import { emitIntegerElementwise, INT_CLASS, integerProblem } from './integer.js';

/**
 * Elementwise ops and FusedElementwise: every op whose schema gives its expression (ir/ops/expression.ts), on
 * f32 here, on integers through integer.ts and on f16 / bf16 (computed in f32) through half.ts.
 * One invocation per output element evaluates the expression tree, each operand read through its own broadcast
 * index (constant strides; same-shaped operands read index i).
 */
const OPS = registeredOps().filter((op) => getOpSchema(op)!.expression);

/** Integer results run the exact integer kernel (integer.ts); f32 ones the expression in f32. */
const isInteger = (node: Node) => INT_CLASS[node.outputs[0]!.type.dtype] !== undefined;

export const elementwiseKernels: GpuKernel = {
  ops: OPS,
  check(node) {
    if (isInteger(node)) return integerProblem(node);
    if (involvesHalf(node)) return halfElementwiseProblem(node);
    // An f32 Pow may take an integer exponent (read as f32).
    const bad = node.op === 'Pow' && INT_CLASS[node.inputs[1]!.type.dtype] ? needsF32(node, [0]) : needsF32(node);
    if (bad) return bad;
    const expr = nodeExpression(node);
    if (!expr) return `${node.op} has no expression form`;
    const op = unsupportedExpressionOp(expr);
    return op ? `expression operator ${op} has no WGSL lowering` : null;
  },
  emit(node, ctx) {
    if (isInteger(node)) return emitIntegerElementwise(node, ctx);
    if (involvesHalf(node)) return emitHalfElementwise(node, ctx);
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
      lines.push(`  let x${k} = ${INT_CLASS[v.type.dtype] ? intAsF32(v.type.dtype, loc, index) : at(loc, index)};`);
    });
    const value = lowerExpression(expr, (k) => `x${k}`);
    lines.push(`  ${at(ctx.locate(out), 'i')} = ${value};`);
    const { code, workgroups } = elementKernel(product(dims), ctx.options.workgroupSize, lines.join('\n'));
    return [{ code: `${bindings('f32')}\n${EXPRESSION_PRELUDE}\n${code}\n`, workgroups }];
  },
};

/** An integer element `index` of an operand as f32 (rounded to nearest; 64-bit ones as high * 2^32 + low), from the f32-typed buffers. */
function intAsF32(dtype: DType, loc: ValueLocation, index: string): string {
  const word = (w: string) => `bitcast<u32>(${at(loc, w)})`;
  switch (dtype) {
    case 'i8':
      return `f32(bitcast<i32>(${word(`(${index} >> 2u)`)} << (24u - 8u * (${index} & 3u))) >> 24u)`;
    case 'u8':
      return `f32((${word(`(${index} >> 2u)`)} >> (8u * (${index} & 3u))) & 0xffu)`;
    case 'i16':
      return `f32(bitcast<i32>(${word(`(${index} >> 1u)`)} << (16u - 16u * (${index} & 1u))) >> 16u)`;
    case 'u16':
      return `f32((${word(`(${index} >> 1u)`)} >> (16u * (${index} & 1u))) & 0xffffu)`;
    case 'i32':
      return `f32(bitcast<i32>(${at(loc, index)}))`;
    case 'u32':
      return `f32(${word(index)})`;
    case 'i64': {
      // Exact through i32 when the high word only extends the low word's sign (no cancellation of rounded halves).
      const [lo, hi] = [word(`2u * ${index}`), word(`2u * ${index} + 1u`)];
      return `select(f32(bitcast<i32>(${hi})) * 4294967296.0 + f32(${lo}), f32(bitcast<i32>(${lo})), ${hi} == bitcast<u32>(bitcast<i32>(${lo}) >> 31u))`;
    }
    default:
      return `(f32(${word(`2u * ${index} + 1u`)}) * 4294967296.0 + f32(${word(`2u * ${index}`)}))`;
  }
}
