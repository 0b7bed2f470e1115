import binaryen from 'binaryen';
import { dtypeBytes, getAttr, numel, type Node, type Value } from '../../../../ir/index.js';
import type { FunctionBuilder } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { accumulatorEpilogue } from './conv.js';
import { emitDot, packRowsI16, packRowsI8, padTo8 } from './dot.js';
import { loadQ, qOutputOf, storeI16 } from './numeric.js';

type Expr = binaryen.ExpressionRef;

/**
 * QMatMul with a constant 2-D b [K, N] (the quantizer's fully connected layers): b is packed at compile time as
 * N rows of (b - b_zp), i8 where every value fits (symmetric int8 weights always do) else i16; every row of a
 * (any batch dims, or 1-D) is widened to (a - a_zp) i16 in scratch; emitDot sums, the shared epilogue adds
 * bias[n] and requantizes per column.
 */

const EIGHT_BIT = ['i8', 'u8'];

export function checkQMatMul(node: Node): string | null {
  const [a, b] = node.inputs;
  if (!EIGHT_BIT.includes(a!.type.dtype) || !EIGHT_BIT.includes(b!.type.dtype)) return `QMatMul on ${a!.type.dtype} x ${b!.type.dtype} is not supported (8-bit)`;
  if (b!.type.shape.length !== 2) return `QMatMul with a rank-${b!.type.shape.length} b is not supported (2-D b only)`;
  if (!b!.isConstant) return 'QMatMul b must be constant (it is packed at compile time)';
  return null;
}

export function qmatmulScratchBytes(node: Node): number {
  const a = node.inputs[0]!.type.shape as number[];
  const K = a[a.length - 1]!;
  return (numel(a) / K) * padTo8(K) * 2;
}

export function emitQMatMul(node: Node, ctx: EmitContext): Expr {
  const [a, b, bias, mult, shift] = node.inputs;
  const y = node.outputs[0]!;
  const [K, N] = b!.type.shape as number[];
  const kPad = padTo8(K!);
  const rows = numel(a!.type.shape as number[]) / K!;
  const aZp = getAttr<number>(node, 'a_zero_point');
  const bZp = getAttr<number>(node, 'b_zero_point');
  const out = qOutputOf(node);
  const bData = b!.data!.data as Int8Array | Uint8Array;
  const shifted = (n: number, k: number) => bData[k * N! + n]! - bZp;
  const narrow = packRowsI8(N!, K!, kPad, shifted);
  const wBytes: 1 | 2 = narrow ? 1 : 2;
  const packed = ctx.placeData(`qmatmul-b:${b!.name}:${bZp}:${kPad}:${wBytes}`, narrow ?? packRowsI16(N!, K!, kPad, shifted));
  const perChannel = !!mult && numel(mult.type.shape as number[]) > 1;
  const ad = a!.type.dtype;
  const plan = { rows, K: K!, N: N!, kPad, ad, aZp, wBytes, out, bias: !!bias, mult: !!mult, perChannel };
  // Params: a, packed b, bias, multiplier, shift, y, scratch.
  const name = ctx.defineFunction('qmatmul', plan, 7, (fn: FunctionBuilder, { rows, K, N, kPad, ad, aZp, wBytes, out, bias, mult, perChannel }) => {
    const m = fn.m;
    const [r, k, src, dst] = Array.from({ length: 4 }, () => fn.i32Local());
    const tmp = fn.local(binaryen.i64);
    const ab = dtypeBytes(ad);
    const widen = fn.block([
      fn.fill(fn.param(6), fn.i32(0), fn.i32(rows * kPad * 2)),
      src.set(fn.param(0)),
      fn.for(r, 0, rows, 1, [
        dst.set(m.i32.add(fn.param(6), fn.mulConst(r.get(), kPad * 2))),
        fn.for(k, 0, K, 1, [storeI16(fn, dst.get(), fn.addConst(loadQ(fn, ad, src.get()), -aZp)), src.set(fn.addConst(src.get(), ab)), dst.set(fn.addConst(dst.get(), 2))]),
      ]),
    ]);
    const dot = emitDot(fn, {
      rows,
      channels: N,
      kPad,
      wBytes,
      x: () => fn.param(6),
      w: () => fn.param(1),
      epilogue: (ch, p, acc) => {
        const yAt = m.i32.add(fn.param(5), fn.mulConst(m.i32.add(fn.mulConst(p.get(), N), ch()), dtypeBytes(out.dtype)));
        return accumulatorEpilogue(fn, out, { bias, mult, perChannel }, ch, acc, yAt, tmp);
      },
    });
    return fn.block([widen, dot]);
  });
  const addr = (v: Value | null | undefined) => (v ? ctx.addressOf(v) : 0);
  return ctx.call(name, [addr(a), packed, addr(bias), addr(mult), addr(shift), addr(y), ctx.scratch(qmatmulScratchBytes(node))]);
}
