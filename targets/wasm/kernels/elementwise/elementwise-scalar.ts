import binaryen from 'binaryen';
import type { DType } from '../../../../ir/index.js';
import type { FunctionBuilder } from '../../dsl.js';
import { memoryOps } from './elementwise-loops.js';

/**
 * One-element-at-a-time code for the dtypes without a SIMD path: the integer types (computed in i32 or i64,
 * wrapping on store as typed arrays do), f64 and bool. Integer division truncates toward zero and x / 0 is 0,
 * as the reference kernels compute; nothing here can trap.
 */

type Expr = binaryen.ExpressionRef;
export type Getter = () => Expr;

/** The wasm value type a dtype is computed in. */
export type ScalarClass = 'i32' | 'i64' | 'f64';

export function scalarClass(dtype: DType): ScalarClass | null {
  switch (dtype) {
    case 'i8':
    case 'u8':
    case 'i16':
    case 'u16':
    case 'i32':
    case 'u32':
    case 'bool':
      return 'i32';
    case 'i64':
    case 'u64':
      return 'i64';
    case 'f64':
      return 'f64';
    default:
      return null;
  }
}

export const classType = (c: ScalarClass): binaryen.Type => (c === 'i32' ? binaryen.i32 : c === 'i64' ? binaryen.i64 : binaryen.f64);

/** u32 and u64 need unsigned compares and division; narrower unsigned types are zero-extended into i32. */
const isWideUnsigned = (d: DType) => d === 'u32' || d === 'u64';
const isUnsigned = (d: DType) => d === 'u8' || d === 'u16' || d === 'u32' || d === 'u64' || d === 'bool';

export function loadScalar(fn: FunctionBuilder, dtype: DType, ptr: Expr): Expr {
  const mem = memoryOps(fn.m);
  switch (dtype) {
    case 'i8':
      return fn.loadI8(ptr);
    case 'u8':
    case 'bool':
      return fn.loadU8(ptr);
    case 'i16':
      return mem.load16(ptr, true);
    case 'u16':
      return mem.load16(ptr, false);
    case 'i32':
    case 'u32':
      return fn.loadI32(ptr);
    case 'i64':
    case 'u64':
      return fn.loadI64(ptr);
    case 'f64':
      return mem.loadF64(ptr);
    default:
      throw new Error(`no scalar load for ${dtype}`);
  }
}

export function storeScalar(fn: FunctionBuilder, dtype: DType, ptr: Expr, v: Expr): Expr {
  const mem = memoryOps(fn.m);
  switch (dtype) {
    case 'i8':
    case 'u8':
    case 'bool':
      return fn.storeI8(ptr, v);
    case 'i16':
    case 'u16':
      return mem.store16(ptr, v);
    case 'i32':
    case 'u32':
      return fn.storeI32(ptr, v);
    case 'i64':
    case 'u64':
      return fn.storeI64(ptr, v);
    case 'f64':
      return mem.storeF64(ptr, v);
    default:
      throw new Error(`no scalar store for ${dtype}`);
  }
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** An i64 constant from a number, saturating at the i64 range (bounds like INT64_MAX arrive rounded up to 2^63). */
function i64Const(m: binaryen.Module, x: number): Expr {
  let b = Number.isFinite(x) ? BigInt(Math.trunc(x)) : x > 0 ? I64_MAX : I64_MIN;
  if (b > I64_MAX) b = I64_MAX;
  if (b < I64_MIN) b = I64_MIN;
  // binaryen 132 takes one bigint (its .d.ts still declares the old (low, high) form)
  return (m.i64.const as unknown as (v: bigint) => Expr)(b);
}

/** Arithmetic and comparisons of one dtype, on expressions of its class. */
export function scalarOps(fn: FunctionBuilder, dtype: DType) {
  const m = fn.m;
  const c = scalarClass(dtype)!;
  const t = c === 'i32' ? m.i32 : c === 'i64' ? m.i64 : null;
  const f = m.f64;
  const wideU = isWideUnsigned(dtype);
  const konst = (x: number): Expr => (c === 'i32' ? m.i32.const(x | 0) : c === 'i64' ? i64Const(m, x) : m.f64.const(x));
  const ops = {
    konst,
    add: (a: Expr, b: Expr) => (t ? t.add(a, b) : f.add(a, b)),
    sub: (a: Expr, b: Expr) => (t ? t.sub(a, b) : f.sub(a, b)),
    mul: (a: Expr, b: Expr) => (t ? t.mul(a, b) : f.mul(a, b)),
    /** i32 0/1 */
    eq: (a: Expr, b: Expr) => (t ? t.eq(a, b) : f.eq(a, b)),
    lt: (a: Expr, b: Expr) => (t ? (wideU ? t.lt_u(a, b) : t.lt_s(a, b)) : f.lt(a, b)),
    gt: (a: Expr, b: Expr) => (t ? (wideU ? t.gt_u(a, b) : t.gt_s(a, b)) : f.gt(a, b)),
    select: (cond: Expr, a: Expr, b: Expr) => m.select(cond, a, b),
    /** Math.min / Math.max: NaN-propagating for f64. */
    min: (a: Getter, b: Getter) => (t ? ops.select(ops.lt(b(), a()), b(), a()) : f.min(a(), b())),
    max: (a: Getter, b: Getter) => (t ? ops.select(ops.gt(b(), a()), b(), a()) : f.max(a(), b())),
    /** Truncating division, x / 0 = 0; for floats IEEE division. */
    div: (a: Getter, b: Getter): Expr => {
      if (!t) return f.div(a(), b());
      if (wideU || isUnsigned(dtype)) {
        const safe = ops.select(ops.eq(b(), konst(0)), konst(1), b());
        return ops.select(ops.eq(b(), konst(0)), konst(0), t.div_u(a(), safe));
      }
      // b = -1 is computed as a negation: INT_MIN / -1 would trap.
      const trouble = m.i32.or(ops.eq(b(), konst(0)), ops.eq(b(), konst(-1)));
      const q = t.div_s(a(), ops.select(trouble, konst(1), b()));
      return ops.select(ops.eq(b(), konst(0)), konst(0), ops.select(ops.eq(b(), konst(-1)), t.sub(konst(0), a()), q));
    },
    neg: (a: Expr) => (t ? t.sub(konst(0), a) : f.neg(a)),
    abs: (a: Getter) => (t ? (isUnsigned(dtype) ? a() : ops.select(t.lt_s(a(), konst(0)), t.sub(konst(0), a()), a())) : f.abs(a())),
  };
  return ops;
}

/**
 * Integer x ** y (y of the same dtype) by squaring, as trunc(x ** y) of the reference for results that fit:
 * negative y gives 1 for x = 1, ±1 for x = -1 and 0 otherwise (1/x truncated; 0 ** -n is inf, stored as 0).
 */
export function integerPow(fn: FunctionBuilder, dtype: DType, x: Getter, y: Getter): Expr {
  const m = fn.m;
  const c = scalarClass(dtype)!;
  const o = scalarOps(fn, dtype);
  const t = c === 'i32' ? m.i32 : m.i64;
  const type = classType(c);
  const r = fn.local(type);
  const b = fn.local(type);
  const e = fn.local(type);
  const id = `ipow${fn.localTypes.length}`;
  const isZero = (v: Expr) => (c === 'i32' ? m.i32.eqz(v) : m.i64.eqz(v));
  const odd = () => m.i32.eqz(isZero(t.and(e.get(), o.konst(1))));
  const squaring = m.block(`${id}exit`, [
    m.loop(
      `${id}loop`,
      m.block(null, [
        m.br(`${id}exit`, isZero(e.get())),
        m.if(odd(), r.set(t.mul(r.get(), b.get()))),
        b.set(t.mul(b.get(), b.get())),
        e.set(t.shr_u(e.get(), o.konst(1))),
        m.br(`${id}loop`),
      ]),
    ),
  ]);
  const negative = o.select(
    o.eq(b.get(), o.konst(1)),
    o.konst(1),
    o.select(o.eq(b.get(), o.konst(-1)), o.select(odd(), o.konst(-1), o.konst(1)), o.konst(0)),
  );
  const signed = !isUnsigned(dtype);
  return m.block(
    null,
    [
      r.set(o.konst(1)),
      b.set(x()),
      e.set(y()),
      signed ? m.if(t.lt_s(e.get(), o.konst(0)), r.set(negative), squaring) : squaring,
      r.get(),
    ],
    type,
  );
}
