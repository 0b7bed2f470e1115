import binaryen from 'binaryen';
import { broadcastShapes, dtypeBytes, dtypeRange, getAttr, numel, type DType, type Node, type Value } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { saturateRound } from '../onnx-quantization/numeric.js';
import { i64Const, loadQ, qOutputOf, requantizeI64, storeClamped, storeQ, type QOutput } from './numeric.js';
import { broadcastIndex } from '../onnx-quantization/matmul.js';

type Expr = binaryen.ExpressionRef;

/**
 * The per-element ops of edgec's quantized IR, as targets/reference/kernels/quantized.ts computes them:
 * QuantizeF32 (f64 division by the f64 scale, rounded to f32, then round half to even + zp, NaN -> zp),
 * DequantizeF32 ((q - zp) * scale in f64, rounded once to f32), QRequantize, QAdd (one shared shift, with
 * numpy broadcasting through static index tables) and QGlobalAveragePool (int32 plane sums). QuantizeF32 and
 * DequantizeF32 take SIMD lanes when the scale is an f32 (the same results), QAdd of equal shapes when its
 * multipliers split into i16 halves (qAddSplit); the rest are scalar loops.
 */

const sizeOf = (v: Value) => numel(v.type.shape as number[]);

export function emitQuantizeF32(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const n = sizeOf(x);
  const scale = getAttr<number>(node, 'scale');
  const zp = getAttr<number>(node, 'zero_point');
  const out = y.type.dtype;
  const name = ctx.defineFunction('qf32', { n, scale, zp, out }, 2, (fn, { n, scale, zp, out }) => {
    const m = fn.m;
    const i = fn.i32Local();
    const q = fn.f32Local();
    const vectors = Math.fround(scale) === scale ? Math.floor(n / 16) * 16 : 0;
    return fn.block([
      ...(vectors ? [quantizeF32Vectors(fn, vectors, scale, zp, out)] : []),
      fn.for(i, vectors, n, 1, [
        q.set(m.f32.demote(m.f64.div(m.f64.promote(fn.loadF(m.i32.add(fn.param(0), fn.mulConst(i.get(), 4)))), m.f64.const(scale)))),
        storeQ(fn, out, m.i32.add(fn.param(1), fn.mulConst(i.get(), dtypeBytes(out))), saturateRound(fn, q, fn.i32(zp), out)),
      ]),
    ]);
  });
  return ctx.call(name, [ctx.addressOf(x), ctx.addressOf(y)]);
}

/**
 * QuantizeF32 sixteen elements at a time, for a scale that is an f32: the f32 quotient is then the f64 one
 * rounded (division rounds correctly either way), f32x4.nearest rounds half to even, clamping to
 * [lo - zp, hi - zp] before the conversion keeps everything exact, and trunc_sat turns NaN into 0 — so NaN
 * gives the zero point, as in the reference.
 */
function quantizeF32Vectors(fn: FunctionBuilder, count: number, scale: number, zp: number, out: DType): Expr {
  const m = fn.m;
  const [i, src, dst] = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const [lo, hi] = dtypeRange(out);
  const lanes = (offset: number) =>
    m.i32x4.add(
      m.i32x4.trunc_sat_f32x4_s(m.f32x4.min(m.f32x4.max(m.f32x4.nearest(m.f32x4.div(fn.loadV(src.get(), offset), fn.splat(scale))), fn.splat(lo - zp)), fn.splat(hi - zp))),
      m.i32x4.splat(fn.i32(zp)),
    );
  const narrow8 = out === 'i8' ? m.i8x16.narrow_i16x8_s : m.i8x16.narrow_i16x8_u;
  return fn.for(i, 0, count, 16, [
    src.set(m.i32.add(fn.param(0), fn.mulConst(i.get(), 4))),
    dst.set(m.i32.add(fn.param(1), i.get())),
    fn.storeV(dst.get(), narrow8(m.i16x8.narrow_i32x4_s(lanes(0), lanes(16)), m.i16x8.narrow_i32x4_s(lanes(32), lanes(48)))),
  ]);
}

export function emitDequantizeF32(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const n = sizeOf(x);
  const scale = getAttr<number>(node, 'scale');
  const zp = getAttr<number>(node, 'zero_point');
  const xd = x.type.dtype;
  const name = ctx.defineFunction('dqf32', { n, scale, zp, xd }, 2, (fn, { n, scale, zp, xd }) => {
    const m = fn.m;
    const i = fn.i32Local();
    // (q - zp) has at most 9 bits: with an f32 scale the f32 product is the f64 one rounded once.
    const vectors = Math.fround(scale) === scale && (xd === 'u8' || xd === 'i8') ? Math.floor(n / 4) * 4 : 0;
    const v = m.f64.sub(m.f64.convert_s.i32(loadQ(fn, xd, m.i32.add(fn.param(0), fn.mulConst(i.get(), dtypeBytes(xd))))), m.f64.const(zp));
    const widened = () => {
      const words = fn.load8x8(m.i32.add(fn.param(0), i.get()), xd === 'i8');
      return m.i32x4.sub(xd === 'i8' ? m.i32x4.extend_low_i16x8_s(words) : m.i32x4.extend_low_i16x8_u(words), m.i32x4.splat(fn.i32(zp)));
    };
    return fn.block([
      fn.for(i, 0, vectors, 4, [fn.storeV(m.i32.add(fn.param(1), fn.mulConst(i.get(), 4)), m.f32x4.mul(m.f32x4.convert_i32x4_s(widened()), fn.splat(scale)))]),
      fn.for(i, vectors, n, 1, [fn.storeF(m.i32.add(fn.param(1), fn.mulConst(i.get(), 4)), m.f32.demote(m.f64.mul(v, m.f64.const(scale))))]),
    ]);
  });
  return ctx.call(name, [ctx.addressOf(x), ctx.addressOf(y)]);
}

export function emitQRequantize(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const n = sizeOf(x);
  const [xZp, M, S] = ['x_zero_point', 'multiplier', 'shift'].map((a) => getAttr<number>(node, a)) as [number, number, number];
  const out = qOutputOf(node);
  const xd = x.type.dtype;
  const name = ctx.defineFunction('qrequant', { n, xd, xZp, M, S, out }, 2, (fn, { n, xd, xZp, M, S, out }) => {
    const m = fn.m;
    const i = fn.i32Local();
    const tmp = fn.local(binaryen.i64);
    const acc = fn.addConst(loadQ(fn, xd, m.i32.add(fn.param(0), fn.mulConst(i.get(), dtypeBytes(xd)))), -xZp);
    const t = requantizeI64(fn, acc, fn.i32(M), () => fn.i32(S));
    return fn.for(i, 0, n, 1, storeClamped(fn, out, m.i32.add(fn.param(1), fn.mulConst(i.get(), dtypeBytes(out.dtype))), t, tmp));
  });
  return ctx.call(name, [ctx.addressOf(x), ctx.addressOf(y)]);
}


export function emitQAdd(node: Node, ctx: EmitContext): Expr {
  const [a, b] = node.inputs as [Value, Value];
  const y = node.outputs[0]!;
  const full = broadcastShapes([a.type.shape, b.type.shape]) as number[];
  const n = numel(full);
  const [aZp, bZp, Ma, Mb, S] = ['a_zero_point', 'b_zero_point', 'a_multiplier', 'b_multiplier', 'shift'].map((k) => getAttr<number>(node, k)) as number[];
  const out = qOutputOf(node);
  // An operand of the output's full size is read directly; a broadcast one through a static index table.
  const direct = (v: Value) => sizeOf(v) === n;
  const table = (v: Value) => {
    if (direct(v)) return { key: '=', addr: 0 };
    const t = broadcastIndex(full, v.type.shape as number[]);
    const key = `${(v.type.shape as number[]).join('x')}>${full.join('x')}`;
    return { key, addr: ctx.placeData(`qadd-index:${key}`, new Uint8Array(t.buffer), 4) };
  };
  const [ta, tb] = [table(a), table(b)];
  const [ad, bd] = [a.type.dtype, b.type.dtype];
  // An operand's broadcast ('=' when read directly) decides how the code indexes it.
  const plan = { n, a: ta.key, b: tb.key, ad, bd, aZp: aZp!, bZp: bZp!, Ma: Ma!, Mb: Mb!, S: S!, out };
  // Params: a, b, y, index of a, index of b.
  const name = ctx.defineFunction('qadd', plan, 5, (fn: FunctionBuilder, { n, a, b, ad, bd, aZp, bZp, Ma, Mb, S, out }) => {
    const m = fn.m;
    const i = fn.i32Local();
    const tmp = fn.local(binaryen.i64);
    const direct = (broadcast: string) => broadcast === '=';
    const element = (v: string, dtype: DType, param: number, tableParam: number) => {
      const index = direct(v) ? i.get() : fn.loadI32(m.i32.add(fn.param(tableParam), fn.mulConst(i.get(), 4)));
      return loadQ(fn, dtype, m.i32.add(fn.param(param), fn.mulConst(index, dtypeBytes(dtype))));
    };
    const term = (v: string, dtype: DType, param: number, tableParam: number, zp: number, mult: number) =>
      m.i64.mul(m.i64.extend_s(fn.addConst(element(v, dtype, param, tableParam), -zp)), i64Const(fn, mult));
    const sum = m.i64.add(m.i64.add(term(a, ad, 0, 3, aZp!, Ma!), term(b, bd, 1, 4, bZp!, Mb!)), i64Const(fn, 2 ** (S! - 1)));
    const t = m.i64.shr_s(sum, i64Const(fn, S!));
    const split = direct(a) && direct(b) ? qAddSplit(ad, bd, aZp!, bZp!, Ma!, Mb!, S!, out) : null;
    const vectors = split ? Math.floor(n / 16) * 16 : 0;
    return fn.block([
      ...(split ? [qAddVectors(fn, split, vectors, ad, bd, aZp!, bZp!, out)] : []),
      fn.for(i, vectors, n, 1, storeClamped(fn, out, m.i32.add(fn.param(2), fn.mulConst(i.get(), dtypeBytes(out.dtype))), t, tmp)),
    ]);
  });
  return ctx.call(name, [ctx.addressOf(a), ctx.addressOf(b), ctx.addressOf(y), ta.addr, tb.addr]);
}

/** The 16-bit halves of QAdd's multipliers: M = 2^16 * high + low with low in [-2^15, 2^15). */
interface QAddSplit {
  high: [number, number];
  low: [number, number];
  shift: number;
}

/**
 * With M = 2^16 * h + l, the sum (a - a_zp) * Ma + (b - b_zp) * Mb is 2^16 * H + L, H and L two
 * i32x4.dot_i16x8_s of the interleaved (a - a_zp, b - b_zp) by (h_a, h_b) and (l_a, l_b); for S >= 17,
 * floor((2^16 * H + L + 2^(S-1)) / 2^S) = (H + 2^(S-17) + (L >> 16)) >> (S - 16) exactly (nested floors),
 * all in i32. null unless the halves fit i16, S is in [17, 46] and no sum can leave i32.
 */
function qAddSplit(ad: DType, bd: DType, aZp: number, bZp: number, Ma: number, Mb: number, S: number, out: QOutput): QAddSplit | null {
  if (S < 17 || S > 46 || ![ad, bd, out.dtype].every((d) => d === 'u8' || d === 'i8')) return null;
  const span = (d: DType, zp: number) => Math.max(...dtypeRange(d).map((v) => Math.abs(v - zp)));
  const [sa, sb] = [span(ad, aZp), span(bd, bZp)];
  const low = (M: number) => ((M + 32768) % 65536) - 32768;
  const [la, lb] = [low(Ma), low(Mb)];
  const [ha, hb] = [(Ma - la) / 65536, (Mb - lb) / 65536];
  if (Math.max(sa, sb, Math.abs(ha), Math.abs(hb)) > 32767) return null;
  const bound = sa * Math.abs(ha) + sb * Math.abs(hb) + 2 ** (S - 17) + Math.ceil((sa * Math.abs(la) + sb * Math.abs(lb)) / 65536) + 1;
  return bound < 2 ** 31 ? { high: [ha, hb], low: [la, lb], shift: S } : null;
}

/**
 * QAdd of equal-shaped operands sixteen elements at a time (the first `count`), as qAddSplit states: the
 * result saturates to i16, the output zero point is added with i16 saturation, then the clamp and the narrowing
 * to 8 bits — saturation only ever moves a value that the clamp would move further.
 */
function qAddVectors(fn: FunctionBuilder, split: QAddSplit, count: number, ad: DType, bd: DType, aZp: number, bZp: number, out: QOutput): Expr {
  const m = fn.m;
  const i = fn.i32Local();
  const [a0, a1, b0, b1, r0, r1] = Array.from({ length: 6 }, () => fn.v128Local());
  const pairSplat = (pair: [number, number]) => m.i32x4.splat(fn.i32(((pair[1] & 0xffff) << 16) | (pair[0] & 0xffff)));
  const [high, low] = [fn.v128Local(), fn.v128Local()];
  const round = m.i32x4.splat(fn.i32(2 ** (split.shift - 17)));
  const [lo8, hi8] = dtypeRange(out.dtype);
  const [lo, hi] = [Math.max(out.lo, lo8), Math.min(out.hi, hi8)];
  const t = fn.v128Local();
  // Four results from four (a, b) pairs of i16: the low or high half of the eight in (x, y).
  const four = (x: Local, y: Local, lo: boolean): Expr =>
    m.block(
      null,
      [
        t.set(fn.interleaveI16(x.get(), y.get(), !lo)),
        m.i32x4.shr_s(m.i32x4.add(m.i32x4.add(m.i32x4.dot_i16x8_s(t.get(), high.get()), round), m.i32x4.shr_s(m.i32x4.dot_i16x8_s(t.get(), low.get()), fn.i32(16))), fn.i32(split.shift - 16)),
      ],
      binaryen.v128,
    );
  const eight = (x: Local, y: Local): Expr =>
    m.i16x8.min_s(m.i16x8.max_s(m.i16x8.add_saturate_s(m.i16x8.narrow_i32x4_s(four(x, y, true), four(x, y, false)), m.i16x8.splat(fn.i32(out.zeroPoint))), m.i16x8.splat(fn.i32(lo))), m.i16x8.splat(fn.i32(hi)));
  const shifted = (param: number, dtype: DType, zp: number, offset: number) => m.i16x8.sub(fn.load8x8(m.i32.add(fn.param(param), i.get()), dtype === 'i8', offset), m.i16x8.splat(fn.i32(zp)));
  const narrow = out.dtype === 'i8' ? m.i8x16.narrow_i16x8_s : m.i8x16.narrow_i16x8_u;
  return fn.block([
    high.set(pairSplat(split.high)),
    low.set(pairSplat(split.low)),
    fn.for(i, 0, count, 16, [
      a0.set(shifted(0, ad, aZp, 0)),
      a1.set(shifted(0, ad, aZp, 8)),
      b0.set(shifted(1, bd, bZp, 0)),
      b1.set(shifted(1, bd, bZp, 8)),
      r0.set(eight(a0, b0)),
      r1.set(eight(a1, b1)),
      fn.storeV(m.i32.add(fn.param(2), i.get()), narrow(r0.get(), r1.get())),
    ]),
  ]);
}

export function emitQGlobalAveragePool(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const shape = x.type.shape as number[];
  const planes = shape[0]! * shape[1]!;
  const size = numel(shape.slice(2));
  const [xZp, M, S] = ['x_zero_point', 'multiplier', 'shift'].map((a) => getAttr<number>(node, a)) as [number, number, number];
  const out = qOutputOf(node);
  const xd = x.type.dtype;
  const name = ctx.defineFunction('qgap', { planes, size, xd, xZp, M, S, out }, 2, (fn, { planes, size, xd, xZp, M, S, out }) => {
    const m = fn.m;
    const [p, i, src, sum] = [fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const tmp = fn.local(binaryen.i64);
    const xb = dtypeBytes(xd);
    return fn.block([
      src.set(fn.param(0)),
      fn.for(p, 0, planes, 1, [
        sum.set(fn.i32(0)),
        fn.for(i, 0, size, 1, [sum.set(m.i32.add(sum.get(), loadQ(fn, xd, src.get()))), src.set(fn.addConst(src.get(), xb))]),
        // sum of (x - zp) = sum of x - size * zp, wrapping like the reference's `| 0`.
        ...storeClamped(fn, out, m.i32.add(fn.param(1), fn.mulConst(p.get(), dtypeBytes(out.dtype))), requantizeI64(fn, fn.addConst(sum.get(), -(size * xZp) | 0), fn.i32(M), () => fn.i32(S)), tmp),
      ]),
    ]);
  });
  return ctx.call(name, [ctx.addressOf(x), ctx.addressOf(y)]);
}
