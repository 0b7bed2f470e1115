import binaryen from 'binaryen';
import { moduleFunction } from '../../dsl.js';

type Expr = binaryen.ExpressionRef;

/**
 * f16 / bf16 <-> f32 conversions with integer bit manipulation, bit for bit like ir/dtype.ts (floatToHalf,
 * halfToFloat, floatToBfloat16, bfloat16ToFloat): round to nearest even, denormals, infinities, and NaN as
 * the quiet NaN those functions produce (f16: sign | 0x7e00; bf16: 0x7fc0). In memory both are 2-byte values.
 *
 * Each conversion is one small module-level function (added once per module), called per element; binaryen's
 * optimizer inlines it where that pays.
 */

/** f32 -> f16 bits (i32 holding 0..0xffff), as floatToHalf. */
export function f32ToHalfBits(m: binaryen.Module, x: Expr): Expr {
  const name = moduleFunction(m, 'edgec_f32_to_f16', binaryen.f32, binaryen.i32, (fn, arg) => {
    const i = m.i32;
    const [bits, sign, exp, mant, e, q, rest, shift, half] = Array.from({ length: 9 }, () => fn.i32Local());
    const ret = (v: Expr) => m.return(v);
    const roundUp = (r: Expr, h: Expr) => i.or(i.gt_u(r, h), i.and(i.eq(rest.get(), half.get()), i.and(q.get(), fn.i32(1))));
    return m.block(null, [
      bits.set(i.reinterpret(arg())),
      sign.set(i.and(i.shr_u(bits.get(), fn.i32(16)), fn.i32(0x8000))),
      exp.set(i.and(i.shr_u(bits.get(), fn.i32(23)), fn.i32(0xff))),
      mant.set(i.and(bits.get(), fn.i32(0x7fffff))),
      m.if(i.eq(exp.get(), fn.i32(0xff)), ret(i.or(i.or(sign.get(), fn.i32(0x7c00)), m.select(mant.get(), fn.i32(0x200), fn.i32(0))))),
      e.set(i.sub(exp.get(), fn.i32(112))),
      m.if(i.ge_s(e.get(), fn.i32(0x1f)), ret(i.or(sign.get(), fn.i32(0x7c00)))),
      m.if(
        i.le_s(e.get(), fn.i32(0)),
        fn.block([
          m.if(i.lt_s(e.get(), fn.i32(-10)), ret(sign.get())),
          mant.set(i.or(mant.get(), fn.i32(0x800000))),
          shift.set(i.sub(fn.i32(14), e.get())),
          half.set(i.shl(fn.i32(1), i.sub(shift.get(), fn.i32(1)))),
          q.set(i.shr_u(mant.get(), shift.get())),
          rest.set(i.and(mant.get(), i.sub(i.shl(fn.i32(1), shift.get()), fn.i32(1)))),
          m.if(roundUp(rest.get(), half.get()), q.set(fn.addConst(q.get(), 1))),
          ret(i.or(sign.get(), q.get())),
        ]),
      ),
      q.set(i.shr_u(mant.get(), fn.i32(13))),
      rest.set(i.and(mant.get(), fn.i32(0x1fff))),
      half.set(fn.i32(0x1000)),
      m.if(
        roundUp(rest.get(), half.get()),
        fn.block([
          q.set(fn.addConst(q.get(), 1)),
          m.if(
            i.eq(q.get(), fn.i32(0x400)),
            fn.block([q.set(fn.i32(0)), e.set(fn.addConst(e.get(), 1)), m.if(i.ge_s(e.get(), fn.i32(0x1f)), ret(i.or(sign.get(), fn.i32(0x7c00))))]),
          ),
        ]),
      ),
      i.or(i.or(sign.get(), i.shl(e.get(), fn.i32(10))), q.get()),
    ], binaryen.i32);
  });
  return m.call(name, [x], binaryen.i32);
}

/** f16 bits (low 16 bits of an i32) -> f32, as halfToFloat (NaN becomes the canonical quiet NaN). */
export function halfBitsToF32(m: binaryen.Module, h: Expr): Expr {
  const name = moduleFunction(m, 'edgec_f16_to_f32', binaryen.i32, binaryen.f32, (fn, arg) => {
    const i = m.i32;
    const [sign, exp, frac] = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    return m.block(null, [
      sign.set(i.shl(i.and(arg(), fn.i32(0x8000)), fn.i32(16))),
      exp.set(i.and(i.shr_u(arg(), fn.i32(10)), fn.i32(0x1f))),
      frac.set(i.and(arg(), fn.i32(0x3ff))),
      // Denormals (and zeros): frac · 2^-24 is exact in f32; the sign goes on as a bit.
      m.if(i.eqz(exp.get()), m.return(m.f32.reinterpret(i.or(i.reinterpret(m.f32.mul(m.f32.convert_u.i32(frac.get()), fn.f32(2 ** -24))), sign.get())))),
      m.if(
        i.eq(exp.get(), fn.i32(0x1f)),
        m.return(m.select(frac.get(), fn.f32(NaN), m.f32.reinterpret(i.or(sign.get(), fn.i32(0x7f800000))))),
      ),
      m.f32.reinterpret(i.or(sign.get(), i.or(i.shl(fn.addConst(exp.get(), 112), fn.i32(23)), i.shl(frac.get(), fn.i32(13))))),
    ], binaryen.f32);
  });
  return m.call(name, [h], binaryen.f32);
}

/** f32 -> bf16 bits, as floatToBfloat16: NaN -> 0x7fc0, else round to nearest even on the high half. */
export function f32ToBfloat16Bits(m: binaryen.Module, x: Expr): Expr {
  const name = moduleFunction(m, 'edgec_f32_to_bf16', binaryen.f32, binaryen.i32, (fn, arg) => {
    const i = m.i32;
    const bits = fn.i32Local();
    const rounded = i.and(i.shr_u(i.add(bits.get(), i.add(fn.i32(0x7fff), i.and(i.shr_u(bits.get(), fn.i32(16)), fn.i32(1)))), fn.i32(16)), fn.i32(0xffff));
    return m.block(null, [bits.set(i.reinterpret(arg())), m.select(m.f32.ne(arg(), arg()), fn.i32(0x7fc0), rounded)], binaryen.i32);
  });
  return m.call(name, [x], binaryen.i32);
}

/** bf16 bits (low 16 bits of an i32) -> f32: the high half of the f32's bits. */
export function bfloat16BitsToF32(m: binaryen.Module, b: Expr): Expr {
  return m.f32.reinterpret(m.i32.shl(b, m.i32.const(16)));
}

/** The 2-byte half dtypes' conversions, by dtype. */
export function halfToF32(m: binaryen.Module, dtype: 'f16' | 'bf16', bits: Expr): Expr {
  return dtype === 'f16' ? halfBitsToF32(m, bits) : bfloat16BitsToF32(m, bits);
}

export function f32ToHalf(m: binaryen.Module, dtype: 'f16' | 'bf16', x: Expr): Expr {
  return dtype === 'f16' ? f32ToHalfBits(m, x) : f32ToBfloat16Bits(m, x);
}
