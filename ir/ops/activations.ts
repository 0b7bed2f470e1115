import { exprCall, exprLiteral, exprOperand, type Expr } from './expression.js';

/**
 * The activations FusedConv / FusedGemm carry (`activation` + `activation_params`), each defined once by its
 * expression over the pre-activation value x0 in the expression language (expression.ts), which every target
 * lowers. An elementwise op that is one of these activations says so in its schema (`OpSchema.activation`), so
 * fuse-activation can fold it into the op before it.
 */

export interface ActivationSpec {
  /** Number of `activation_params`, and their defaults when the list is empty. */
  readonly params: number;
  readonly defaults?: readonly number[];
  /**
   * y = min(max(x, lo), hi) for some interval: an int8 output whose range lies inside it absorbs the activation
   * (the quantizer folds these into the producer's requantization).
   */
  readonly clamp?: boolean;
  /**
   * y as an expression of x and the params, each an expression too: literals when a node's params are known,
   * operands when a target passes them at run time (activationTemplate).
   */
  expression(x: Expr, params: readonly Expr[]): Expr;
}

export const ACTIVATIONS: Readonly<Record<string, ActivationSpec>> = {
  None: { params: 0, clamp: true, expression: (x) => x },
  Relu: { params: 0, clamp: true, expression: (x) => exprCall('relu', x) },
  /** params: [min, max] (±inf for an absent bound) */
  Clip: { params: 2, clamp: true, expression: (x, [lo, hi]) => exprCall('clip', x, lo!, hi!) },
  Sigmoid: { params: 0, expression: (x) => exprCall('sigmoid', x) },
  Tanh: { params: 0, expression: (x) => exprCall('tanh', x) },
  /** x sigmoid(x) */
  SiLU: { params: 0, expression: (x) => exprCall('mul', x, exprCall('sigmoid', x)) },
  /** params: [alpha, beta] */
  HardSigmoid: { params: 2, defaults: [0.2, 0.5], expression: (x, [a, b]) => exprCall('hard_sigmoid', x, a!, b!) },
  HardSwish: { params: 0, expression: (x) => exprCall('hard_swish', x) },
  /** params: [alpha] */
  LeakyRelu: { params: 1, defaults: [0.01], expression: (x, [alpha]) => exprCall('leaky_relu', x, alpha!) },
  Gelu: { params: 0, expression: (x) => exprCall('gelu', x) },
  GeluTanh: { params: 0, expression: (x) => exprCall('gelu_tanh', x) },
};

export interface Activation {
  name: string;
  params: number[];
}

/** The activation with its parameters filled in from defaults; throws an Error naming the problem. */
export function resolveActivation(name: string, params: readonly number[]): Activation {
  const spec = Object.hasOwn(ACTIVATIONS, name) ? ACTIVATIONS[name] : undefined;
  if (!spec) throw new Error(`activation '${name}' is not one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  const values = params.length === 0 && spec.defaults ? [...spec.defaults] : [...params];
  if (values.length !== spec.params) throw new Error(`activation ${name} takes ${spec.params} activation_params, got ${params.length}`);
  if (name === 'Clip' && !(values[0]! <= values[1]!)) throw new Error(`Clip activation bounds [${values.join(', ')}] need min <= max`);
  return { name, params: values };
}

/** The expression of an activation applied to operand x0 (x0 itself for None); throws like resolveActivation. */
export function activationExpression(name: string, params: readonly number[]): Expr {
  const act = resolveActivation(name, params);
  return ACTIVATIONS[act.name]!.expression(exprOperand(0), act.params.map(exprLiteral));
}

/**
 * The activation with its params as operands: y over x0, param k being operand k + 1. For code that takes the
 * params at run time (one kernel serving nodes with different activations).
 */
export function activationTemplate(name: string): Expr {
  const spec = ACTIVATIONS[name]!;
  return spec.expression(exprOperand(0), Array.from({ length: spec.params }, (_, k) => exprOperand(k + 1)));
}
