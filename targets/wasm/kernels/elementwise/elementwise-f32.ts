import binaryen from 'binaryen';
import { EXPRESSION_OPS, type Expr as Expression } from '../../../../ir/ops/expression.js';
import type { FunctionBuilder } from '../../dsl.js';
import { erfV, expV, geluTanhV, geluV, hardSigmoidV, hardSwishV, leakyReluV, logV, sigmoidV, tanhV } from '../../vmath.js';

/**
 * f32x4 code for the elementwise ops and for FusedElementwise expression trees. Operands arrive as getters of
 * values already held in locals (so an operand read twice is loaded once); results are f32x4 expressions.
 * Semantics follow the reference kernels (targets/reference/kernels/elementwise.ts and fused.ts).
 */

type Expr = binaryen.ExpressionRef;
export type Getter = () => Expr;

export const splatF = (fn: FunctionBuilder, c: number): Expr => fn.m.f32x4.splat(fn.m.f32.const(c));

/** Holds a value in a fresh v128 local: [statement, getter]. */
function hold(fn: FunctionBuilder, x: Expr): [Expr, Getter] {
  const l = fn.v128Local();
  return [l.set(x), () => l.get()];
}

function seq(fn: FunctionBuilder, statements: Expr[], value: Expr): Expr {
  return fn.m.block(null, [...statements, value], binaryen.v128);
}

/** y = x ** c for a constant exponent: the common ones exactly as the reference rounds them, others via pow. */
export function powConstV(fn: FunctionBuilder, x: Getter, c: number): Expr {
  const f = fn.m.f32x4;
  switch (c) {
    case 0:
      return splatF(fn, 1); // JS: anything ** 0 is 1, NaN included
    case 1:
      return x();
    case 2:
      return f.mul(x(), x());
    case 3:
      return f.mul(f.mul(x(), x()), x());
    case -1:
      return f.div(splatF(fn, 1), x());
    case 0.5: // (-inf) ** 0.5 is +inf where sqrt gives NaN
      return fn.m.v128.bitselect(splatF(fn, Infinity), f.sqrt(x()), f.eq(x(), splatF(fn, -Infinity)));
    default:
      return powV(fn, x, () => splatF(fn, c));
  }
}

/**
 * x ** y as JS computes it (the reference), via exp(y log|x|): negative x gives NaN unless y is an integer, and
 * the sign of x for odd y; y = 0 gives 1. Relative error grows with |y log x| (about |y log x| * 1.2e-7).
 */
export function powV(fn: FunctionBuilder, x: Getter, y: Getter): Expr {
  const { f32x4: f, i32x4: i, v128: v } = fn.m;
  const [setR, r] = hold(fn, expV(fn, f.mul(y(), logV(fn, f.abs(x())))));
  const [setInt, yInt] = hold(fn, f.eq(f.floor(y()), y()));
  const [setHalf, half] = hold(fn, f.mul(y(), splatF(fn, 0.5)));
  const yOdd = v.and(yInt(), f.ne(f.floor(half()), half()));
  const signBit = i.lt_s(x(), i.splat(fn.m.i32.const(0)));
  let out = v.bitselect(f.neg(r()), r(), v.and(signBit, yOdd));
  // negative finite or -inf base: NaN for a non-integer exponent, except (-inf) ** y which is +inf or 0 as |x| ** y
  const negative = v.andnot(f.lt(x(), splatF(fn, 0)), f.eq(x(), splatF(fn, -Infinity)));
  out = v.bitselect(splatF(fn, NaN), out, v.andnot(negative, yInt()));
  out = v.bitselect(splatF(fn, 1), out, f.eq(y(), splatF(fn, 0)));
  return seq(fn, [setR, setInt, setHalf], out);
}

/** The f32x4 code of one expression op applied to argument getters; literal arguments are given as numbers too. */
function expressionOp(fn: FunctionBuilder, op: string, a: Getter[], literal: (number | undefined)[]): Expr {
  const { f32x4: f, v128: v } = fn.m;
  const zero = () => splatF(fn, 0);
  switch (op) {
    case 'add':
      return f.add(a[0]!(), a[1]!());
    case 'sub':
      return f.sub(a[0]!(), a[1]!());
    case 'mul':
      return f.mul(a[0]!(), a[1]!());
    case 'div':
      return f.div(a[0]!(), a[1]!());
    case 'pow':
      return literal[1] !== undefined ? powConstV(fn, a[0]!, literal[1]) : powV(fn, a[0]!, a[1]!);
    case 'max':
      return f.max(a[0]!(), a[1]!());
    case 'min':
      return f.min(a[0]!(), a[1]!());
    case 'neg':
      return f.neg(a[0]!());
    case 'abs':
      return f.abs(a[0]!());
    case 'exp':
      return expV(fn, a[0]!());
    case 'log':
      return logV(fn, a[0]!());
    case 'sqrt':
      return f.sqrt(a[0]!());
    case 'reciprocal':
      return f.div(splatF(fn, 1), a[0]!());
    case 'floor':
      return f.floor(a[0]!());
    case 'ceil':
      return f.ceil(a[0]!());
    case 'tanh':
      return tanhV(fn, a[0]!());
    case 'sigmoid':
      return sigmoidV(fn, a[0]!());
    case 'relu': // x < 0 ? 0 : x (NaN passes)
      return f.pmax(a[0]!(), zero());
    case 'erf':
      return erfV(fn, a[0]!());
    case 'clip': {
      // x < lo ? lo : x > hi ? hi : x  (NaN x passes). Constant bounds with lo <= hi: pmax(x, lo) is
      // x < lo ? lo : x and pmin(y, hi) is hi < y ? hi : y, exactly that (the activations' form).
      const [lo, hi] = [literal[1], literal[2]];
      if (lo !== undefined && hi !== undefined && lo <= hi) {
        const lower = lo === -Infinity ? a[0]!() : f.pmax(a[0]!(), a[1]!());
        return hi === Infinity ? lower : f.pmin(lower, a[2]!());
      }
      const upper = hi === Infinity ? a[0]!() : f.pmin(a[0]!(), a[2]!());
      return lo === -Infinity ? upper : v.bitselect(a[1]!(), upper, f.lt(a[0]!(), a[1]!()));
    }
    case 'leaky_relu':
      return leakyReluV(fn, a[0]!(), a[1]!());
    case 'hard_sigmoid':
      return hardSigmoidV(fn, a[0]!(), a[1]!(), a[2]!());
    case 'hard_swish':
      return hardSwishV(fn, a[0]!());
    case 'gelu':
      return geluV(fn, a[0]!());
    case 'gelu_tanh':
      return geluTanhV(fn, a[0]!());
    default:
      throw new Error(`expression op '${op}' has no wasm code`);
  }
}

/** Ops of the expression language the vector lowering knows (all of EXPRESSION_OPS). */
export const SUPPORTED_EXPRESSION_OPS = new Set(Object.keys(EXPRESSION_OPS));

/**
 * Lowers an expression tree to f32x4 code. Literals are rounded to f32 (the operands' type) and splatted;
 * a subtree used as an argument more than once by its op (pow's base, clip's x...) is held in a local first.
 */
export function lowerExpression(fn: FunctionBuilder, expr: Expression, operands: readonly Getter[]): Expr {
  if (expr.kind === 'operand') return operands[expr.index]!();
  if (expr.kind === 'literal') return splatF(fn, Math.fround(expr.value));
  const statements: Expr[] = [];
  const getters: Getter[] = [];
  const literals: (number | undefined)[] = [];
  for (const arg of expr.args) {
    literals.push(arg.kind === 'literal' ? Math.fround(arg.value) : undefined);
    if (arg.kind === 'operand') {
      getters.push(operands[arg.index]!);
    } else if (arg.kind === 'literal') {
      const c = Math.fround(arg.value);
      getters.push(() => splatF(fn, c));
    } else {
      const [set, get] = hold(fn, lowerExpression(fn, arg, operands));
      statements.push(set);
      getters.push(get);
    }
  }
  const body = expressionOp(fn, expr.op, getters, literals);
  return statements.length ? seq(fn, statements, body) : body;
}
