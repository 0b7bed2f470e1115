import binaryen from 'binaryen';
import { moduleFunction } from './dsl.js';

/**
 * Scalar f64 exp and log for the f64 paths (elementwise Exp/Log, ReduceLogSum, ReduceLogSumExp), accurate to a
 * few ulp of Math.exp / Math.log (the reference's), each a module-level function defined once per module.
 *
 * exp(x) = 2^k exp(r), k = round(x / ln2), r = x - k ln2 with ln2 split in two (k ln2_hi is exact for |k| < 2^11),
 * so |r| <= ln2 / 2 and the Taylor series to r^13 is exact to 4e-18. x is first clamped to [-746, 710] (beyond
 * those exp is 0 or inf anyway; NaN passes through), and 2^k is applied as two powers 2^k1 2^k2 with normal
 * exponents, so results that overflow or fall into the subnormals are rounded once, like the true value.
 *
 * log(x) = e ln2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^54 first):
 * log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, whose odd series to s^23 is exact to 1e-17.
 * log(0) = -inf, log(inf) = inf, log of a negative or NaN is NaN.
 */

type Expr = binaryen.ExpressionRef;

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;

/** Horner: c[0] + t (c[1] + t (c[2] + ...)). */
function horner(m: binaryen.Module, t: () => Expr, c: readonly number[]): Expr {
  let acc = m.f64.const(c[c.length - 1]!);
  for (let i = c.length - 2; i >= 0; i--) acc = m.f64.add(m.f64.const(c[i]!), m.f64.mul(t(), acc));
  return acc;
}

/** 1 / n! for n = 0..13. */
const EXP_TAYLOR = Array.from({ length: 14 }, (_, n) => 1 / Array.from({ length: n }, (_, i) => i + 1).reduce((a, b) => a * b, 1));
/** 1 / (2n + 3) for n = 0..10: atanh(s) = s + s^3 (1/3 + z/5 + z^2/7 + ...), z = s^2. */
const ATANH_SERIES = Array.from({ length: 11 }, (_, n) => 1 / (2 * n + 3));

/** 2^k for an i32 k whose biased exponent k + 1023 is in 1..2046. */
function pow2(m: binaryen.Module, k: Expr): Expr {
  return m.f64.reinterpret(m.i64.shl(m.i64.extend_s(m.i32.add(k, m.i32.const(1023))), m.i64.const(52n)));
}

export function expF64(m: binaryen.Module, x: Expr): Expr {
  const name = moduleFunction(m, 'edgec_exp_f64', binaryen.f64, binaryen.f64, (fn, arg) => {
    const f = m.f64;
    const [xc, k, r] = [fn.local(binaryen.f64), fn.local(binaryen.f64), fn.local(binaryen.f64)];
    const [ki, k1] = [fn.i32Local(), fn.i32Local()];
    return m.block(
      null,
      [
        xc.set(f.min(f.max(arg(), f.const(-746)), f.const(710))),
        k.set(f.nearest(f.mul(xc.get(), f.const(1 / Math.LN2)))),
        r.set(f.sub(f.sub(xc.get(), f.mul(k.get(), f.const(LN2_HI))), f.mul(k.get(), f.const(LN2_LO)))),
        ki.set(m.i32.trunc_s_sat.f64(k.get())),
        k1.set(m.i32.shr_s(ki.get(), m.i32.const(1))),
        f.mul(f.mul(horner(m, () => r.get(), EXP_TAYLOR), pow2(m, k1.get())), pow2(m, m.i32.sub(ki.get(), k1.get()))),
      ],
      binaryen.f64,
    );
  });
  return m.call(name, [x], binaryen.f64);
}

export function logF64(m: binaryen.Module, x: Expr): Expr {
  const name = moduleFunction(m, 'edgec_log_f64', binaryen.f64, binaryen.f64, (fn, arg) => {
    const f = m.f64;
    const [v, mant, s, z] = [fn.local(binaryen.f64), fn.local(binaryen.f64), fn.local(binaryen.f64), fn.local(binaryen.f64)];
    const bits = fn.local(binaryen.i64);
    const e = fn.i32Local();
    return m.block(
      null,
      [
        // Zero, infinity, negatives and NaN.
        m.if(
          m.i32.eqz(m.i32.and(f.gt(arg(), f.const(0)), f.lt(arg(), f.const(Infinity)))),
          m.return(m.select(f.eq(arg(), f.const(0)), f.const(-Infinity), m.select(f.eq(arg(), f.const(Infinity)), arg(), f.const(NaN)))),
        ),
        v.set(arg()),
        e.set(m.i32.const(-1023)),
        m.if(f.lt(v.get(), f.const(2 ** -1022)), m.block(null, [v.set(f.mul(v.get(), f.const(2 ** 54))), e.set(m.i32.const(-1023 - 54))])),
        bits.set(m.i64.reinterpret(v.get())),
        e.set(m.i32.add(e.get(), m.i32.wrap(m.i64.shr_u(bits.get(), m.i64.const(52n))))),
        mant.set(f.reinterpret(m.i64.or(m.i64.and(bits.get(), m.i64.const(0xfffffffffffffn)), m.i64.const(0x3ff0000000000000n)))),
        m.if(f.gt(mant.get(), f.const(Math.SQRT2)), m.block(null, [mant.set(f.mul(mant.get(), f.const(0.5))), e.set(m.i32.add(e.get(), m.i32.const(1)))])),
        s.set(f.div(f.sub(mant.get(), f.const(1)), f.add(mant.get(), f.const(1)))),
        z.set(f.mul(s.get(), s.get())),
        // e ln2_hi + (2 s + 2 s z P(z) + e ln2_lo)
        f.add(
          f.mul(f.convert_s.i32(e.get()), f.const(LN2_HI)),
          f.add(f.add(f.mul(s.get(), f.const(2)), f.mul(f.mul(f.mul(s.get(), f.const(2)), z.get()), horner(m, () => z.get(), ATANH_SERIES))), f.mul(f.convert_s.i32(e.get()), f.const(LN2_LO))),
        ),
      ],
      binaryen.f64,
    );
  });
  return m.call(name, [x], binaryen.f64);
}
