import { getAttr, type DType, type Node } from '../../../ir/index.js';
import { C_TYPES, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Cast and CastLike with the reference's semantics (targets/reference/kernels/tensor/cast.ts, as the wasm
 * target's cast kernel states them):
 * - floats to 8/16/32-bit integers truncate toward zero and wrap modulo 2^32 (then to the target width); NaN
 *   and infinities give 0, like a JS typed-array store;
 * - floats to i64/u64 truncate and wrap modulo 2^64; NaN and infinities give INT64_MIN;
 * - integers to integers keep the low bits (extending by the source's signedness); i64/u64 to f32 round
 *   through f64 first; anything to bool is x != 0 (NaN is true);
 * - f16 / bf16 (2-byte encodings) decode exactly to f32; a target takes the value's f32 rounding, then rounds to
 *   nearest even bit for bit as ir/dtype.ts does (quiet NaN: f16 sign | 0x7e00, bf16 0x7fc0).
 *
 * The common pairs are strip-mined vectors (the pairs the wasm kernel runs in SIMD, plus f32 <-> f64 and
 * bf16): small integers and bool to f32 by widening then converting; f32 to 8/16/32-bit integers by a
 * truncating conversion (sign(x) floor|x|: qemu 7.2 aborts on vfcvt.rtz) and narrowing, a strip holding |x| >= 2^31 or NaN (whose wrap a saturating conversion
 * would not give) going element by element; f32 <-> f64 by the widening / narrowing conversions; bf16 by
 * shifts and the rounding add. The other pairs (f16, 64-bit integers, f64 to integers) convert element by
 * element, as on wasm.
 */

const FLOATS = new Set<DType>(['f32', 'f64', 'f16', 'bf16']);
const WIDE = new Set<DType>(['i64', 'u64']);

const SCALAR_HELPERS = `
/* trunc(x) modulo 2^32 (NaN and infinities 0), as a JS typed-array store of an 8/16/32-bit integer */
static inline uint32_t edgec_f2u32(double x) {
  if (fabs(x) < 2147483648.0) return (uint32_t)(int32_t)x;
  if (!(fabs(x) <= 1.7976931348623157e308)) return 0;
  double t = trunc(x);
  return (uint32_t)(t - floor(t / 4294967296.0) * 4294967296.0);
}
/* trunc(x) modulo 2^64; NaN and infinities give INT64_MIN */
static inline uint64_t edgec_f2u64(double x) {
  if (fabs(x) < 9223372036854775808.0) return (uint64_t)(int64_t)x;
  if (!(fabs(x) <= 1.7976931348623157e308)) return (uint64_t)INT64_MIN;
  return (uint64_t)(x - floor(x / 18446744073709551616.0) * 18446744073709551616.0);
}
static inline float edgec_f16_to_f32(uint16_t h) {
  float sign = (h & 0x8000) ? -1.0f : 1.0f;
  int e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e == 0) return sign * (float)f * 5.9604644775390625e-8f;
  if (e == 0x1f) return f ? NAN : sign * INFINITY;
  return sign * (1.0f + (float)f / 1024.0f) * ldexpf(1.0f, e - 15);
}
static inline uint16_t edgec_f32_to_f16(float x) {
  uint32_t bits;
  memcpy(&bits, &x, 4);
  uint32_t sign = (bits >> 16) & 0x8000, exp = (bits >> 23) & 0xff, mant = bits & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    int shift = 14 - e;
    uint32_t half = 1u << (shift - 1), m = mant >> shift, rest = mant & ((1u << shift) - 1);
    if (rest > half || (rest == half && (m & 1))) m++;
    return (uint16_t)(sign | m);
  }
  uint32_t m = mant >> 13, rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (m & 1))) {
    if (++m == 0x400) {
      m = 0;
      if (++e >= 0x1f) return (uint16_t)(sign | 0x7c00);
    }
  }
  return (uint16_t)(sign | ((uint32_t)e << 10) | m);
}
static inline float edgec_bf16_to_f32(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float x;
  memcpy(&x, &bits, 4);
  return x;
}
static inline uint16_t edgec_f32_to_bf16(float x) {
  uint32_t bits;
  memcpy(&bits, &x, 4);
  if (x != x) return 0x7fc0;
  return (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}
`;

/** C converting the source element `x` (of C type C_TYPES[from]) to the target's C value. */
function scalarCast(from: DType, to: DType, x: string): string {
  // Halves decode to f32 first.
  if (from === 'f16' || from === 'bf16') return scalarCast('f32', to, `edgec_${from}_to_f32(${x})`);
  const t = C_TYPES[to]!;
  if (to === 'bool') return `(uint8_t)(${x} != 0)`;
  const asF32 = WIDE.has(from) ? `(float)(double)${x}` : `(float)${x}`;
  if (to === 'f32') return asF32;
  if (to === 'f64') return `(double)${x}`;
  if (to === 'f16' || to === 'bf16') return `edgec_f32_to_${to}(${asF32})`;
  if (FLOATS.has(from)) return `(${t})${WIDE.has(to) ? 'edgec_f2u64' : 'edgec_f2u32'}((double)${x})`;
  return `(${t})${x}`;
}

/** Vector strip code for a pair, given `src`/`dst` pointers at element j and `vl`, or null (element by element). */
function vectorCast(from: DType, to: DType): { vset: string; body: string } | null {
  const e32 = '__riscv_vsetvl_e32m4';
  const widen: Partial<Record<DType, string>> = {
    i8: '__riscv_vsext_vf4_i32m4(__riscv_vle8_v_i8m1(src, vl), vl)',
    i16: '__riscv_vsext_vf2_i32m4(__riscv_vle16_v_i16m2(src, vl), vl)',
    i32: '__riscv_vle32_v_i32m4(src, vl)',
  };
  const widenU: Partial<Record<DType, string>> = {
    u8: '__riscv_vzext_vf4_u32m4(__riscv_vle8_v_u8m1(src, vl), vl)',
    bool: '__riscv_vzext_vf4_u32m4(__riscv_vle8_v_u8m1(src, vl), vl)',
    u16: '__riscv_vzext_vf2_u32m4(__riscv_vle16_v_u16m2(src, vl), vl)',
    u32: '__riscv_vle32_v_u32m4(src, vl)',
  };
  if (to === 'f32' && widen[from]) return { vset: e32, body: `__riscv_vse32_v_f32m4(dst, __riscv_vfcvt_f_x_v_f32m4(${widen[from]}, vl), vl);` };
  if (to === 'f32' && widenU[from]) return { vset: e32, body: `__riscv_vse32_v_f32m4(dst, __riscv_vfcvt_f_xu_v_f32m4(${widenU[from]}, vl), vl);` };
  if (from === 'f32' && to === 'f64') return { vset: e32, body: '__riscv_vse64_v_f64m8(dst, __riscv_vfwcvt_f_f_v_f64m8(__riscv_vle32_v_f32m4(src, vl), vl), vl);' };
  if (from === 'f64' && to === 'f32') return { vset: e32, body: '__riscv_vse32_v_f32m4(dst, __riscv_vfncvt_f_f_w_f32m4(__riscv_vle64_v_f64m8(src, vl), vl), vl);' };
  if (from === 'bf16' && to === 'f32') {
    return { vset: e32, body: '__riscv_vse32_v_u32m4((uint32_t *)dst, __riscv_vsll_vx_u32m4(__riscv_vzext_vf2_u32m4(__riscv_vle16_v_u16m2(src, vl), vl), 16, vl), vl);' };
  }
  if (from === 'f32' && to === 'bf16') {
    return {
      vset: e32,
      body: [
        'vfloat32m4_t x = __riscv_vle32_v_f32m4(src, vl);',
        'vuint32m4_t bits = __riscv_vreinterpret_v_f32m4_u32m4(x);',
        'vuint32m4_t r = __riscv_vsrl_vx_u32m4(__riscv_vadd_vv_u32m4(bits, __riscv_vadd_vx_u32m4(__riscv_vand_vx_u32m4(__riscv_vsrl_vx_u32m4(bits, 16, vl), 1, vl), 0x7fff, vl), vl), 16, vl);',
        'r = __riscv_vmerge_vxm_u32m4(r, 0x7fc0, __riscv_vmfne_vv_f32m4_b8(x, x, vl), vl);',
        '__riscv_vse16_v_u16m2(dst, __riscv_vncvt_x_x_w_u16m2(r, vl), vl);',
      ].join('\n'),
    };
  }
  if (to === 'bool' && from === 'f32') {
    return { vset: e32, body: '__riscv_vse8_v_u8m1(dst, __riscv_vmerge_vxm_u8m1(__riscv_vmv_v_x_u8m1(0, vl), 1, __riscv_vmfne_vf_f32m4_b8(__riscv_vle32_v_f32m4(src, vl), 0.0f, vl), vl), vl);' };
  }
  const narrow: Partial<Record<DType, string>> = {
    i32: '__riscv_vse32_v_i32m4(dst, t, vl);',
    u32: '__riscv_vse32_v_u32m4(dst, __riscv_vreinterpret_v_i32m4_u32m4(t), vl);',
    i16: '__riscv_vse16_v_i16m2(dst, __riscv_vncvt_x_x_w_i16m2(t, vl), vl);',
    u16: '__riscv_vse16_v_i16m2((int16_t *)dst, __riscv_vncvt_x_x_w_i16m2(t, vl), vl);',
    i8: '__riscv_vse8_v_i8m1(dst, __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(t, vl), vl), vl);',
    u8: '__riscv_vse8_v_i8m1((int8_t *)dst, __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(t, vl), vl), vl);',
  };
  if (from === 'f32' && narrow[to]) {
    return {
      vset: e32,
      body: [
        'vfloat32m4_t x = __riscv_vle32_v_f32m4(src, vl);',
        // lanes the saturating conversion cannot wrap: |x| >= 2^31 or NaN
        'if (__riscv_vcpop_m_b8(__riscv_vmnot_m_b8(__riscv_vmflt_vf_f32m4_b8(__riscv_vfabs_v_f32m4(x, vl), 2147483648.0f, vl), vl), vl) == 0) {',
        // trunc(x) = sign(x) floor(|x|): rounding down |x| (qemu 7.2 aborts on vfcvt.rtz, which RTZ would emit)
        '  vint32m4_t t = __riscv_vfcvt_x_f_v_i32m4_rm(__riscv_vfabs_v_f32m4(x, vl), __RISCV_FRM_RDN, vl);',
        '  t = __riscv_vmerge_vvm_i32m4(t, __riscv_vneg_v_i32m4(t, vl), __riscv_vmflt_vf_f32m4_b8(x, 0.0f, vl), vl);',
        `  ${narrow[to]}`,
        '} else {',
        '  _Pragma("clang loop vectorize(disable)")',
        `  for (size_t k = 0; k < vl; k++) dst[k] = ${scalarCast('f32', to, 'src[k]')};`,
        '}',
      ].join('\n'),
    };
  }
  return null;
}

/** Defines the element conversions (f16 / bf16 encodings among them) for kernels that read or write halves. */
export const useCastHelpers = (ctx: CEmitContext): void => ctx.helper('cast:scalar', () => SCALAR_HELPERS);

const targetOf = (node: Node): DType => (node.op === 'CastLike' ? node.inputs[1]!.type.dtype : getAttr<DType>(node, 'to'));

function emitCast(node: Node, ctx: CEmitContext): string {
  const x = node.inputs[0]!;
  const from = x.type.dtype;
  const to = targetOf(node);
  const n = product(shapeOf(x));
  const head = [`const ${C_TYPES[from]} *s = ${ctx.ptr(x)};`, `${C_TYPES[to]} *d = ${ctx.ptr(node.outputs[0]!)};`];
  const vector = vectorCast(from, to);
  if (vector) {
    useCastHelpers(ctx);
    const body = vector.body.split('\n').map((l) => `  ${l}`);
    return [
      ...head,
      `for (long j = 0; j < ${n};) {`,
      `  size_t vl = ${vector.vset}((size_t)(${n} - j));`,
      `  const ${C_TYPES[from]} *src = s + j;`,
      `  ${C_TYPES[to]} *dst = d + j;`,
      ...body,
      '  j += (long)vl;',
      '}',
    ].join('\n');
  }
  useCastHelpers(ctx);
  // Not auto-vectorized: clang would use vfcvt.rtz, on which qemu 7.2 aborts.
  return [...head, '_Pragma("clang loop vectorize(disable)")', `for (long j = 0; j < ${n}; j++) d[j] = ${scalarCast(from, to, 's[j]')};`].join('\n');
}

export const castKernels: RvvKernel = {
  ops: ['Cast', 'CastLike'],
  check(node) {
    const to = targetOf(node);
    return C_TYPES[node.inputs[0]!.type.dtype] && C_TYPES[to] ? null : `Cast from ${node.inputs[0]!.type.dtype} to ${to} is not supported on rvv`;
  },
  emit: emitCast,
};
