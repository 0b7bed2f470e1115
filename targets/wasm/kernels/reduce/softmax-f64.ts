import binaryen from 'binaryen';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import { expF64, logF64 } from '../../math-f64.js';
import { nest } from './reduce-simd.js';

type Expr = binaryen.ExpressionRef;

/**
 * f64 Softmax and LogSoftmax along one axis of [outer, len, inner], one column (o, i) at a time in the
 * reference's order: m = max x, s = sum exp(x - m), then exp(x - m) / s (Softmax) or x - m - log(s) (LogSoftmax),
 * with exp and log from math-f64.ts. Scalar: f64x2 would need an f64x2 exp, and f64 softmax is rare.
 */
export function buildSoftmaxF64(fn: FunctionBuilder, p: { log: boolean; outer: number; len: number; inner: number }): Expr {
  const m = fn.m;
  const f = m.f64;
  const stride = p.inner * 8;
  const [inBase, outBase] = [fn.i32Local(), fn.i32Local()];
  const [mx, sum, logSum] = [fn.local(binaryen.f64), fn.local(binaryen.f64), fn.local(binaryen.f64)];
  const load = (ptr: Local): Expr => f.load(0, 8, ptr.get(), MEMORY);
  const along = (ptrs: Local[], body: (ptrs: Local[]) => Expr[]): Expr => nest(fn, [{ size: p.len, strides: ptrs.map(() => stride) }], ptrs, body);
  const body = nest(fn, [{ size: p.outer, strides: [p.len * stride, p.len * stride] }], [inBase, outBase], ([po, qo]) =>
    [
      nest(fn, [{ size: p.inner, strides: [8, 8] }], [po!, qo!], ([pi, qi]) => {
        const shifted = (ptr: Local): Expr => f.sub(load(ptr), mx.get());
        return [
          mx.set(f.const(-Infinity)),
          along([pi!], ([x]) => [mx.set(f.max(mx.get(), load(x!)))]),
          sum.set(f.const(0)),
          along([pi!], ([x]) => [sum.set(f.add(sum.get(), expF64(m, shifted(x!))))]),
          ...(p.log ? [logSum.set(logF64(m, sum.get()))] : []),
          along([pi!, qi!], ([x, y]) => [
            f.store(0, 8, y!.get(), p.log ? f.sub(shifted(x!), logSum.get()) : f.div(expF64(m, shifted(x!)), sum.get()), MEMORY),
          ]),
        ];
      }),
    ],
  );
  return fn.block([inBase.set(fn.param(0)), outBase.set(fn.param(1)), body]);
}
