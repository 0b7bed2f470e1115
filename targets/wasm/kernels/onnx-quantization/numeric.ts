import binaryen from 'binaryen';
import { dtypeRange, type DType } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import { loadScalar, storeScalar } from '../elementwise/elementwise-scalar.js';
import { f32ToHalf, halfToF32 } from '../cast/half.js';

type Expr = binaryen.ExpressionRef;

/**
 * Numeric building blocks of the quantization kernels, mirroring targets/reference/kernels/onnx-quantization/numeric.ts:
 * integer elements as i32, float parameters (f32, f16, bf16) as f32, float32 rounding of every step, and
 * saturate(round_half_even(v) + zero_point) computed in f64 (exact for every value that reaches it).
 */

export const INT_TYPES: readonly DType[] = ['i8', 'u8', 'i16', 'u16', 'i32'];
export const FLOAT_PARAM_TYPES: readonly DType[] = ['f32', 'f16', 'bf16'];

/** An 8/16/32-bit integer element as i32 (sign- or zero-extended). */
export function loadInt(fn: FunctionBuilder, dtype: DType, ptr: Expr): Expr {
  return loadScalar(fn, dtype, ptr);
}

export function storeInt(fn: FunctionBuilder, dtype: DType, ptr: Expr, value: Expr): Expr {
  return storeScalar(fn, dtype, ptr, value);
}

/** An f32 / f16 / bf16 element as f32 (exact). */
export function loadFloat(fn: FunctionBuilder, dtype: DType, ptr: Expr): Expr {
  if (dtype === 'f32') return fn.loadF(ptr);
  return halfToF32(fn.m, dtype as 'f16' | 'bf16', fn.m.i32.load16_u(0, 2, ptr, 'mem'));
}

/** Stores an f32 value as f32, or rounded to nearest even into f16 / bf16. */
export function storeFloat(fn: FunctionBuilder, dtype: DType, ptr: Expr, value: Expr): Expr {
  if (dtype === 'f32') return fn.storeF(ptr, value);
  return fn.m.i32.store16(0, 2, ptr, f32ToHalf(fn.m, dtype as 'f16' | 'bf16', value), 'mem');
}

/** An f32 value rounded to `dtype`'s precision (the reference's roundFloat after a float32 operation). */
export function roundTo(fn: FunctionBuilder, dtype: DType, value: Expr): Expr {
  if (dtype === 'f32') return value;
  const d = dtype as 'f16' | 'bf16';
  return halfToF32(fn.m, d, f32ToHalf(fn.m, d, value));
}

/**
 * saturate(round_half_even(q) + zeroPoint) into [lo, hi] of `out`, as an i32; NaN gives the zero point (the
 * reference's saturateRound). q is an f32 local (read twice), zeroPoint an i32 expression without side effects.
 */
export function saturateRound(fn: FunctionBuilder, q: Local, zeroPoint: Expr, out: DType): Expr {
  const m = fn.m;
  const [lo, hi] = dtypeRange(out);
  const zp = m.f64.convert_s.i32(zeroPoint);
  const rounded = m.f64.add(m.f64.promote(m.f32.nearest(q.get())), zp);
  // binaryen expressions cannot have two parents: the zero point's second use is a copy.
  const value = m.select(m.f32.ne(q.get(), q.get()), m.f64.convert_s.i32(m.copyExpression(zeroPoint)), rounded);
  const clamped = m.f64.min(m.f64.max(value, m.f64.const(lo)), m.f64.const(hi));
  return m.i32.trunc_s_sat.f64(clamped);
}
