import { formatFloat64 } from '../text/format.js';

/**
 * The elementwise expression language: the one definition of what an elementwise op computes. Each elementwise
 * op's schema gives its expression over its operands (`OpSchema.expression`), FusedElementwise nodes carry a
 * tree of them, and every target lowers the operators below, so an op defined by an expression over these
 * operators runs on every target with no code of its own.
 *
 * Grammar (whitespace between tokens is ignored when parsing; the canonical form is what formatExpression
 * prints: `op(a, b)` with ", " between arguments):
 *
 *   expr    := operand | literal | op '(' expr (',' expr)* ')'
 *   operand := 'x' digits                 the operand of that index (x0 is the node's first operand)
 *   literal := a decimal float ('-1.5', '0.5', '1e-07', '2.0'), 'inf', '-inf' or 'nan'
 *
 * Literals are rounded to the operands' element type before use, as a constant of that type would be, so a
 * pass may write an f32 constant as its shortest f32 decimal. Every operator broadcasts its arguments like ONNX.
 */

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
  /** relu(x) = x < 0 ? 0 : x (NaN passes, as ONNX's max(0, x)) */
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

/** The expression with operand i replaced by `args[i]` (how a tree over x0, x1... is applied to other trees). */
export function substituteOperands(expr: Expr, args: readonly (Expr | null)[]): Expr {
  if (expr.kind === 'literal') return expr;
  if (expr.kind === 'operand') {
    const arg = args[expr.index];
    if (!arg) throw new Error(`expression reads x${expr.index}, which is not given`);
    return arg;
  }
  return { kind: 'call', op: expr.op, args: expr.args.map((a) => substituteOperands(a, args)) };
}

/** The highest operand index the expression reads, plus one, and which indices it reads. */
export function expressionOperands(expr: Expr, seen = new Set<number>()): Set<number> {
  if (expr.kind === 'operand') seen.add(expr.index);
  else if (expr.kind === 'call') for (const a of expr.args) expressionOperands(a, seen);
  return seen;
}

/** The operators an expression applies, each once, in the order a pre-order walk meets them. */
export function expressionOps(expr: Expr): Set<string> {
  const ops = new Set<string>();
  const pending = [expr];
  while (pending.length > 0) {
    const e = pending.pop()!;
    if (e.kind !== 'call') continue;
    ops.add(e.op);
    for (let i = e.args.length - 1; i >= 0; i--) pending.push(e.args[i]!);
  }
  return ops;
}

/** How many times the expression reads operand `index`. */
export function operandReads(expr: Expr, index: number): number {
  let reads = 0;
  const pending = [expr];
  while (pending.length > 0) {
    const e = pending.pop()!;
    if (e.kind === 'operand') reads += e.index === index ? 1 : 0;
    else if (e.kind === 'call') pending.push(...e.args);
  }
  return reads;
}

/** Number of operator applications in the expression. */
export function expressionSize(expr: Expr): number {
  return expr.kind === 'call' ? 1 + expr.args.reduce((s, a) => s + expressionSize(a), 0) : 0;
}
