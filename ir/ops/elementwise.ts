import { getAttr, registerOp, type AttrSpec, type OpSchema } from './registry.js';
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
import { exprCall, exprLiteral, type Expr } from './expression.js';

/**
 * Elementwise ops: unary math and activations, broadcasting binary arithmetic, comparisons, variadic, Where.
 * Each op that computes floats says what it computes as an expression (expression.ts), which fusion and every
 * code-generating target lower; an op defined that way needs no kernel of its own on any target but the
 * reference interpreter.
 */

type ExpressionOf = NonNullable<OpSchema['expression']>;
type Extras = Pick<OpSchema, 'expression' | 'activation'> & { attrs?: Record<string, AttrSpec>; inPlace?: boolean; view?: boolean };

/** The expression `op(x0)`: most unary ops are one operator of the expression language. */
const call1 =
  (op: string): ExpressionOf =>
  (_, [x]) =>
    exprCall(op, x!);
/** `op(x0, x1)`. */
const call2 =
  (op: string): ExpressionOf =>
  (_, [a, b]) =>
    exprCall(op, a!, b!);
/** `op(...op(op(x0, x1), x2)..., xn)`: a variadic op folded left (undefined if an operand is omitted). */
const foldLeft = (op: string, args: readonly (Expr | null)[]): Expr | undefined =>
  args.length === 0 || args.some((a) => a === null) ? undefined : (args as Expr[]).reduce((acc, a) => exprCall(op, acc, a));

/** A unary elementwise op; safe to run in place unless `inPlace: false`. */
function unary(name: string, doc: string, allowed: readonly DType[], extras: Extras = {}): void {
  const { attrs = {}, inPlace = true, view, ...semantics } = extras;
  registerOp(
    schema({
      name,
      doc,
      inputs: [operand('X')],
      attrs,
      traits: { elementwise: 'unary', inPlace, view },
      ...semantics,
      infer: (ctx) => [expectDType(ctx, 0, allowed)],
    }),
  );
}

/** The activation an op of no parameters applies: the op's own name. */
const plainActivation = (node: { op: string }) => ({ name: node.op, params: [] });

unary('Abs', 'y = |x|', NUMERIC_TYPES, { expression: call1('abs') });
unary('Neg', 'y = -x', SIGNED_NUMERIC_TYPES, { expression: call1('neg') });
unary('Reciprocal', 'y = 1 / x', FLOAT_TYPES, { expression: call1('reciprocal') });
unary('Floor', 'y = floor(x)', FLOAT_TYPES, { expression: call1('floor') });
unary('Ceil', 'y = ceil(x)', FLOAT_TYPES, { expression: call1('ceil') });
unary('Sqrt', 'y = sqrt(x)', FLOAT_TYPES, { expression: call1('sqrt') });
unary('Exp', 'y = e^x', FLOAT_TYPES, { expression: call1('exp') });
unary('Log', 'y = ln(x)', FLOAT_TYPES, { expression: call1('log') });
unary('Erf', 'y = erf(x), the Gauss error function', [...FLOAT_TYPES, ...NUMERIC_TYPES.filter((t) => !FLOAT_TYPES.includes(t))], {
  expression: call1('erf'),
});
unary('Tanh', 'y = tanh(x)', FLOAT_TYPES, { expression: call1('tanh'), activation: plainActivation });
unary('Sigmoid', 'y = 1 / (1 + e^-x)', FLOAT_TYPES, { expression: call1('sigmoid'), activation: plainActivation });
unary('Relu', 'y = max(x, 0)', SIGNED_NUMERIC_TYPES, { expression: call1('relu'), activation: plainActivation });
unary('LeakyRelu', 'y = x < 0 ? alpha * x : x', FLOAT_TYPES, {
  attrs: { alpha: { type: 'float', default: 0.01 } },
  expression: (node, [x]) => exprCall('leaky_relu', x!, exprLiteral(getAttr<number>(node, 'alpha'))),
  activation: (node) => ({ name: 'LeakyRelu', params: [getAttr<number>(node, 'alpha')] }),
});
unary('HardSigmoid', 'y = max(0, min(1, alpha * x + beta))', FLOAT_TYPES, {
  attrs: { alpha: { type: 'float', default: 0.2 }, beta: { type: 'float', default: 0.5 } },
  expression: (node, [x]) => exprCall('hard_sigmoid', x!, exprLiteral(getAttr<number>(node, 'alpha')), exprLiteral(getAttr<number>(node, 'beta'))),
  activation: (node) => ({ name: 'HardSigmoid', params: [getAttr<number>(node, 'alpha'), getAttr<number>(node, 'beta')] }),
});
unary('HardSwish', 'y = x * max(0, min(1, x / 6 + 1 / 2))', FLOAT_TYPES, { expression: call1('hard_swish'), activation: plainActivation });
unary('Softsign', 'y = x / (1 + |x|)', FLOAT_TYPES, {
  expression: (_, [x]) => exprCall('div', x!, exprCall('add', exprLiteral(1), exprCall('abs', x!))),
});
// The exponential family, each from exp and the max/min split of its two halves: for x >= 0 the min term is 0,
// for x < 0 relu is 0 (NaN passes through both).
const negativeExpTerm = (x: Expr, alpha: number, scaled: Expr = x): Expr =>
  exprCall('min', exprLiteral(0), exprCall('mul', exprLiteral(alpha), exprCall('sub', exprCall('exp', scaled), exprLiteral(1))));
unary('Elu', 'y = x < 0 ? alpha * (e^x - 1) : x', FLOAT_TYPES, {
  attrs: { alpha: { type: 'float', default: 1 } },
  expression: (node, [x]) => exprCall('add', exprCall('relu', x!), negativeExpTerm(x!, getAttr<number>(node, 'alpha'))),
});
unary('Celu', 'y = max(0, x) + min(0, alpha * (e^(x / alpha) - 1))', FLOAT_TYPES, {
  attrs: { alpha: { type: 'float', default: 1 } },
  expression: (node, [x]) => {
    const alpha = getAttr<number>(node, 'alpha');
    return exprCall('add', exprCall('relu', x!), negativeExpTerm(x!, alpha, exprCall('div', x!, exprLiteral(alpha))));
  },
});
unary('Selu', 'y = gamma * (x <= 0 ? alpha * (e^x - 1) : x)', FLOAT_TYPES, {
  attrs: { alpha: { type: 'float', default: 1.67326319217681884765625 }, gamma: { type: 'float', default: 1.05070102214813232421875 } },
  expression: (node, [x]) =>
    exprCall('mul', exprLiteral(getAttr<number>(node, 'gamma')), exprCall('add', exprCall('relu', x!), negativeExpTerm(x!, getAttr<number>(node, 'alpha')))),
});
unary('Swish', 'y = x * sigmoid(alpha * x)', FLOAT_TYPES, {
  attrs: { alpha: { type: 'float', default: 1 } },
  expression: (node, [x]) => exprCall('mul', x!, exprCall('sigmoid', exprCall('mul', exprLiteral(getAttr<number>(node, 'alpha')), x!))),
});
/** Gelu's form: 'gelu' (erf) or 'gelu_tanh', or undefined for an `approximate` ONNX does not define. */
const geluForm = (node: Parameters<ExpressionOf>[0]) => ({ none: 'gelu', tanh: 'gelu_tanh' })[getAttr<string>(node, 'approximate')] as string | undefined;
unary('Gelu', "y = x * Phi(x); approximate = 'tanh' uses the tanh formula", FLOAT_TYPES, {
  attrs: { approximate: { type: 'string', default: 'none' } },
  expression: (node, [x]) => {
    const form = geluForm(node);
    return form === undefined ? undefined : exprCall(form, x!);
  },
  activation: (node) => {
    const form = geluForm(node);
    return form === undefined ? undefined : { name: form === 'gelu' ? 'Gelu' : 'GeluTanh', params: [] };
  },
});
unary('Identity', 'y = x', [...NUMERIC_TYPES, 'bool'], { inPlace: false, view: true });

registerOp(
  schema({
    name: 'PRelu',
    doc: 'y = x < 0 ? slope * x : x, slope broadcast to x (unidirectionally)',
    inputs: [operand('X'), operand('slope')],
    traits: { elementwise: 'broadcast', inPlace: true },
    expression: call2('leaky_relu'),
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
    traits: { elementwise: 'unary', inPlace: true },
    expression: (_, [x, lo, hi]) => exprCall('clip', x!, lo ?? exprLiteral(-Infinity), hi ?? exprLiteral(Infinity)),
    activation: (node) => {
      const bound = (i: number, absent: number) => {
        const v = node.inputs[i];
        if (!v) return absent;
        return v.data?.data.length === 1 ? Number(v.data.data[0]) : undefined;
      };
      const [min, max] = [bound(1, -Infinity), bound(2, Infinity)];
      return min !== undefined && max !== undefined && min <= max ? { name: 'Clip', params: [min, max] } : undefined;
    },
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

/** A broadcasting binary op: arithmetic (in place, with an expression) or a comparison (a bool result). */
function binary(name: string, doc: string, allowed: readonly DType[], resultDType?: DType, expression?: ExpressionOf): void {
  registerOp(
    schema({
      name,
      doc,
      inputs: [operand('A'), operand('B')],
      outputs: [operand('C')],
      traits: { elementwise: 'broadcast', inPlace: resultDType === undefined },
      expression,
      infer: (ctx) => {
        const dtype = expectSameDType(ctx);
        expectDType(ctx, 0, allowed);
        return [tensorType(resultDType ?? dtype, broadcastOperands(ctx))];
      },
    }),
  );
}

binary('Add', 'c = a + b (broadcasting)', NUMERIC_TYPES, undefined, call2('add'));
binary('Sub', 'c = a - b (broadcasting)', NUMERIC_TYPES, undefined, call2('sub'));
binary('Mul', 'c = a * b (broadcasting)', NUMERIC_TYPES, undefined, call2('mul'));
binary('Div', 'c = a / b (broadcasting; integer division truncates)', NUMERIC_TYPES, undefined, call2('div'));
binary('Equal', 'c = a == b (broadcasting)', [...NUMERIC_TYPES, 'bool'], 'bool');
binary('Less', 'c = a < b (broadcasting)', NUMERIC_TYPES, 'bool');
binary('Greater', 'c = a > b (broadcasting)', NUMERIC_TYPES, 'bool');

registerOp(
  schema({
    name: 'Pow',
    doc: 'z = x ^ y (broadcasting; the exponent may have another numeric type)',
    inputs: [operand('X'), operand('Y')],
    outputs: [operand('Z')],
    traits: { elementwise: 'broadcast', inPlace: true },
    expression: call2('pow'),
    infer: (ctx) => {
      const x = expectDType(ctx, 0, NUMERIC_TYPES);
      expectDType(ctx, 1, NUMERIC_TYPES);
      return [tensorType(x.dtype, broadcastOperands(ctx))];
    },
  }),
);

function variadicOp(name: string, doc: string, allowed: readonly DType[], expression: ExpressionOf): void {
  registerOp(
    schema({
      name,
      doc,
      inputs: [variadic('data_0')],
      outputs: [operand('result')],
      traits: { elementwise: 'broadcast', inPlace: true },
      expression,
      infer: (ctx) => {
        const dtype = expectSameDType(ctx);
        expectDType(ctx, 0, allowed);
        return [tensorType(dtype, broadcastOperands(ctx))];
      },
    }),
  );
}

variadicOp('Sum', 'elementwise sum of all operands (broadcasting)', NUMERIC_TYPES, (_, args) => foldLeft('add', args));
variadicOp('Mean', 'elementwise mean of all operands (broadcasting)', FLOAT_TYPES, (_, args) => {
  const sum = foldLeft('add', args);
  return sum && args.length > 1 ? exprCall('div', sum, exprLiteral(args.length)) : sum;
});
variadicOp('Min', 'elementwise minimum of all operands (broadcasting)', NUMERIC_TYPES, (_, args) => foldLeft('min', args));
variadicOp('Max', 'elementwise maximum of all operands (broadcasting)', NUMERIC_TYPES, (_, args) => foldLeft('max', args));

registerOp(
  schema({
    name: 'Where',
    doc: 'output = condition ? X : Y (broadcasting)',
    inputs: [operand('condition'), operand('X'), operand('Y')],
    traits: { elementwise: 'broadcast' },
    outputs: [operand('output')],
    infer: (ctx) => {
      expectDType(ctx, 0, ['bool']);
      const dtype = expectSameDType(ctx, [1, 2]);
      return [tensorType(dtype, broadcastOperands(ctx))];
    },
  }),
);
