import type binaryen from 'binaryen';
import type { FunctionBuilder, Local } from '../dsl.js';

type Expr = binaryen.ExpressionRef;

/*
 * i32 address arithmetic that keeps expressions and constants apart. binaryen.js expression references are
 * plain numbers at run time, so FunctionBuilder.add/mul/for (which fold "numbers") cannot tell an expression
 * from a constant; these helpers take the constant operand in its own parameter.
 */

/** e + n */
export function addc(fn: FunctionBuilder, e: Expr, n: number): Expr {
  return n === 0 ? e : fn.m.i32.add(e, fn.m.i32.const(n | 0));
}

/** e · n */
export function mulc(fn: FunctionBuilder, e: Expr, n: number): Expr {
  if (n === 0) return fn.m.i32.const(0);
  return n === 1 ? e : fn.m.i32.mul(e, fn.m.i32.const(n | 0));
}

/** a + b */
export function add2(fn: FunctionBuilder, a: Expr, b: Expr): Expr {
  return fn.m.i32.add(a, b);
}

/** for (counter = start; counter < end; counter += step) body, with runtime bounds. */
export function forRuntime(fn: FunctionBuilder, counter: Local, start: Expr, end: () => Expr, step: number, body: Expr[]): Expr {
  const m = fn.m;
  const id = `rt${rtLabels++}`;
  return m.block(null, [
    counter.set(start),
    m.block(`${id}x`, [
      m.loop(
        `${id}l`,
        m.block(null, [m.br(`${id}x`, m.i32.ge_s(counter.get(), end())), ...body, counter.set(addc(fn, counter.get(), step)), m.br(`${id}l`)]),
      ),
    ]),
  ]);
}
let rtLabels = 0;

/** for over constant bounds (FunctionBuilder.for is safe when both bounds are numbers). */
export function forConst(fn: FunctionBuilder, counter: Local, start: number, end: number, step: number, body: Expr[]): Expr {
  return fn.for(counter, start, end, step, body);
}
