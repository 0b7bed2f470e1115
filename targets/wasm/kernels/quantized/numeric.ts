import binaryen from 'binaryen';
import { dtypeRange, getAttr, type DType, type Node } from '../../../../ir/index.js';
import { clampRange } from '../../../../ir/ops/quantized.js';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import { loadScalar, storeScalar } from '../elementwise/elementwise-scalar.js';

type Expr = binaryen.ExpressionRef;

/**
 * Integer building blocks of edgec's quantized IR kernels (ir/ops/quantized.ts states the arithmetic):
 * requantize(acc, M, S) = (int64(acc) * M + 2^(S-1)) >> S in i64, then + zero point and the clamp, all in i64
 * so that no intermediate wraps before the clamp.
 */

/** The output side of a requantizing op: dtype, zero point and the clamp bounds (act range ∩ dtype range). */
export interface QOutput {
  dtype: DType;
  zeroPoint: number;
  lo: number;
  hi: number;
}

export function qOutputOf(node: Node): QOutput {
  const dtype = getAttr<string>(node, 'dtype') as DType;
  if (dtype === 'i32') return { dtype, zeroPoint: 0, lo: -(2 ** 31), hi: 2 ** 31 - 1 };
  const [lo, hi] = clampRange(dtype, getAttr<number>(node, 'act_min'), getAttr<number>(node, 'act_max'));
  return { dtype, zeroPoint: getAttr<number>(node, 'y_zero_point'), lo, hi };
}

/** An i64 constant of a (safe) integer value. */
export function i64Const(fn: FunctionBuilder, v: number): Expr {
  return fn.m.i64.const(BigInt(v));
}

/** An 8/16/32-bit integer element as i32 (sign- or zero-extended). */
export function loadQ(fn: FunctionBuilder, dtype: DType, ptr: Expr): Expr {
  return loadScalar(fn, dtype, ptr);
}
export function storeQ(fn: FunctionBuilder, dtype: DType, ptr: Expr, value: Expr): Expr {
  return storeScalar(fn, dtype, ptr, value);
}
export function storeI16(fn: FunctionBuilder, ptr: Expr, value: Expr, offset = 0): Expr {
  return fn.m.i32.store16(offset, 2, ptr, value, MEMORY);
}

/**
 * Statements storing clamp(t + zp) (t an i64 expression, e.g. a requantized value) into `ptr` as `out.dtype`;
 * `tmp` is an i64 local.
 */
export function storeClamped(fn: FunctionBuilder, out: QOutput, ptr: Expr, t: Expr, tmp: Local): Expr[] {
  const m = fn.m;
  const v = () => tmp.get();
  const [dlo, dhi] = dtypeRange(out.dtype);
  const lo = Math.max(out.lo, dlo);
  const hi = Math.min(out.hi, dhi);
  return [
    tmp.set(m.i64.add(t, i64Const(fn, out.zeroPoint))),
    tmp.set(m.select(m.i64.lt_s(v(), i64Const(fn, lo)), i64Const(fn, lo), v())),
    tmp.set(m.select(m.i64.gt_s(v(), i64Const(fn, hi)), i64Const(fn, hi), v())),
    storeQ(fn, out.dtype, ptr, m.i32.wrap(v())),
  ];
}

/** (int64(acc) * M + 2^(S-1)) >> S with acc an i32 expression, M and S i32 expressions (S in [1, 62]). */
export function requantizeI64(fn: FunctionBuilder, acc: Expr, multiplier: Expr, shift: () => Expr): Expr {
  const m = fn.m;
  const s = () => m.i64.extend_u(shift());
  const round = m.i64.shl(i64Const(fn, 1), m.i64.sub(s(), i64Const(fn, 1)));
  return m.i64.shr_s(m.i64.add(m.i64.mul(m.i64.extend_s(acc), m.i64.extend_u(multiplier)), round), s());
}
