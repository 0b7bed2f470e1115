// FusedConv / FusedGemm extend the Conv and Gemm schemas, so those must be registered first.
import './nn.js';
import { getAttr, getOpSchema, registerOp, type AttrSpec, type InferContext } from './registry.js';
import { broadcastOperands, expectSameDType, FLOAT_TYPES, operand, optional, schema, variadic } from './common.js';
import { resolveActivation } from './activations.js';
import { expressionOperands, formatExpression, parseExpression, substituteOperands, type Expr } from './expression.js';
import { formatType, tensorType, UNKNOWN_DIM, type TensorType } from '../types.js';

/**
 * Fused ops the optimizer creates; every target lowers them (ONNX Runtime's com.microsoft FusedConv/FusedGemm
 * are the precedent):
 *
 * - FusedConv(X, W, B?, Z?)    y = act(conv(X, W) + B + Z), all Conv attributes plus `activation`
 * - FusedGemm(A, B, C?)        y = act(alpha A'B' + beta C), all Gemm attributes plus `activation`
 * - FusedElementwise(x0, ...)  y = the `expression` tree over the operands, broadcasting like ONNX
 *
 * N-D MatMul + bias is deliberately not fused into an op here: fuse-matmul-add only makes Gemm of 2-D MatMuls,
 * so targets see at most MatMul followed by an elementwise Add (which fuse-elementwise may absorb).
 */

const activationAttrs: Record<string, AttrSpec> = {
  activation: { type: 'string', default: 'None' },
  activation_params: { type: 'floats', default: [] },
};

function checkActivation(ctx: InferContext): void {
  try {
    resolveActivation(ctx.attr<string>('activation'), ctx.attr<number[]>('activation_params'));
  } catch (e) {
    ctx.fail(`${ctx.node.op}: ${(e as Error).message}`, 'ONNX_INVALID');
  }
}

/** Runs the base op's inference on the leading operands (same attributes, minus the activation ones). */
function inferAs(base: string, ctx: InferContext, operands: number): TensorType[] {
  const baseSchema = getOpSchema(base);
  if (!baseSchema) ctx.fail(`${ctx.node.op} needs op ${base} to be registered`, 'VERIFY');
  const inputs = ctx.inputs.slice(0, operands);
  return baseSchema!.infer({ ...ctx, inputs });
}

function baseAttrs(base: string): Record<string, AttrSpec> {
  const s = getOpSchema(base);
  if (!s) throw new Error(`fused ops need ${base} registered first`);
  return s.attrs;
}

registerOp(
  schema({
    name: 'FusedConv',
    internal: true,
    doc: 'y = act(Conv(X, W, B) + Z): Conv with a fused residual operand Z (same shape as the output) and activation',
    inputs: [operand('X'), operand('W'), optional('B'), optional('Z')],
    attrs: { ...baseAttrs('Conv'), ...activationAttrs },
    infer: (ctx) => {
      checkActivation(ctx);
      const [y] = inferAs('Conv', ctx, 3);
      const z = ctx.inputs[3];
      if (z) {
        const sameDims = z.shape.length === y!.shape.length && z.shape.every((d, i) => d === y!.shape[i] || d === UNKNOWN_DIM || y!.shape[i] === UNKNOWN_DIM);
        if (z.dtype !== y!.dtype || !sameDims) ctx.fail(`FusedConv residual Z ${formatType(z)} must have the output type ${formatType(y!)}`, 'BAD_SHAPE');
      }
      return [y!];
    },
  }),
);

registerOp(
  schema({
    name: 'FusedGemm',
    internal: true,
    doc: "y = act(alpha A' B' + beta C): Gemm with a fused activation",
    inputs: [operand('A'), operand('B'), optional('C')],
    attrs: { ...baseAttrs('Gemm'), ...activationAttrs },
    infer: (ctx) => {
      checkActivation(ctx);
      const [y] = inferAs('Gemm', ctx, 3);
      if (!FLOAT_TYPES.includes(y!.dtype)) ctx.fail(`FusedGemm needs floating-point operands, got ${formatType(y!)}`);
      return [y!];
    },
  }),
);

registerOp(
  schema({
    name: 'FusedElementwise',
    internal: true,
    doc: 'y = expression(x0, x1, ...): a tree of elementwise float ops over broadcast operands (grammar in ir/ops/fused.ts)',
    inputs: [variadic('inputs')],
    attrs: { expression: { type: 'string', required: true } },
    traits: { elementwise: 'broadcast', inPlace: true },
    expression: (node, args) => substituteOperands(parseExpression(getAttr<string>(node, 'expression')), args),
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      if (!FLOAT_TYPES.includes(dtype)) ctx.fail(`FusedElementwise operands must be floating point, got ${dtype}`);
      if (ctx.inputs.some((t) => t === null)) ctx.fail('FusedElementwise operands cannot be omitted', 'ONNX_INVALID');
      const text = ctx.attr<string>('expression');
      let expr: Expr;
      try {
        expr = parseExpression(text);
      } catch (e) {
        return ctx.fail(`FusedElementwise: ${(e as Error).message}`, 'ONNX_INVALID');
      }
      const canonical = formatExpression(expr);
      if (canonical !== text) ctx.fail(`FusedElementwise expression '${text}' is not in canonical form '${canonical}'`, 'ONNX_INVALID');
      const used = expressionOperands(expr);
      for (const i of used) {
        if (i >= ctx.inputs.length) ctx.fail(`FusedElementwise expression reads x${i} but the node has ${ctx.inputs.length} operands`, 'ONNX_INVALID');
      }
      for (let i = 0; i < ctx.inputs.length; i++) {
        if (!used.has(i)) ctx.fail(`FusedElementwise operand ${i} is not read by the expression '${text}'`, 'ONNX_INVALID');
      }
      return [tensorType(dtype, broadcastOperands(ctx))];
    },
  }),
);
