import { dtypeBytes, type DType, type Value } from '../../../ir/index.js';
import { at, type GpuEmitContext } from '../kernel.js';
import { bindings, elementKernel, u32Literal as u } from '../wgsl.js';

/**
 * WGSL building blocks of the int8 kernels: byte loads from u32 words, the exact requantization
 * `(int64(acc) * M + 2^(S-1)) >> S` emulated with 32-bit operations (WGSL has no 64-bit integers), and
 * entry points writing 8-bit results a whole word (four elements) per invocation, since storage buffers are
 * addressed in words and neighbouring invocations must not write the same word.
 */
export const I64_PRELUDE = `
// 64-bit two's complement integers as vec2<u32>(low, high).
fn mul_u32_wide(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = p01 + p10;
  let mid_carry = select(0u, 0x10000u, mid < p01);
  let lo = p00 + (mid << 16u);
  let lo_carry = select(0u, 1u, lo < p00);
  return vec2<u32>(lo, p11 + (mid >> 16u) + mid_carry + lo_carry);
}
fn neg64(x: vec2<u32>) -> vec2<u32> {
  let lo = ~x.x + 1u;
  return vec2<u32>(lo, ~x.y + select(0u, 1u, lo == 0u));
}
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn mul_i32_u32(a: i32, m: u32) -> vec2<u32> {
  let p = mul_u32_wide(u32(abs(a)), m); // abs(i32 min) wraps to i32 min, whose u32 is 2^31: still right
  return select(p, neg64(p), a < 0);
}
fn pow2_64(s: u32) -> vec2<u32> {
  return select(vec2<u32>(1u << s, 0u), vec2<u32>(0u, 1u << (s - 32u)), s >= 32u);
}
// Arithmetic shift right by s in [1, 62], saturated to i32 (the clamp that follows needs no more).
fn sar64_sat(x: vec2<u32>, s: u32) -> i32 {
  let high = bitcast<i32>(x.y);
  var lo: u32;
  var hi: i32;
  if (s >= 32u) {
    lo = bitcast<u32>(high >> (s - 32u));
    hi = high >> 31u;
  } else {
    lo = (x.x >> s) | (x.y << (32u - s));
    hi = high >> s;
  }
  if ((hi == 0i && lo <= 0x7fffffffu) || (hi == -1i && lo >= 0x80000000u)) { return bitcast<i32>(lo); }
  return select(2147483647i, -2147483647i - 1i, hi < 0i);
}
// floor((acc * m + 2^(s-1)) / 2^s), exactly.
fn requantize(acc: i32, m: u32, s: u32) -> i32 {
  return sar64_sat(add64(mul_i32_u32(acc, m), pow2_64(s - 1u)), s);
}
`;

/**
 * A WGSL function `fn <name>(i: u32) -> i32` (f32 for f32 values, vec2<u32> (low, high) for 64-bit integers)
 * reading element i of a value in its dtype: 8- and 16-bit elements sign- or zero-extended out of their word
 * (f16 / bf16 as their zero-extended bits).
 */
export function loader(ctx: GpuEmitContext, name: string, v: Value): string {
  const loc = ctx.locate(v);
  const dtype = v.type.dtype;
  const word = (index: string) => at(loc, index);
  switch (dtype) {
    case 'i8':
      return `fn ${name}(i: u32) -> i32 { return bitcast<i32>(${word('(i >> 2u)')} << (24u - 8u * (i & 3u))) >> 24u; }`;
    case 'u8':
    case 'bool':
      return `fn ${name}(i: u32) -> i32 { return i32((${word('(i >> 2u)')} >> (8u * (i & 3u))) & 0xffu); }`;
    case 'i16':
      return `fn ${name}(i: u32) -> i32 { return bitcast<i32>(${word('(i >> 1u)')} << (16u - 16u * (i & 1u))) >> 16u; }`;
    case 'u16':
    case 'f16':
    case 'bf16':
      return `fn ${name}(i: u32) -> i32 { return i32((${word('(i >> 1u)')} >> (16u * (i & 1u))) & 0xffffu); }`;
    case 'i32':
    case 'u32':
      return `fn ${name}(i: u32) -> i32 { return bitcast<i32>(${word('i')}); }`;
    case 'i64':
    case 'u64':
      return `fn ${name}(i: u32) -> vec2<u32> { return vec2<u32>(${word('2u * i')}, ${word('2u * i + 1u')}); }`;
    case 'f32':
      return `fn ${name}(i: u32) -> f32 { return bitcast<f32>(${word('i')}); }`;
    default:
      throw new Error(`no int8-kernel loader for ${dtype}`);
  }
}

/**
 * The dispatch computing `total` output elements with `fn element(o: u32) -> <i32|u32|f32|vec2<u32>>` (given in
 * `functions`): one invocation per word for 8- and 16-bit outputs (four or two elements packed), per element for
 * 32- and 64-bit ones (the latter a (low, high) pair).
 */
export function outputKernel(ctx: GpuEmitContext, out: Value, total: number, functions: string): { code: string; workgroups: [number, number, number] } {
  const loc = ctx.locate(out);
  const dtype = out.type.dtype as DType;
  let kernel;
  const bytes = dtypeBytes(dtype);
  if (bytes === 1 || bytes === 2) {
    const [per, mask] = bytes === 1 ? [4, '0xffu'] : [2, '0xffffu'];
    kernel = elementKernel(Math.ceil(total / per), ctx.options.workgroupSize, [
      '  var packed = 0u;',
      `  for (var e = 0u; e < ${u(per)}; e = e + 1u) {`,
      `    let o = i * ${u(per)} + e;`,
      `    if (o < ${u(total)}) { packed = packed | ((bitcast<u32>(element(o)) & ${mask}) << (${u(8 * bytes)} * e)); }`,
      '  }',
      `  ${at(loc, 'i')} = packed;`,
    ].join('\n'));
  } else if (bytes === 8) {
    kernel = elementKernel(total, ctx.options.workgroupSize, `  let v = element(i);\n  ${at(loc, '2u * i')} = v.x;\n  ${at(loc, '2u * i + 1u')} = v.y;`);
  } else {
    kernel = elementKernel(total, ctx.options.workgroupSize, `  ${at(loc, 'i')} = bitcast<u32>(element(i));`);
  }
  return { code: `${bindings('u32')}\n${I64_PRELUDE}\n${functions}\n${kernel.code}\n`, workgroups: kernel.workgroups };
}
