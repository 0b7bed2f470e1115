// FusedConv / FusedGemm extend the Conv and Gemm schemas, so those must be registered first.
import './nn.js';
import { getOpSchema, registerOp, type AttrSpec, type InferContext } from './registry.js';
import { broadcastOperands, expectSameDType, FLOAT_TYPES, operand, optional, schema, variadic } from './common.js';
import { formatFloat64 } from '../text/format.js';
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

// ---------------------------------------------------------------------------------------------------------
// Activations carried by FusedConv / FusedGemm

/** Activation name -> number of `activation_params` and their defaults (when the list is empty). */
export const ACTIVATIONS: Readonly<Record<string, { params: number; defaults?: readonly number[] }>> = {
  None: { params: 0 },
  Relu: { params: 0 },
  /** params: [min, max] (use ±inf for an absent bound) */
  Clip: { params: 2 },
  Sigmoid: { params: 0 },
  Tanh: { params: 0 },
  /** x * sigmoid(x) */
  SiLU: { params: 0 },
  /** params: [alpha, beta] */
  HardSigmoid: { params: 2, defaults: [0.2, 0.5] },
  HardSwish: { params: 0 },
  /** params: [alpha] */
  LeakyRelu: { params: 1, defaults: [0.01] },
  Gelu: { params: 0 },
  GeluTanh: { params: 0 },
};

export interface Activation {
  name: string;
  params: number[];
}

/** The activation with its parameters filled in from defaults; throws an Error naming the problem. */
export function resolveActivation(name: string, params: readonly number[]): Activation {
  const spec = ACTIVATIONS[name];
  if (!spec) throw new Error(`activation '${name}' is not one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  const values = params.length === 0 && spec.defaults ? [...spec.defaults] : [...params];
  if (values.length !== spec.params) throw new Error(`activation ${name} takes ${spec.params} activation_params, got ${params.length}`);
  if (name === 'Clip' && !(values[0]! <= values[1]!)) throw new Error(`Clip activation bounds [${values.join(', ')}] need min <= max`);
  return { name, params: values };
}

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

// ---------------------------------------------------------------------------------------------------------
// FusedElementwise expressions
//
// Grammar (whitespace between tokens is ignored when parsing; the canonical form is what formatExpression
// prints: `op(a, b)` with ", " between arguments):
//
//   expr    := operand | literal | op '(' expr (',' expr)* ')'
//   operand := 'x' digits                 the operand of that index (x0 is the node's first operand)
//   literal := a decimal float ('-1.5', '0.5', '1e-07', '2.0'), 'inf', '-inf' or 'nan'
//
// Literals are rounded to the operands' element type before use, as a constant of that type would be, so a
// pass may write an f32 constant as its shortest f32 decimal. Every operator broadcasts its arguments like ONNX.

/** Operator name -> arity. */
export const EXPRESSION_OPS: Readonly<Record<string, number>> = {
  add: 2,
  sub: 2,
  mul: 2,
  div: 2,
  pow: 2,
  /** NaN-propagating, as ONNX Max/Min */
  max: 2,
  min: 2,
  neg: 1,
  abs: 1,
  exp: 1,
  log: 1,
  sqrt: 1,
  reciprocal: 1,
  floor: 1,
  ceil: 1,
  tanh: 1,
  sigmoid: 1,
  relu: 1,
  erf: 1,
  /** clip(x, lo, hi) = lo if x < lo, hi if x > hi, else x (NaN passes through) */
  clip: 3,
  /** leaky_relu(x, alpha) = x < 0 ? alpha x : x */
  leaky_relu: 2,
  /** hard_sigmoid(x, alpha, beta) = max(0, min(1, alpha x + beta)) */
  hard_sigmoid: 3,
  /** x * max(0, min(1, x / 6 + 1/2)) */
  hard_swish: 1,
  /** x Phi(x), the erf form */
  gelu: 1,
  /** the tanh approximation of gelu */
  gelu_tanh: 1,
};

export type Expr =
  | { readonly kind: 'operand'; readonly index: number }
  | { readonly kind: 'literal'; readonly value: number }
  | { readonly kind: 'call'; readonly op: string; readonly args: readonly Expr[] };

export const exprOperand = (index: number): Expr => ({ kind: 'operand', index });
export const exprLiteral = (value: number): Expr => ({ kind: 'literal', value });
export function exprCall(op: string, ...args: Expr[]): Expr {
  if (EXPRESSION_OPS[op] !== args.length) throw new Error(`expression op '${op}' takes ${String(EXPRESSION_OPS[op])} arguments, got ${args.length}`);
  return { kind: 'call', op, args };
}

const TOKEN = /\s*(?:(-?(?:inf|nan)\b|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)|([a-z_][a-z_0-9]*)|([(),]))/y;

/** Parses an expression; throws an Error naming the position of the problem. */
export function parseExpression(text: string): Expr {
  let pos = 0;
  type Token = { ident?: string; number?: string; punct?: string; at: number } | null;
  const next = (): Token => {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(pos))) return null;
      throw new Error(`unexpected '${text.slice(pos).trim()[0]}' at offset ${pos} of expression '${text}'`);
    }
    const at = pos;
    pos = TOKEN.lastIndex;
    return { number: m[1], ident: m[2], punct: m[3], at };
  };
  const peekPunct = (): string | undefined => {
    const save = pos;
    const t = next();
    pos = save;
    return t?.punct;
  };
  const expect = (punct: string) => {
    const t = next();
    if (t?.punct !== punct) throw new Error(`expected '${punct}' at offset ${t ? t.at : text.length} of expression '${text}'`);
  };
  const parse = (): Expr => {
    const t = next();
    if (!t) throw new Error(`expression '${text}' ends early`);
    if (t.number !== undefined) {
      const s = t.number;
      const value = s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' || s === '-nan' ? NaN : Number(s);
      return exprLiteral(value);
    }
    if (t.ident !== undefined) {
      const operandMatch = /^x(\d+)$/.exec(t.ident);
      if (operandMatch && peekPunct() !== '(') return exprOperand(Number(operandMatch[1]));
      const arity = EXPRESSION_OPS[t.ident];
      if (arity === undefined) throw new Error(`unknown expression op '${t.ident}' (ops: ${Object.keys(EXPRESSION_OPS).join(' ')})`);
      expect('(');
      const args: Expr[] = [parse()];
      while (peekPunct() === ',') {
        next();
        args.push(parse());
      }
      expect(')');
      if (args.length !== arity) throw new Error(`expression op '${t.ident}' takes ${arity} arguments, got ${args.length}`);
      return { kind: 'call', op: t.ident, args };
    }
    throw new Error(`unexpected '${t.punct ?? ''}' at offset ${t.at} of expression '${text}'`);
  };
  const expr = parse();
  const rest = next();
  if (rest) throw new Error(`unexpected text after the expression at offset ${rest.at} of '${text}'`);
  return expr;
}

/** The canonical text of an expression: `mul(x0, sigmoid(add(x1, 1.5)))`. */
export function formatExpression(expr: Expr): string {
  switch (expr.kind) {
    case 'operand':
      return `x${expr.index}`;
    case 'literal':
      return formatFloat64(expr.value);
    case 'call':
      return `${expr.op}(${expr.args.map(formatExpression).join(', ')})`;
  }
}

/** The highest operand index the expression reads, plus one, and which indices it reads. */
export function expressionOperands(expr: Expr, seen = new Set<number>()): Set<number> {
  if (expr.kind === 'operand') seen.add(expr.index);
  else if (expr.kind === 'call') for (const a of expr.args) expressionOperands(a, seen);
  return seen;
}

/** Number of operator applications in the expression. */
export function expressionSize(expr: Expr): number {
  return expr.kind === 'call' ? 1 + expr.args.reduce((s, a) => s + expressionSize(a), 0) : 0;
}

registerOp(
  schema({
    name: 'FusedElementwise',
    doc: 'y = expression(x0, x1, ...): a tree of elementwise float ops over broadcast operands (grammar in ir/ops/fused.ts)',
    inputs: [variadic('inputs')],
    attrs: { expression: { type: 'string', required: true } },
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
