import binaryen from 'binaryen';
import { dtypeBytes, getAttr, numel, type DType, type Node } from '../../../../ir/index.js';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import type { WasmKernel } from '../../kernel.js';
import { f32ToHalf, halfToF32 } from './half.js';

type Expr = binaryen.ExpressionRef;

/**
 * Cast and CastLike with exactly the reference's semantics (targets/reference/kernels/tensor/cast.ts):
 * - floats to 8/16/32-bit integers truncate toward zero and wrap modulo 2^32 (then to the target width), and
 *   NaN and infinities give 0, like a JS typed-array store — not wasm's saturating conversion;
 * - floats to i64/u64 truncate and wrap modulo 2^64; NaN and infinities give INT64_MIN (the x86 result ONNX
 *   Runtime inherits);
 * - integers to integers keep the low bits (sign- or zero-extending by the source's signedness);
 * - i64/u64 to f32 round through f64 first, as Number(bigint) then Math.fround do;
 * - anything to bool is x != 0 (NaN is true).
 * - f16 / bf16 (2-byte encodings in memory) convert through f32 like the reference's Float32Array: a source is
 *   decoded exactly to f32 and cast from there; a target takes the value's f32 rounding (as a Float32Array store
 *   would), then rounds to nearest even in integer arithmetic (half.ts), bit for bit as ir/dtype.ts does.
 */

/** How a source element sits in a wasm value: its value type and, for small integers, its signedness. */
type Kind = 'f32' | 'f64' | 'i32' | 'i64';

const KIND: Record<string, Kind> = { f32: 'f32', f16: 'f32', bf16: 'f32', f64: 'f64', i8: 'i32', u8: 'i32', i16: 'i32', u16: 'i32', i32: 'i32', u32: 'i32', bool: 'i32', i64: 'i64', u64: 'i64' };
const SIGNED = new Set<DType>(['i8', 'i16', 'i32', 'i64']);

const TWO31 = 2147483648;
const TWO32 = 4294967296;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

function load(m: binaryen.Module, from: DType, ptr: Expr, offset: number): Expr {
  switch (from) {
    case 'f32':
      return m.f32.load(offset, 4, ptr, MEMORY);
    case 'f64':
      return m.f64.load(offset, 8, ptr, MEMORY);
    case 'f16':
    case 'bf16':
      return halfToF32(m, from, m.i32.load16_u(offset, 2, ptr, MEMORY));
    case 'i8':
      return m.i32.load8_s(offset, 1, ptr, MEMORY);
    case 'u8':
    case 'bool':
      return m.i32.load8_u(offset, 1, ptr, MEMORY);
    case 'i16':
      return m.i32.load16_s(offset, 2, ptr, MEMORY);
    case 'u16':
      return m.i32.load16_u(offset, 2, ptr, MEMORY);
    case 'i32':
    case 'u32':
      return m.i32.load(offset, 4, ptr, MEMORY);
    default:
      return m.i64.load(offset, 8, ptr, MEMORY);
  }
}

/** An 8/16/32-bit integer (or bool) element widened to i64 by the load itself, by its signedness. */
function loadToI64(m: binaryen.Module, from: DType, ptr: Expr, offset: number): Expr {
  switch (from) {
    case 'i8':
      return m.i64.load8_s(offset, 1, ptr, MEMORY);
    case 'u8':
    case 'bool':
      return m.i64.load8_u(offset, 1, ptr, MEMORY);
    case 'i16':
      return m.i64.load16_s(offset, 2, ptr, MEMORY);
    case 'u16':
      return m.i64.load16_u(offset, 2, ptr, MEMORY);
    case 'i32':
      return m.i64.load32_s(offset, 4, ptr, MEMORY);
    default:
      return m.i64.load32_u(offset, 4, ptr, MEMORY);
  }
}

function store(m: binaryen.Module, to: DType, ptr: Expr, value: Expr, offset: number): Expr {
  switch (to) {
    case 'f32':
      return m.f32.store(offset, 4, ptr, value, MEMORY);
    case 'f64':
      return m.f64.store(offset, 8, ptr, value, MEMORY);
    case 'i8':
    case 'u8':
    case 'bool':
      return m.i32.store8(offset, 1, ptr, value, MEMORY);
    case 'i16':
    case 'u16':
      return m.i32.store16(offset, 2, ptr, value, MEMORY);
    case 'f16':
    case 'bf16':
      return m.i32.store16(offset, 2, ptr, f32ToHalf(m, to, value), MEMORY);
    case 'i32':
    case 'u32':
      return m.i32.store(offset, 4, ptr, value, MEMORY);
    default:
      return m.i64.store(offset, 8, ptr, value, MEMORY);
  }
}

/** Locals one element conversion may need (a float held as f64 for the modular paths). */
interface Scratch {
  f: Local;
}

/** Statements converting one element at src+offset to dst+offset' (offsets in bytes). */
function convertOne(fn: FunctionBuilder, from: DType, to: DType, src: Expr, srcOffset: number, dst: Expr, dstOffset: number, s: Scratch): Expr[] {
  const m = fn.m;
  const kind = KIND[from]!;
  // Loaded lazily: exactly one conversion below consumes the source expression.
  const x = () => load(m, from, src, srcOffset);
  const put = (v: Expr) => store(m, to, dst, v, dstOffset);
  if (to === 'bool') {
    if (kind === 'f32') return [put(m.f32.ne(x(), m.f32.const(0)))];
    if (kind === 'f64') return [put(m.f64.ne(x(), m.f64.const(0)))];
    if (kind === 'i64') return [put(m.i64.ne(x(), m.i64.const(0n)))];
    return [put(m.i32.ne(x(), m.i32.const(0)))];
  }
  if (to === 'f32' || to === 'f64' || to === 'f16' || to === 'bf16') {
    // Half targets take the f32 value (store() then narrows its bits).
    const single = to !== 'f64';
    const viaF64 = (v: Expr) => (single ? m.f32.demote(v) : v);
    switch (kind) {
      case 'f32':
        return [put(single ? x() : m.f64.promote(x()))];
      case 'f64':
        return [put(viaF64(x()))];
      case 'i32': {
        const signed = SIGNED.has(from);
        if (single) return [put(signed ? m.f32.convert_s.i32(x()) : m.f32.convert_u.i32(x()))];
        return [put(signed ? m.f64.convert_s.i32(x()) : m.f64.convert_u.i32(x()))];
      }
      default:
        return [put(viaF64(from === 'i64' ? m.f64.convert_s.i64(x()) : m.f64.convert_u.i64(x())))];
    }
  }
  const wide = to === 'i64' || to === 'u64';
  if (kind === 'f32' || kind === 'f64') {
    const f = () => s.f.get();
    const setF = s.f.set(kind === 'f32' ? m.f64.promote(x()) : x());
    const abs = () => m.f64.abs(f());
    if (!wide) {
      // |x| < 2^31: exact truncation; otherwise trunc(x) mod 2^32 in f64 (exact: every step is a power-of-two
      // scaling or a subtraction whose result is representable); NaN and infinities end as NaN, converted to 0.
      const t = () => m.f64.trunc(f());
      const mod = m.f64.sub(t(), m.f64.mul(m.f64.floor(m.f64.mul(t(), m.f64.const(1 / TWO32))), m.f64.const(TWO32)));
      return [setF, put(m.select(m.f64.lt(abs(), m.f64.const(TWO31)), m.i32.trunc_s_sat.f64(f()), m.i32.trunc_u_sat.f64(mod)))];
    }
    // |x| >= 2^63 is already an integer; finite ones wrap modulo 2^64, NaN and infinities give INT64_MIN.
    const mod = m.f64.sub(f(), m.f64.mul(m.f64.floor(m.f64.mul(f(), m.f64.const(1 / TWO64))), m.f64.const(TWO64)));
    const large = m.select(m.f64.le(abs(), m.f64.const(Number.MAX_VALUE)), m.i64.trunc_u_sat.f64(mod), m.i64.const(-(2n ** 63n)));
    return [setF, put(m.select(m.f64.lt(abs(), m.f64.const(TWO63)), m.i64.trunc_s_sat.f64(f()), large))];
  }
  if (kind === 'i64') return [put(wide ? x() : m.i32.wrap(x()))];
  // 8/16/32-bit integer sources, already sign- or zero-extended to i32 by the load.
  if (!wide) return [put(x())];
  // Widened by an extending i64 load: binaryen 132's optimizer rewrites i64.extend_i32_u(i32.load) into
  // i64.load32_s, which sign-extends u32 values >= 2^31.
  return [put(loadToI64(m, from, src, srcOffset))];
}

/** Targets an f32 source reaches through i32x4.trunc_sat_f32x4_s and, for 8/16 bits, the low bytes of each lane. */
const F32_SIMD_TARGETS = new Set<DType>(['i8', 'u8', 'i16', 'u16', 'i32', 'u32']);

/**
 * Four elements at once for the common pairs, or null. f32 -> integers calls `fallback` (the scalar path as a
 * separate function, keeping the loop small) for a group holding a value the saturating conversion would not
 * wrap (|x| >= 2^31, NaN, infinities).
 */
function convertFour(fn: FunctionBuilder, from: DType, to: DType, src: Local, dst: Local, fallback: string | null): Expr[] | null {
  const m = fn.m;
  if ((from === 'i32' || from === 'u32') && to === 'f32') {
    const v = fn.loadV(src.get());
    return [fn.storeV(dst.get(), from === 'i32' ? m.f32x4.convert_i32x4_s(v) : m.f32x4.convert_i32x4_u(v))];
  }
  if ((from === 'u8' || from === 'i8' || from === 'bool') && to === 'f32') {
    const bytes = m.v128.load32_zero(0, 1, src.get(), MEMORY);
    const wide = from === 'i8' ? m.i32x4.extend_low_i16x8_s(m.i16x8.extend_low_i8x16_s(bytes)) : m.i32x4.extend_low_i16x8_u(m.i16x8.extend_low_i8x16_u(bytes));
    return [fn.storeV(dst.get(), m.f32x4.convert_i32x4_s(wide))];
  }
  if (from === 'f32' && F32_SIMD_TARGETS.has(to) && fallback) {
    const v = fn.v128Local();
    const inRange = m.i32x4.all_true(m.f32x4.lt(m.f32x4.abs(v.get()), m.f32x4.splat(m.f32.const(TWO31))));
    const ints = m.i32x4.trunc_sat_f32x4_s(v.get());
    const width = dtypeBytes(to);
    const zero = m.v128.const(new Array<number>(16).fill(0));
    // Keep the low 1 or 2 bytes of each lane: the wrap a narrowing store does.
    const store =
      width === 4
        ? fn.storeV(dst.get(), ints)
        : width === 2
          ? m.v128.store64_lane(0, 2, 0, dst.get(), m.i8x16.shuffle(ints, zero, [0, 1, 4, 5, 8, 9, 12, 13, 16, 16, 16, 16, 16, 16, 16, 16]), MEMORY)
          : m.v128.store32_lane(0, 1, 0, dst.get(), m.i8x16.shuffle(ints, zero, [0, 4, 8, 12, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16]), MEMORY);
    return [v.set(fn.loadV(src.get())), m.if(inRange, store, m.call(fallback, [dst.get(), src.get()], binaryen.none))];
  }
  return null;
}

/** The scalar conversion of four elements, for convertFour's out-of-range groups. */
function fallbackBody(fn: FunctionBuilder, from: DType, to: DType): Expr {
  const s: Scratch = { f: fn.local(binaryen.f64) };
  const [sw, dw] = [dtypeBytes(from), dtypeBytes(to)];
  return fn.block([0, 1, 2, 3].flatMap((k) => convertOne(fn, from, to, fn.param(1), k * sw, fn.param(0), k * dw, s)));
}

function castBody(fn: FunctionBuilder, from: DType, to: DType, n: number, fallback: string | null): Expr {
  const m = fn.m;
  const [sw, dw] = [dtypeBytes(from), dtypeBytes(to)];
  const src = fn.i32Local();
  const dst = fn.i32Local();
  const i = fn.i32Local();
  const s: Scratch = { f: fn.local(binaryen.f64) };
  const out: Expr[] = [dst.set(fn.param(0)), src.set(fn.param(1))];
  let done = 0;
  const four = n >= 4 ? convertFour(fn, from, to, src, dst, fallback) : null;
  if (four) {
    done = n - (n % 4);
    out.push(fn.for(i, 0, done / 4, 1, [...four, src.set(fn.addConst(src.get(), 4 * sw)), dst.set(fn.addConst(dst.get(), 4 * dw))]));
  }
  const rest = n - done;
  // The remaining elements, unrolled by 4 in a loop with a scalar tail.
  const one = (k: number) => convertOne(fn, from, to, src.get(), k * sw, dst.get(), k * dw, s);
  const groups = Math.floor(rest / 4);
  if (groups > 0) {
    const j = fn.i32Local();
    out.push(fn.for(j, 0, groups, 1, [...[0, 1, 2, 3].flatMap(one), src.set(fn.addConst(src.get(), 4 * sw)), dst.set(fn.addConst(dst.get(), 4 * dw))]));
  }
  for (let k = 0; k < rest % 4; k++) out.push(...one(k));
  return m.block(null, out, binaryen.none);
}

const targetOf = (node: Node): DType => (node.op === 'CastLike' ? node.inputs[1]!.type.dtype : getAttr<DType>(node, 'to'));

export const castKernels: WasmKernel = {
  ops: ['Cast', 'CastLike'],
  check: () => null,
  emit(node, ctx) {
    const x = node.inputs[0]!;
    const out = node.outputs[0]!;
    const from = x.type.dtype;
    const to = targetOf(node);
    const n = numel(out.type.shape as number[]);
    const [src, dst] = [ctx.addressOf(x), ctx.addressOf(out)];
    if (n === 0) return ctx.m.nop();
    if (from === to) return ctx.m.memory.copy(ctx.m.i32.const(dst), ctx.m.i32.const(src), ctx.m.i32.const(n * dtypeBytes(from)), MEMORY, MEMORY);
    const fallback = from === 'f32' && F32_SIMD_TARGETS.has(to) && n >= 4 ? ctx.defineFunction('cast4', { from, to }, 2, (fn, p) => fallbackBody(fn, p.from, p.to)) : null;
    const name = ctx.defineFunction('cast', { from, to, n, fallback }, 2, (fn, p) => castBody(fn, p.from, p.to, p.n, p.fallback));
    return ctx.call(name, [dst, src]);
  },
};
