import { registerOp, type AttrSpec } from './registry.js';
import {
  broadcastOperands,
  expectDType,
  expectSameDType,
  FLOAT_TYPES,
  NUMERIC_TYPES,
  operand,
  schema,
  SIGNED_NUMERIC_TYPES,
  variadic,
} from './common.js';
import { tensorType } from '../types.js';
import type { DType } from '../dtype.js';

/** Elementwise ops: unary math and activations, broadcasting binary arithmetic, comparisons, variadic, Where. */

function unary(name: string, doc: string, allowed: readonly DType[], attrs: Record<string, AttrSpec> = {}): void {
  registerOp(
    schema({
      name,
      doc,
      inputs: [operand('X')],
      attrs,
      infer: (ctx) => [expectDType(ctx, 0, allowed)],
    }),
  );
}

unary('Abs', 'y = |x|', NUMERIC_TYPES);
unary('Neg', 'y = -x', SIGNED_NUMERIC_TYPES);
unary('Reciprocal', 'y = 1 / x', FLOAT_TYPES);
unary('Floor', 'y = floor(x)', FLOAT_TYPES);
unary('Ceil', 'y = ceil(x)', FLOAT_TYPES);
unary('Sqrt', 'y = sqrt(x)', FLOAT_TYPES);
unary('Exp', 'y = e^x', FLOAT_TYPES);
unary('Log', 'y = ln(x)', FLOAT_TYPES);
unary('Erf', 'y = erf(x), the Gauss error function', [...FLOAT_TYPES, ...NUMERIC_TYPES.filter((t) => !FLOAT_TYPES.includes(t))]);
unary('Tanh', 'y = tanh(x)', FLOAT_TYPES);
unary('Sigmoid', 'y = 1 / (1 + e^-x)', FLOAT_TYPES);
unary('Relu', 'y = max(x, 0)', SIGNED_NUMERIC_TYPES);
unary('LeakyRelu', 'y = x < 0 ? alpha * x : x', FLOAT_TYPES, { alpha: { type: 'float', default: 0.01 } });
unary('HardSigmoid', 'y = max(0, min(1, alpha * x + beta))', FLOAT_TYPES, {
  alpha: { type: 'float', default: 0.2 },
  beta: { type: 'float', default: 0.5 },
});
unary('HardSwish', 'y = x * max(0, min(1, x / 6 + 1 / 2))', FLOAT_TYPES);
unary('Gelu', "y = x * Phi(x); approximate = 'tanh' uses the tanh formula", FLOAT_TYPES, {
  approximate: { type: 'string', default: 'none' },
});
unary('Identity', 'y = x', [...NUMERIC_TYPES, 'bool']);

registerOp(
  schema({
    name: 'PRelu',
    doc: 'y = x < 0 ? slope * x : x, slope broadcast to x (unidirectionally)',
    inputs: [operand('X'), operand('slope')],
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      expectDType(ctx, 0, SIGNED_NUMERIC_TYPES);
      const shape = broadcastOperands(ctx);
      if (shape.length !== ctx.input(0).shape.length) ctx.fail('PRelu slope must broadcast to the shape of X', 'BAD_SHAPE');
      return [tensorType(dtype, ctx.input(0).shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'Clip',
    doc: 'y = min(max(x, min), max); omitted bounds are unbounded',
    inputs: [operand('input'), { name: 'min', optional: true }, { name: 'max', optional: true }],
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      expectDType(ctx, 0, NUMERIC_TYPES);
      for (const i of [1, 2]) {
        const t = ctx.inputs[i];
        if (t && t.shape.length !== 0 && !(t.shape.length === 1 && t.shape[0] === 1)) ctx.fail(`Clip bound ${i} must be a scalar`, 'BAD_SHAPE');
      }
      return [tensorType(dtype, ctx.input(0).shape)];
    },
  }),
);

function binary(name: string, doc: string, allowed: readonly DType[], resultDType?: DType, attrs: Record<string, AttrSpec> = {}): void {
  registerOp(
    schema({
      name,
      doc,
      inputs: [operand('A'), operand('B')],
      outputs: [operand('C')],
      attrs,
      infer: (ctx) => {
        const dtype = expectSameDType(ctx);
        expectDType(ctx, 0, allowed);
        return [tensorType(resultDType ?? dtype, broadcastOperands(ctx))];
      },
    }),
  );
}

binary('Add', 'c = a + b (broadcasting)', NUMERIC_TYPES);
binary('Sub', 'c = a - b (broadcasting)', NUMERIC_TYPES);
binary('Mul', 'c = a * b (broadcasting)', NUMERIC_TYPES);
binary('Div', 'c = a / b (broadcasting; integer division truncates)', NUMERIC_TYPES);
binary('Equal', 'c = a == b (broadcasting)', [...NUMERIC_TYPES, 'bool'], 'bool');
binary('Less', 'c = a < b (broadcasting)', NUMERIC_TYPES, 'bool');
binary('Greater', 'c = a > b (broadcasting)', NUMERIC_TYPES, 'bool');

registerOp(
  schema({
    name: 'Pow',
    doc: 'z = x ^ y (broadcasting; the exponent may have another numeric type)',
    inputs: [operand('X'), operand('Y')],
    outputs: [operand('Z')],
    infer: (ctx) => {
      const x = expectDType(ctx, 0, NUMERIC_TYPES);
      expectDType(ctx, 1, NUMERIC_TYPES);
      return [tensorType(x.dtype, broadcastOperands(ctx))];
    },
  }),
);

function variadicOp(name: string, doc: string, allowed: readonly DType[]): void {
  registerOp(
    schema({
      name,
      doc,
      inputs: [variadic('data_0')],
      outputs: [operand('result')],
      infer: (ctx) => {
        const dtype = expectSameDType(ctx);
        expectDType(ctx, 0, allowed);
        return [tensorType(dtype, broadcastOperands(ctx))];
      },
    }),
  );
}

variadicOp('Sum', 'elementwise sum of all operands (broadcasting)', NUMERIC_TYPES);
variadicOp('Mean', 'elementwise mean of all operands (broadcasting)', FLOAT_TYPES);
variadicOp('Min', 'elementwise minimum of all operands (broadcasting)', NUMERIC_TYPES);
variadicOp('Max', 'elementwise maximum of all operands (broadcasting)', NUMERIC_TYPES);

registerOp(
  schema({
    name: 'Where',
    doc: 'output = condition ? X : Y (broadcasting)',
    inputs: [operand('condition'), operand('X'), operand('Y')],
    outputs: [operand('output')],
    infer: (ctx) => {
      expectDType(ctx, 0, ['bool']);
      const dtype = expectSameDType(ctx, [1, 2]);
      return [tensorType(dtype, broadcastOperands(ctx))];
    },
  }),
);
