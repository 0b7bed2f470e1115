import binaryen from 'binaryen';
import type { FunctionBuilder } from './dsl.js';

/**
 * Float32 math for wasm kernels, built from SIMD128 instructions (no relaxed-simd, no FMA), to a few ulp.
 *
 * Every helper takes the FunctionBuilder of the function being emitted (temporaries live in its locals) and
 * an expression `x`, evaluated exactly once, and returns an expression of the result. `...V` helpers take and
 * return f32x4 (v128) values; `...S` helpers take and return one f32. A scalar helper runs the vector code on
 * a splat and extracts lane 0, so a kernel's scalar tail computes bit-identical results to its SIMD body.
 *
 *   expV / expS          e^x; overflow to +inf above ~88.72, gradual underflow (denormals) down to 0
 *   logV / logS          ln x; log(0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, denormal inputs handled
 *   tanhV / tanhS        odd polynomial for |x| < 0.625, else 1 - 2/(e^2|x| + 1)
 *   sigmoidV / sigmoidS  1/(1 + e^-x) without overflow for any x (e^-|x| only)
 *   erfV / erfS          x + x P(x^2) for |x| < 0.921875, else 1 - exp(Q(|x|)) with Q ~ log erfc
 *   geluV / geluS        0.5 x (1 + erf(x/sqrt 2)) computed as 0.5 x erfc(-x/sqrt 2): accurate for negative x
 *                        down to -5.5 (below, -0; the true value is under 7e-8 in magnitude)
 *   geluTanhV / ...S     0.5 x (1 + tanh(u)) computed as x sigmoid(2u), u = sqrt(2/pi)(x + 0.044715 x^3)
 *   siluV / siluS        x sigmoid(x)
 *   reluKeepNaNV, clampV(x, lo, hi), leakyReluV(x, alpha), hardSigmoidV(x, alpha, beta), hardSwishV
 *                        the simple activations (alpha/beta/lo/hi are f32x4 expressions, e.g. splats)
 *
 * Measured accuracy (tests/wasm/vmath.test.ts, ~10^5 points per function incl. extremes and denormals, against
 * float64 Math.* / a double erf): max error in ulp / max relative error
 *   exp 0.95 / 7.9e-8, log 0.79 / 7.8e-8, tanh 1.24 / 1.3e-7, sigmoid 2.02 / 1.7e-7, erf 1.28 / 9.0e-8.
 * NaN propagates through every function. Special cases follow IEEE / Math.* (exp(-inf) = 0, tanh(±inf) = ±1...).
 */

type Expr = binaryen.ExpressionRef;

// ---------------------------------------------------------------------------------------------------------
// small builders

const splatF = (fn: FunctionBuilder, c: number): Expr => fn.m.f32x4.splat(fn.m.f32.const(c));
const splatI = (fn: FunctionBuilder, c: number): Expr => fn.m.i32x4.splat(fn.m.i32.const(c | 0));

/** Evaluates `x` into a fresh v128 local; returns the local and the statement that sets it. */
function hold(fn: FunctionBuilder, x: Expr): { set: Expr; get: () => Expr } {
  const l = fn.v128Local();
  return { set: l.set(x), get: () => l.get() };
}

/** A v128-valued block: statements, then the value. */
function seq(fn: FunctionBuilder, statements: Expr[], value: Expr): Expr {
  return statements.length === 0 ? value : fn.m.block(null, [...statements, value], binaryen.v128);
}

/** Horner evaluation c[0] + c[1] t + ... + c[n] t^n, with `t` a getter of a held value. */
function horner(fn: FunctionBuilder, t: () => Expr, c: readonly number[]): Expr {
  const f = fn.m.f32x4;
  let acc = splatF(fn, c[c.length - 1]!);
  for (let i = c.length - 2; i >= 0; i--) acc = f.add(f.mul(acc, t()), splatF(fn, c[i]!));
  return acc;
}

/** lanes of `a` where mask is set, else lanes of `b`. */
const select = (fn: FunctionBuilder, mask: Expr, a: Expr, b: Expr): Expr => fn.m.v128.bitselect(a, b, mask);

const toScalar = (fn: FunctionBuilder, vector: (fn: FunctionBuilder, x: Expr) => Expr, x: Expr): Expr =>
  fn.m.f32x4.extract_lane(vector(fn, fn.m.f32x4.splat(x)), 0);

// ---------------------------------------------------------------------------------------------------------
// exp

const LOG2E = 1.4426950408889634;
/** ln 2 split so that n * LN2_HI is exact for |n| <= 2^15 (Cephes). */
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
/** e^r - 1 - r = r^2 (c0 + c1 r + ...) on [-ln2/2, ln2/2] (Cephes expf). */
const EXP_POLY = [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4];

/** 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits. */
const ROUNDER = 12582912;

/** e^x for f32x4 x. */
export function expV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f, i32x4: i } = fn.m;
  // Clamping keeps the exponent arithmetic in range; beyond the bounds e^x is +inf or 0 anyway. pmin/pmax
  // (one instruction each) let NaN through, and NaN then propagates through the polynomial.
  const xc = hold(fn, f.pmin(f.pmax(x, splatF(fn, -104)), splatF(fn, 89)));
  // n = round(x log2 e) both as a float and, from the same bits, as an integer (no nearest / trunc_sat)
  const shifted = hold(fn, f.add(f.mul(xc.get(), splatF(fn, LOG2E)), splatF(fn, ROUNDER)));
  const n = hold(fn, f.sub(shifted.get(), splatF(fn, ROUNDER)));
  const r = hold(fn, f.sub(f.sub(xc.get(), f.mul(n.get(), splatF(fn, LN2_HI))), f.mul(n.get(), splatF(fn, LN2_LO))));
  const p = f.add(f.add(f.mul(horner(fn, r.get, EXP_POLY), f.mul(r.get(), r.get())), r.get()), splatF(fn, 1));
  // 2^n as two factors 2^(n>>1) * 2^(n - n>>1), each a normal float: n in [-150, 129] reaches the denormals
  // (one rounding, in the last multiply) and overflows to inf without an extra test.
  const ni = hold(fn, i.sub(shifted.get(), splatI(fn, 0x4b400000)));
  const half = hold(fn, i.shr_s(ni.get(), fn.i32(1)));
  const scale = (e: Expr) => i.shl(i.add(e, splatI(fn, 127)), fn.i32(23));
  const s1 = scale(half.get());
  const s2 = scale(i.sub(ni.get(), half.get()));
  return seq(fn, [xc.set, shifted.set, n.set, r.set, ni.set, half.set], f.mul(f.mul(p, s1), s2));
}

export const expS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, expV, x);

// ---------------------------------------------------------------------------------------------------------
// log

const SQRT_HALF = 0.70710678118654752;
const FLT_MIN = 1.1754943508222875e-38;
/** log(1 + t) = t - t^2/2 + t^3 P(t), t in [sqrt(1/2) - 1, sqrt 2 - 1] (Cephes logf). */
const LOG_POLY = [
  3.3333331174e-1, -2.4999993993e-1, 2.0000714765e-1, -1.6668057665e-1, 1.4249322787e-1, -1.2420140846e-1, 1.1676998740e-1,
  -1.1514610310e-1, 7.0376836292e-2,
];

/** ln x for f32x4 x. */
export function logV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f, i32x4: i, v128: v } = fn.m;
  const xl = hold(fn, x);
  // Denormals: scale by 2^23 into the normal range and take 23 off the exponent.
  const tiny = hold(fn, f.lt(xl.get(), splatF(fn, FLT_MIN)));
  const bits = hold(fn, select(fn, tiny.get(), f.mul(xl.get(), splatF(fn, 8388608)), xl.get()));
  // x = m 2^e with m in [0.5, 1); then m < sqrt(1/2) moves to [sqrt(1/2)*2, ...) so t = m - 1 is centred on 0.
  const e0 = i.sub(i.sub(i.shr_u(bits.get(), fn.i32(23)), splatI(fn, 126)), v.and(tiny.get(), splatI(fn, 23)));
  const mant = hold(fn, v.or(v.and(bits.get(), splatI(fn, 0x007fffff)), splatI(fn, 0x3f000000)));
  const low = hold(fn, f.lt(mant.get(), splatF(fn, SQRT_HALF)));
  const e = hold(fn, f.convert_i32x4_s(i.add(e0, low.get()))); // the mask is -1 where low
  const t = hold(fn, f.sub(f.add(mant.get(), v.and(mant.get(), low.get())), splatF(fn, 1)));
  const z = hold(fn, f.mul(t.get(), t.get()));
  let y = f.mul(f.mul(horner(fn, t.get, LOG_POLY), t.get()), z.get());
  y = f.add(y, f.mul(e.get(), splatF(fn, LN2_LO)));
  y = f.sub(y, f.mul(z.get(), splatF(fn, 0.5)));
  let r = f.add(f.add(t.get(), y), f.mul(e.get(), splatF(fn, LN2_HI)));
  // Special inputs: 0 -> -inf, +inf -> +inf, negative or NaN -> NaN.
  r = select(fn, f.eq(xl.get(), splatF(fn, 0)), splatF(fn, -Infinity), r);
  r = select(fn, f.eq(xl.get(), splatF(fn, Infinity)), splatF(fn, Infinity), r);
  r = select(fn, f.ge(xl.get(), splatF(fn, 0)), r, splatF(fn, NaN));
  return seq(fn, [xl.set, tiny.set, bits.set, mant.set, low.set, e.set, t.set, z.set], r);
}

export const logS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, logV, x);

// ---------------------------------------------------------------------------------------------------------
// tanh, sigmoid

/** tanh x = x + x^3 P(x^2) for |x| < 0.625 (Cephes tanhf). */
const TANH_POLY = [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3];
const TANH_SMALL = 0.625;
const SIGN_BIT = -0x80000000;

/** tanh x for f32x4 x. */
export function tanhV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f } = fn.m;
  const xl = hold(fn, x);
  const a = hold(fn, f.abs(xl.get()));
  const z = hold(fn, f.mul(xl.get(), xl.get()));
  const small = f.add(f.mul(f.mul(horner(fn, z.get, TANH_POLY), z.get()), xl.get()), xl.get());
  // 1 - 2/(e^2a + 1): e^2a = inf for large a gives exactly 1; the sign is copied from x.
  const large = f.sub(splatF(fn, 1), f.div(splatF(fn, 2), f.add(expV(fn, f.add(a.get(), a.get())), splatF(fn, 1))));
  const signed = select(fn, splatI(fn, SIGN_BIT), xl.get(), large);
  return seq(fn, [xl.set, a.set, z.set], select(fn, f.lt(a.get(), splatF(fn, TANH_SMALL)), small, signed));
}

export const tanhS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, tanhV, x);

/** 1/(1 + e^-x) for f32x4 x: e = e^-|x| never overflows; x >= 0 gives 1/(1+e), x < 0 gives e/(1+e). */
export function sigmoidV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f } = fn.m;
  const xl = hold(fn, x);
  const e = hold(fn, expV(fn, f.neg(f.abs(xl.get()))));
  const numerator = select(fn, f.ge(xl.get(), splatF(fn, 0)), splatF(fn, 1), e.get());
  return seq(fn, [xl.set, e.set], f.div(numerator, f.add(splatF(fn, 1), e.get())));
}

export const sigmoidS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, sigmoidV, x);

/** x sigmoid(x). */
export function siluV(fn: FunctionBuilder, x: Expr): Expr {
  const xl = hold(fn, x);
  return seq(fn, [xl.set], fn.m.f32x4.mul(xl.get(), sigmoidV(fn, xl.get())));
}

export const siluS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, siluV, x);

// ---------------------------------------------------------------------------------------------------------
// erf and GELU

/** erf x = x + x P(x^2) for |x| < ERF_SMALL (a minimax fit, rel. error 8e-8 in f32 arithmetic). */
const ERF_SMALL = 0.921875;
const ERF_POLY = [0.12837915122509003, -0.3761250674724579, 0.11281926929950714, -0.026770232245326042, 0.004998000804334879, -0.0006013393285684288];
/** log erfc t = Q(t) for t in [ERF_SMALL, ERF_LARGE]; beyond ERF_LARGE erfc t < 2^-25 and erf rounds to ±1. */
const ERF_LARGE = 3.9375;
const ERFC_LOG_POLY = [
  0.0003050566592719406, -1.1301766633987427, -0.6319155097007751, -0.11000289022922516, 0.02638121508061886, -0.0047469111159443855,
  0.0005943849100731313, -4.5804306864738464e-05, 1.6259724588962854e-06,
];

/**
 * The pieces erf and GELU share, for a held y: `small` = erf y for |y| < ERF_SMALL, `tail` = erfc |y| for
 * |y| >= ERF_SMALL (0 beyond ERF_LARGE; NaN for NaN), and the mask of lanes where `small` applies.
 */
function erfPieces(fn: FunctionBuilder, y: () => Expr): { setup: Expr[]; smallMask: Expr; small: Expr; tail: Expr } {
  const { f32x4: f, v128: v } = fn.m;
  const a = hold(fn, f.abs(y()));
  const s = hold(fn, f.mul(y(), y()));
  const small = f.add(y(), f.mul(y(), horner(fn, s.get, ERF_POLY)));
  const t = hold(fn, f.pmin(a.get(), splatF(fn, ERF_LARGE))); // NaN passes
  const tail = v.andnot(expV(fn, horner(fn, t.get, ERFC_LOG_POLY)), f.gt(a.get(), splatF(fn, ERF_LARGE)));
  return { setup: [a.set, s.set, t.set], smallMask: f.lt(a.get(), splatF(fn, ERF_SMALL)), small, tail };
}

/** erf x for f32x4 x. */
export function erfV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f } = fn.m;
  const xl = hold(fn, x);
  const p = erfPieces(fn, xl.get);
  const large = select(fn, splatI(fn, SIGN_BIT), xl.get(), f.sub(splatF(fn, 1), p.tail));
  return seq(fn, [xl.set, ...p.setup], select(fn, p.smallMask, p.small, large));
}

export const erfS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, erfV, x);

/** 0.5 x (1 + erf(x / sqrt 2)); 1 + erf(y) is erfc(-y), taken from the tail directly for y < 0 (no cancellation). */
export function geluV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f } = fn.m;
  const xl = hold(fn, x);
  const y = hold(fn, f.mul(xl.get(), splatF(fn, Math.SQRT1_2)));
  const p = erfPieces(fn, y.get);
  const tail = hold(fn, p.tail);
  const onePlusLarge = select(fn, f.lt(y.get(), splatF(fn, 0)), tail.get(), f.sub(splatF(fn, 2), tail.get()));
  const onePlusErf = select(fn, p.smallMask, f.add(splatF(fn, 1), p.small), onePlusLarge);
  return seq(fn, [xl.set, y.set, ...p.setup, tail.set], f.mul(f.mul(xl.get(), splatF(fn, 0.5)), onePlusErf));
}

export const geluS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, geluV, x);

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** 0.5 x (1 + tanh u) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): no cancellation for negative x. */
export function geluTanhV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f } = fn.m;
  const xl = hold(fn, x);
  const x2 = f.mul(xl.get(), xl.get());
  // 2u = 2 sqrt(2/pi) x (1 + 0.044715 x^2)
  const twoU = f.mul(f.mul(xl.get(), splatF(fn, 2 * SQRT_2_OVER_PI)), f.add(splatF(fn, 1), f.mul(x2, splatF(fn, 0.044715))));
  return seq(fn, [xl.set], f.mul(xl.get(), sigmoidV(fn, twoU)));
}

export const geluTanhS = (fn: FunctionBuilder, x: Expr): Expr => toScalar(fn, geluTanhV, x);

// ---------------------------------------------------------------------------------------------------------
// simple activations (also used by the elementwise kernels)

/** x < 0 ? 0 : x (NaN and -0 pass), as the FusedConv/FusedGemm Relu activation. */
export const reluKeepNaNV = (fn: FunctionBuilder, x: Expr): Expr => fn.m.f32x4.pmax(x, splatF(fn, 0));
/** x < lo ? lo : x > hi ? hi : x (NaN passes; lo > hi gives hi everywhere, as numpy.clip). */
export const clampV = (fn: FunctionBuilder, x: Expr, lo: Expr, hi: Expr): Expr => fn.m.f32x4.pmin(fn.m.f32x4.pmax(x, lo), hi);

/** x < 0 ? alpha x : x. */
export function leakyReluV(fn: FunctionBuilder, x: Expr, alpha: Expr): Expr {
  const { f32x4: f } = fn.m;
  const xl = hold(fn, x);
  return seq(fn, [xl.set], select(fn, f.lt(xl.get(), splatF(fn, 0)), f.mul(xl.get(), alpha), xl.get()));
}

/** max(0, min(1, alpha x + beta)), NaN-propagating as Math.max/min. */
export function hardSigmoidV(fn: FunctionBuilder, x: Expr, alpha: Expr, beta: Expr): Expr {
  const { f32x4: f } = fn.m;
  return f.max(splatF(fn, 0), f.min(splatF(fn, 1), f.add(f.mul(x, alpha), beta)));
}

/** x max(0, min(1, x/6 + 1/2)). */
export function hardSwishV(fn: FunctionBuilder, x: Expr): Expr {
  const { f32x4: f } = fn.m;
  const xl = hold(fn, x);
  const gate = f.max(splatF(fn, 0), f.min(splatF(fn, 1), f.add(f.div(xl.get(), splatF(fn, 6)), splatF(fn, 0.5))));
  return seq(fn, [xl.set], f.mul(xl.get(), gate));
}
