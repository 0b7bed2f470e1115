import { EdgecError } from '../errors.js';
import type { Node } from '../graph.js';
import { UNKNOWN_DIM, formatType, sameDim, tensorType, type Dim, type TensorType } from '../types.js';
import { ACTIVATIONS } from './activations.js';
import { FLOAT_TYPES, INDEX_TYPES, expectDType, operand, optional, schema } from './common.js';
import { exprCall, exprLiteral, type Expr } from './expression.js';
import { getAttr, registerOp, type AttrSpec, type InferContext } from './registry.js';

/**
 * The recurrent layers LSTM, GRU and RNN (ONNX opset 7-22). One layer over a sequence X of S steps, B batch rows
 * and I features, with hidden size H and D = 2 directions when bidirectional (else 1). Per direction, with the
 * gate weights stacked in W [D, G·H, I], R [D, G·H, H] and the biases in B [D, 2·G·H] = [Wb | Rb]:
 *
 *   RNN  (G = 1):     H_t = f(x_t Wᵀ + H_{t-1} Rᵀ + Wb + Rb)
 *   GRU  (G = 3, zrh): z = f(x Wzᵀ + H Rzᵀ + Wbz + Rbz),  r = f(x Wrᵀ + H Rrᵀ + Wbr + Rbr)
 *                     h = g(x Whᵀ + (r ⊙ H) Rhᵀ + Rbh + Wbh)         linear_before_reset = 0
 *                     h = g(x Whᵀ + r ⊙ (H Rhᵀ + Rbh) + Wbh)         linear_before_reset = 1
 *                     H_t = (1 - z) ⊙ h + z ⊙ H
 *   LSTM (G = 4, iofc): i = f(x Wiᵀ + H Riᵀ + Wbi + Rbi + Pi ⊙ C),  f' = f(… forget gate … + Pf ⊙ C)
 *                     c = g(x Wcᵀ + H Rcᵀ + Wbc + Rbc),  C_t = f' ⊙ C + i ⊙ c
 *                     o = f(x Woᵀ + H Roᵀ + Wbo + Rbo + Po ⊙ C_t),  H_t = o ⊙ h(C_t)
 *                     (input_forget = 1 couples the gates: f' = 1 - i; peepholes P [D, 3H] = [Pi | Po | Pf])
 *
 * `clip` bounds the gates' pre-activations (the inputs of f and g) to [-clip, clip]; LSTM's h reads the cell state
 * unclipped, as onnxruntime computes it. The reverse direction reads the sequence backwards.
 * With sequence_lens, batch row b runs only its first L_b steps (the reverse direction starts at step L_b - 1):
 * Y is zero past L_b and Y_h / Y_c hold the state after the last valid step. layout = 1 puts the batch first
 * (X [B, S, I], Y [B, S, D, H], Y_h / Y_c [B, D, H]) instead of X [S, B, I], Y [S, D, B, H], Y_h [D, B, H].
 */

export type RecurrentOp = 'LSTM' | 'GRU' | 'RNN';

/** Gates stacked in W and R, and the default activations (f, g, h as the op uses them). */
export const RECURRENT_OPS: Readonly<Record<RecurrentOp, { gates: number; activations: readonly string[] }>> = {
  LSTM: { gates: 4, activations: ['Sigmoid', 'Tanh', 'Tanh'] },
  GRU: { gates: 3, activations: ['Sigmoid', 'Tanh'] },
  RNN: { gates: 1, activations: ['Tanh'] },
};

export const isRecurrentOp = (op: string): op is RecurrentOp => Object.hasOwn(RECURRENT_OPS, op);

/**
 * The activations the recurrent ops allow, each by its expression over x0 and its alpha / beta. An activation
 * takes alpha / beta from activation_alpha / activation_beta only if it has a parameter of that name, in the
 * order of the activation list (as onnxruntime reads them); past the end of a list it takes its default, that of
 * the ONNX operator of the same name.
 */
export interface RecurrentActivationSpec {
  readonly alpha?: number;
  readonly beta?: number;
  expression(x: Expr, alpha: Expr, beta: Expr): Expr;
}

const one = exprLiteral(1);
const zero = exprLiteral(0);
/**
 * 1 where d >= 1e-30, 0 where d <= 0, d·1e30 between: the step function of d > 0 with only operators every target
 * lowers. For d = x - alpha the ramp is reached only when |x| < ~1e-23 (d is at least ulp(alpha) otherwise), so
 * x·step(d) is off by less than that.
 */
const positiveStep = (d: Expr): Expr => exprCall('clip', exprCall('mul', d, exprLiteral(1e30)), zero, one);

export const RECURRENT_ACTIVATIONS: Readonly<Record<string, RecurrentActivationSpec>> = {
  Relu: { expression: (x) => ACTIVATIONS['Relu']!.expression(x, []) },
  Tanh: { expression: (x) => ACTIVATIONS['Tanh']!.expression(x, []) },
  Sigmoid: { expression: (x) => ACTIVATIONS['Sigmoid']!.expression(x, []) },
  /** alpha x + beta */
  Affine: { alpha: 1, beta: 0, expression: (x, a, b) => exprCall('add', exprCall('mul', x, a), b) },
  LeakyRelu: { alpha: 0.01, expression: (x, a) => ACTIVATIONS['LeakyRelu']!.expression(x, [a]) },
  /** x > alpha ? x : 0 */
  ThresholdedRelu: { alpha: 1, expression: (x, a) => exprCall('mul', x, positiveStep(exprCall('sub', x, a))) },
  /** alpha tanh(beta x) */
  ScaledTanh: { alpha: 1, beta: 1, expression: (x, a, b) => exprCall('mul', a, exprCall('tanh', exprCall('mul', b, x))) },
  HardSigmoid: { alpha: 0.2, beta: 0.5, expression: (x, a, b) => ACTIVATIONS['HardSigmoid']!.expression(x, [a, b]) },
  /** x < 0 ? alpha (e^x - 1) : x, written relu(x) + alpha (e^min(x, 0) - 1) so no branch is needed */
  Elu: { alpha: 1, expression: (x, a) => exprCall('add', exprCall('relu', x), exprCall('mul', a, exprCall('sub', exprCall('exp', exprCall('min', x, zero)), one))) },
  /** x / (1 + |x|) */
  Softsign: { expression: (x) => exprCall('div', x, exprCall('add', one, exprCall('abs', x))) },
  /** ln(1 + e^x), written max(x, 0) + ln(1 + e^-|x|) so large x does not overflow */
  Softplus: { expression: (x) => exprCall('add', exprCall('relu', x), exprCall('log', exprCall('add', one, exprCall('exp', exprCall('neg', exprCall('abs', x)))))) },
};

export interface RecurrentActivation {
  /** Canonical name, a key of RECURRENT_ACTIVATIONS. */
  readonly name: string;
  readonly alpha: number;
  readonly beta: number;
}

/** The activation's expression over x0 with its alpha and beta as literals. */
export function recurrentActivationExpression(act: RecurrentActivation, x: Expr): Expr {
  return RECURRENT_ACTIVATIONS[act.name]!.expression(x, exprLiteral(act.alpha), exprLiteral(act.beta));
}

export type Direction = 'forward' | 'reverse';

/** A recurrent node's attributes, resolved and checked once for the reference kernel and the lowering. */
export interface RecurrentSpec {
  readonly op: RecurrentOp;
  readonly gates: number;
  readonly hiddenSize: number;
  /** The directions in output order (forward first when bidirectional). */
  readonly directions: readonly Direction[];
  /** Per direction, the op's activations in order (f, g, h). */
  readonly activations: readonly (readonly RecurrentActivation[])[];
  /** Bound of the gates' pre-activations (the inputs of f and g), or undefined for none. */
  readonly clip: number | undefined;
  readonly layout: 0 | 1;
  readonly linearBeforeReset: boolean;
  readonly inputForget: boolean;
}

/** How a check reports a problem: by default an EdgecError naming the node; shape inference passes its own. */
type Fail = (message: string) => never;

const failOn =
  (node: Node): Fail =>
  (message) => {
    throw new EdgecError('ONNX_INVALID', `${node.op}: ${message}`, { node: node.label, op: node.op });
  };

const ACTIVATION_BY_LOWER_NAME = new Map(Object.keys(RECURRENT_ACTIVATIONS).map((name) => [name.toLowerCase(), name]));

/** The activations per direction, alpha / beta taken as the schema says; throws an EdgecError naming the node. */
function resolveActivations(node: Node, op: RecurrentOp, directions: number, fail: Fail): RecurrentActivation[][] {
  const perDirection = RECURRENT_OPS[op].activations.length;
  const given = node.attrs['activations'] as string[] | undefined;
  const names = given ?? Array.from({ length: directions }, () => RECURRENT_OPS[op].activations).flat();
  if (names.length !== perDirection * directions) {
    fail(`activations lists ${names.length} functions; ${op} with ${directions} direction(s) takes ${perDirection * directions}`);
  }
  const alphas = getAttr<number[]>(node, 'activation_alpha');
  const betas = getAttr<number[]>(node, 'activation_beta');
  let nextAlpha = 0;
  let nextBeta = 0;
  const resolved = names.map((given): RecurrentActivation => {
    const name = ACTIVATION_BY_LOWER_NAME.get(given.toLowerCase());
    if (!name) fail(`activation '${given}' is not one of ${Object.keys(RECURRENT_ACTIVATIONS).join(', ')}`);
    const spec = RECURRENT_ACTIVATIONS[name]!;
    const alpha = spec.alpha === undefined ? 0 : nextAlpha < alphas.length ? alphas[nextAlpha++]! : spec.alpha;
    const beta = spec.beta === undefined ? 0 : nextBeta < betas.length ? betas[nextBeta++]! : spec.beta;
    return { name, alpha, beta };
  });
  return Array.from({ length: directions }, (_, d) => resolved.slice(d * perDirection, (d + 1) * perDirection));
}

/**
 * The node's attributes resolved: directions, activations with their parameters, clip, layout. `hiddenSize` is
 * the attribute, or R's last dim when the attribute is absent (it must then be static).
 */
export function recurrentSpec(node: Node, fail: Fail = failOn(node)): RecurrentSpec {
  if (!isRecurrentOp(node.op)) fail('not a recurrent op');
  const op = node.op;
  const direction = getAttr<string>(node, 'direction');
  const directions: Direction[] =
    direction === 'forward' ? ['forward'] : direction === 'reverse' ? ['reverse'] : direction === 'bidirectional' ? ['forward', 'reverse'] : fail(`direction '${direction}' is not forward, reverse or bidirectional`);
  const layout = getAttr<number>(node, 'layout');
  if (layout !== 0 && layout !== 1) fail(`layout must be 0 or 1, got ${layout}`);
  const rDim = node.inputs[2]?.type.shape[2];
  const hiddenSize = node.attrs['hidden_size'] !== undefined ? getAttr<number>(node, 'hidden_size') : typeof rDim === 'number' ? rDim : fail('hidden_size is missing and R has no static shape');
  if (!(hiddenSize >= 1)) fail(`hidden_size must be positive, got ${hiddenSize}`);
  const clipAttr = node.attrs['clip'];
  const clip = clipAttr === undefined ? undefined : Number(clipAttr);
  if (clip !== undefined && !(clip > 0)) fail(`clip must be positive, got ${clip}`);
  const linearBeforeReset = op === 'GRU' && getAttr<number>(node, 'linear_before_reset') !== 0;
  const inputForget = op === 'LSTM' && getAttr<number>(node, 'input_forget') !== 0;
  return {
    op,
    gates: RECURRENT_OPS[op].gates,
    hiddenSize,
    directions,
    activations: resolveActivations(node, op, directions.length, fail),
    clip,
    layout,
    linearBeforeReset,
    inputForget,
  };
}

const commonAttrs: Record<string, AttrSpec> = {
  activations: { type: 'strings' },
  activation_alpha: { type: 'floats', default: [] },
  activation_beta: { type: 'floats', default: [] },
  clip: { type: 'float' },
  direction: { type: 'string', default: 'forward' },
  hidden_size: { type: 'int' },
  layout: { type: 'int', default: 0 },
  /** Opsets before 7: Y is computed whenever it is asked for, so the flag changes nothing. */
  output_sequence: { type: 'int', default: 0 },
};

/** Checks that `t` has the expected dims (unknown dims match anything), naming the operand. */
function expectDims(ctx: InferContext, index: number, name: string, dims: readonly Dim[]): void {
  const t = ctx.inputs[index];
  if (!t) return;
  const ok = t.shape.length === dims.length && t.shape.every((d, i) => sameDim(d, dims[i]!) || d === UNKNOWN_DIM || dims[i] === UNKNOWN_DIM);
  if (!ok) ctx.fail(`${ctx.node.op} ${name} is ${formatType(t)}; expected [${dims.join(',')}]`, 'BAD_SHAPE');
}

function inferRecurrent(ctx: InferContext): TensorType[] {
  const spec = recurrentSpec(ctx.node, (message) => ctx.fail(`${ctx.node.op}: ${message}`, 'ONNX_INVALID'));
  const x = expectDType(ctx, 0, FLOAT_TYPES);
  for (const i of [1, 2, 3, 5, 6, 7]) {
    const t = ctx.inputs[i];
    if (t && t.dtype !== x.dtype) ctx.fail(`${ctx.node.op} operand ${i} is ${formatType(t)}; it must have X's dtype ${x.dtype}`);
  }
  if (x.shape.length !== 3) ctx.fail(`${ctx.node.op} X must have rank 3, got ${formatType(x)}`, 'BAD_SHAPE');
  const [seq, batch] = spec.layout === 0 ? [x.shape[0]!, x.shape[1]!] : [x.shape[1]!, x.shape[0]!];
  const D = spec.directions.length;
  const H = spec.hiddenSize;
  const GH = spec.gates * H;
  expectDims(ctx, 1, 'W', [D, GH, x.shape[2]!]);
  expectDims(ctx, 2, 'R', [D, GH, H]);
  expectDims(ctx, 3, 'B', [D, 2 * GH]);
  if (ctx.inputs[4]) {
    expectDType(ctx, 4, INDEX_TYPES);
    expectDims(ctx, 4, 'sequence_lens', [batch]);
  }
  const stateDims = spec.layout === 0 ? [D, batch, H] : [batch, D, H];
  expectDims(ctx, 5, 'initial_h', stateDims);
  if (spec.op === 'LSTM') {
    expectDims(ctx, 6, 'initial_c', stateDims);
    expectDims(ctx, 7, 'P', [D, 3 * H]);
  }
  const y = tensorType(x.dtype, spec.layout === 0 ? [seq, D, batch, H] : [batch, seq, D, H]);
  const state = tensorType(x.dtype, stateDims);
  return spec.op === 'LSTM' ? [y, state, state] : [y, state];
}

const recurrentInputs = [operand('X'), operand('W'), operand('R'), optional('B'), optional('sequence_lens'), optional('initial_h')];
const stateOutputs = [optional('Y'), optional('Y_h')];

registerOp(
  schema({
    name: 'RNN',
    doc: 'one simple recurrent layer: H_t = f(x_t Wᵀ + H_{t-1} Rᵀ + Wb + Rb) (ir/ops/recurrent.ts)',
    inputs: recurrentInputs,
    outputs: stateOutputs,
    attrs: commonAttrs,
    infer: inferRecurrent,
  }),
);

registerOp(
  schema({
    name: 'GRU',
    doc: 'one GRU layer, gates z, r, h (ir/ops/recurrent.ts)',
    inputs: recurrentInputs,
    outputs: stateOutputs,
    attrs: { ...commonAttrs, linear_before_reset: { type: 'int', default: 0 } },
    infer: inferRecurrent,
  }),
);

registerOp(
  schema({
    name: 'LSTM',
    doc: 'one LSTM layer, gates i, o, f, c, optional peepholes (ir/ops/recurrent.ts)',
    inputs: [...recurrentInputs, optional('initial_c'), optional('P')],
    outputs: [...stateOutputs, optional('Y_c')],
    attrs: { ...commonAttrs, input_forget: { type: 'int', default: 0 } },
    infer: inferRecurrent,
  }),
);
