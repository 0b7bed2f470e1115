import { dtypeBytes, type DType, type Node } from '../../../ir/index.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { INT_CLASS, wgslIntType } from './integer.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * Cast and CastLike, with the reference's semantics (targets/reference/kernels/tensor/cast.ts), one invocation
 * per output element (per word for 1- and 2-byte results). A source element is decoded to one WGSL value —
 * f32 for the floats, i32 / u32 for integers up to 32 bits and bool, a (low, high) u32 pair for 64-bit
 * integers — and encoded from it:
 * - f16 / bf16 decode exactly to f32 and encode by round-to-nearest-even in integer arithmetic, bit for bit as
 *   ir/dtype.ts (floatToHalf, floatToBfloat16: NaN becomes the canonical quiet NaN);
 * - f64 (WGSL has no 64-bit floats) is converted through its bits: to f32 rounding to nearest even (a Float64
 *   to Float32 store), from f32 and 32-bit integers exactly; the reference's f16 from f64 rounds through f32 too;
 * - floats to integers truncate toward zero and wrap (NaN and infinities give 0; INT64_MIN for 64-bit targets);
 * - integers to integers keep the low bits, sign- or zero-extended by the source's signedness;
 * - anything to bool is x != 0 (NaN is true).
 * f64 to and from integers and bool would need 64-bit float arithmetic and are refused.
 */

const FLOATS = new Set<DType>(['f32', 'f16', 'bf16', 'f64']);

/** f16 / bf16 / f64 encodings and the float-to-integer conversions, as WGSL functions. */
export const CAST_PRELUDE = `
fn f16_to_f32(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { let v = f32(m) * 5.9604644775390625e-8; return select(v, -v, s != 0u); }
  if (e == 31u) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}
fn f32_to_f16(x: f32) -> u32 {
  let bits = bitcast<u32>(x);
  let sign = (bits >> 16u) & 0x8000u;
  let exp = i32((bits >> 23u) & 0xffu);
  var mant = bits & 0x7fffffu;
  if (exp == 255i) { return sign | 0x7c00u | select(0u, 0x200u, mant != 0u); }
  var e = exp - 112i;
  if (e >= 31i) { return sign | 0x7c00u; }
  if (e <= 0i) {
    if (e < -10i) { return sign; }
    mant = mant | 0x800000u;
    let shift = u32(14i - e);
    let half = 1u << (shift - 1u);
    var q = mant >> shift;
    let rest = mant & ((1u << shift) - 1u);
    if (rest > half || (rest == half && (q & 1u) == 1u)) { q = q + 1u; }
    return sign | q;
  }
  var q = mant >> 13u;
  let rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (q & 1u) == 1u)) {
    q = q + 1u;
    if (q == 0x400u) { q = 0u; e = e + 1i; if (e >= 31i) { return sign | 0x7c00u; } }
  }
  return sign | (u32(e) << 10u) | q;
}
fn bf16_to_f32(b: u32) -> f32 { return bitcast<f32>(b << 16u); }
fn f32_to_bf16(x: f32) -> u32 {
  let bits = bitcast<u32>(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u) { return 0x7fc0u; }
  return ((bits + 0x7fffu + ((bits >> 16u) & 1u)) >> 16u) & 0xffffu;
}
fn f64_to_f32(d: vec2<u32>) -> f32 {
  let s = d.y & 0x80000000u;
  let e = i32((d.y >> 20u) & 0x7ffu);
  let top = ((d.y & 0xfffffu) << 3u) | (d.x >> 29u);
  let rest = d.x & 0x1fffffffu;
  if (e == 0x7ffi) { return bitcast<f32>(s | 0x7f800000u | select(0u, 0x400000u, ((d.y & 0xfffffu) | d.x) != 0u)); }
  let e32 = e - 896i;
  if (e32 >= 255i) { return bitcast<f32>(s | 0x7f800000u); }
  if (e32 >= 1i) {
    var bits = (u32(e32) << 23u) | top;
    if (rest > 0x10000000u || (rest == 0x10000000u && (top & 1u) == 1u)) { bits = bits + 1u; }
    return bitcast<f32>(s | bits);
  }
  if (e32 < -23i) { return bitcast<f32>(s); }
  let sig = 0x800000u | top;
  let shift = u32(1i - e32);
  let q = sig >> shift;
  let r = sig & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  let up = r > half || (r == half && (rest != 0u || (q & 1u) == 1u));
  return bitcast<f32>(s | (q + select(0u, 1u, up)));
}
// sign | mag * 2^scale as f64 bits, for mag != 0.
fn f64_of(sign: u32, mag: u32, scale: i32) -> vec2<u32> {
  let lead = 31u - countLeadingZeros(mag);
  let frac = select(mag << (32u - lead), 0u, lead == 0u);
  return vec2<u32>(frac << 20u, sign | (u32(1023i + i32(lead) + scale) << 20u) | (frac >> 12u));
}
fn f32_to_f64(x: f32) -> vec2<u32> {
  let bits = bitcast<u32>(x);
  let s = bits & 0x80000000u;
  let e = (bits >> 23u) & 0xffu;
  let m = bits & 0x7fffffu;
  if (e == 255u) { return vec2<u32>(m << 29u, s | 0x7ff00000u | (m >> 3u)); }
  if (e == 0u) { return select(f64_of(s, m, -149i), vec2<u32>(0u, s), m == 0u); }
  return vec2<u32>(m << 29u, s | ((e + 896u) << 20u) | (m >> 3u));
}
fn i32_to_f64(v: i32) -> vec2<u32> {
  if (v == 0i) { return vec2<u32>(0u, 0u); }
  return f64_of(select(0u, 0x80000000u, v < 0i), select(u32(v), 0u - u32(v), v < 0i), 0i);
}
fn u32_to_f64(v: u32) -> vec2<u32> { return select(f64_of(0u, v, 0i), vec2<u32>(0u, 0u), v == 0u); }
// Truncated toward zero and reduced modulo 2^32 (exact: f32 integers at or above 2^24 are multiples of 2^(e-23)).
fn f32_to_word(x: f32) -> u32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { return 0u; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return bitcast<u32>(i32(t)); }
  return u32(t - floor(t / 4294967296.0) * 4294967296.0);
}
fn f32_to_pair(x: f32) -> vec2<u32> {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { return vec2<u32>(0u, 0x80000000u); }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { let n = i32(t); return vec2<u32>(bitcast<u32>(n), select(0u, 0xffffffffu, n < 0i)); }
  let hi = floor(t / 4294967296.0);
  return vec2<u32>(u32(t - hi * 4294967296.0), f32_to_word(hi));
}
fn pair_to_f32(v: vec2<u32>, signed: bool) -> f32 {
  if (signed && v.y == bitcast<u32>(bitcast<i32>(v.x) >> 31u)) { return f32(bitcast<i32>(v.x)); }
  if (!signed && v.y == 0u) { return f32(v.x); }
  return select(f32(v.y), f32(bitcast<i32>(v.y)), signed) * 4294967296.0 + f32(v.x);
}
`.replace(/\bsigned\b/g, 'is_signed');

/** WGSL decoding element `k` of the source into its working value, and that value's kind. */
type Kind = 'f32' | 'i32' | 'u32' | 'pair';

function decode(ctx: GpuEmitContext, node: Node): { fn: string; kind: Kind } {
  const x = node.inputs[0]!;
  const dtype = x.type.dtype;
  const loc = ctx.locate(x);
  const word = (index: string) => at(loc, index);
  const half = `((${word('(k >> 1u)')} >> (16u * (k & 1u))) & 0xffffu)`;
  switch (dtype) {
    case 'f16':
      return { fn: `fn src(k: u32) -> f32 { return f16_to_f32(${half}); }`, kind: 'f32' };
    case 'bf16':
      return { fn: `fn src(k: u32) -> f32 { return bf16_to_f32(${half}); }`, kind: 'f32' };
    case 'f64':
      return { fn: `fn src(k: u32) -> f32 { return f64_to_f32(vec2<u32>(${word('2u * k')}, ${word('2u * k + 1u')})); }`, kind: 'f32' };
    case 'u32':
      return { fn: `fn src(k: u32) -> u32 { return ${word('k')}; }`, kind: 'u32' };
    default: {
      const kind: Kind = dtype === 'f32' ? 'f32' : dtype === 'i64' || dtype === 'u64' ? 'pair' : 'i32';
      return { fn: `${loader(ctx, 'ld', x)}\nfn src(k: u32) -> ${kind === 'pair' ? 'vec2<u32>' : kind} { return ld(k); }`, kind };
    }
  }
}

/** The WGSL of the target value (`element`'s result) from the working value `v` of kind `kind`. */
function encode(kind: Kind, from: DType, to: DType): { type: string; value: string } {
  const signed = from === 'i64' || (kind === 'i32' && !['u8', 'u16', 'bool'].includes(from));
  const asF32 = { f32: 'v', i32: 'f32(v)', u32: 'f32(v)', pair: `pair_to_f32(v, ${signed})` }[kind];
  switch (to) {
    case 'f32':
      return { type: 'f32', value: asF32 };
    case 'f16':
      return { type: 'u32', value: `f32_to_f16(${asF32})` };
    case 'bf16':
      return { type: 'u32', value: `f32_to_bf16(${asF32})` };
    case 'f64':
      return { type: 'vec2<u32>', value: { f32: 'f32_to_f64(v)', i32: 'i32_to_f64(v)', u32: 'u32_to_f64(v)', pair: '' }[kind] };
    case 'bool':
      return { type: 'u32', value: { f32: 'select(0u, 1u, (bitcast<u32>(v) & 0x7fffffffu) != 0u)', i32: 'select(0u, 1u, v != 0i)', u32: 'select(0u, 1u, v != 0u)', pair: 'select(0u, 1u, any(v != vec2<u32>(0u, 0u)))' }[kind] };
    default: {
      const c = INT_CLASS[to]!;
      if (c === 'i64' || c === 'u64') {
        return { type: 'vec2<u32>', value: { f32: 'f32_to_pair(v)', i32: signed ? 'vec2<u32>(bitcast<u32>(v), select(0u, 0xffffffffu, v < 0i))' : 'vec2<u32>(bitcast<u32>(v), 0u)', u32: 'vec2<u32>(v, 0u)', pair: 'v' }[kind] };
      }
      // The low word; stores of narrower types keep its low bits.
      return { type: wgslIntType(c === 'i32' ? 'u32' : c), value: { f32: 'f32_to_word(v)', i32: 'bitcast<u32>(v)', u32: 'v', pair: 'v.x' }[kind] };
    }
  }
}

const targetOf = (node: Node): DType => node.outputs[0]!.type.dtype;

function emitCast(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const out = node.outputs[0]!;
  const total = product(shapeOf(out));
  if (total === 0) return [];
  const from = node.inputs[0]!.type.dtype;
  const { fn, kind } = decode(ctx, node);
  const { type, value } = encode(kind, from, targetOf(node));
  const functions = `${CAST_PRELUDE}
${fn}
fn element(o: u32) -> ${type} {
  let v = src(o);
  return ${value};
}`;
  return [outputKernel(ctx, out, total, functions)];
}

export const castKernels: GpuKernel = {
  ops: ['Cast', 'CastLike'],
  check(node) {
    const [from, to] = [node.inputs[0]!.type.dtype, targetOf(node)];
    for (const d of [from, to]) {
      if (!FLOATS.has(d) && !INT_CLASS[d] && d !== 'bool') return `Cast of ${d} is not supported`;
    }
    if ((from === 'f64' && !FLOATS.has(to)) || (to === 'f64' && (from === 'i64' || from === 'u64'))) {
      return `Cast from ${from} to ${to} needs 64-bit arithmetic the webgpu target does not have (WGSL has no f64)`;
    }
    return dtypeBytes(from) > 8 ? `Cast of ${from} is not supported` : null;
  },
  emit: emitCast,
};
