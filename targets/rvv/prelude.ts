import { activationSwitch, EXPRESSION_HELPERS } from './expression.js';

/**
 * The C helpers every generated model.c starts with: f32 vector math on `vfloat32m4_t` (exp, erf, tanh,
 * sigmoid), then the expression helpers and the activation switch of expression.ts; written with the RVV 1.0
 * intrinsics and VLEN-agnostic (every loop strip-mines with vsetvl, so one binary is correct at any VLEN).
 *
 * The transcendental functions are polynomial approximations (Cephes' expf; erf by Abramowitz-Stegun 7.1.26,
 * absolute error below 1.5e-7), well inside the 1e-4 relative tolerance the target is held to.
 */

/** Strided copy of n elements of `bits` bits (strides in elements, LMUL=8), dtype-agnostic. */
function copyHelper(bits: number): string {
  const t = `u${bits}m8`;
  const bytes = bits / 8;
  return `
static void edgec_copy${bits}(uint${bits}_t *dst, long ds, const uint${bits}_t *src, long ss, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t vl = __riscv_vsetvl_e${bits}m8(n - i);
    vuint${bits}m8_t v = ss == 1 ? __riscv_vle${bits}_v_${t}(src + i, vl) : __riscv_vlse${bits}_v_${t}(src + (long)i * ss, ss * ${bytes}, vl);
    if (ds == 1) __riscv_vse${bits}_v_${t}(dst + i, v, vl);
    else __riscv_vsse${bits}_v_${t}(dst + (long)i * ds, ds * ${bytes}, v, vl);
    i += vl;
  }
}
`;
}

export const PRELUDE = String.raw`
typedef vfloat32m4_t vf;
#define VSET(n) __riscv_vsetvl_e32m4(n)
#define VLD(p, vl) __riscv_vle32_v_f32m4((p), (vl))
#define VST(p, v, vl) __riscv_vse32_v_f32m4((p), (v), (vl))
#define VSPLAT(x, vl) __riscv_vfmv_v_f_f32m4((x), (vl))
/* A strided f32 load: stride in elements; unit stride uses the cheaper contiguous load. */
static inline vf edgec_vload(const float *p, long stride, size_t vl) {
  return stride == 1 ? VLD(p, vl) : __riscv_vlse32_v_f32m4(p, stride * 4, vl);
}

static inline vf edgec_vexp(vf x, size_t vl) {
  x = __riscv_vfmin_vf_f32m4(x, 88.3762626647949f, vl);
  x = __riscv_vfmax_vf_f32m4(x, -87.3365478515625f, vl);
  vint32m4_t n = __riscv_vfcvt_x_f_v_i32m4(__riscv_vfmul_vf_f32m4(x, 1.44269504088896341f, vl), vl);
  vf nf = __riscv_vfcvt_f_x_v_f32m4(n, vl);
  vf r = __riscv_vfnmsac_vf_f32m4(x, 0.693359375f, nf, vl);
  r = __riscv_vfnmsac_vf_f32m4(r, -2.12194440e-4f, nf, vl);
  vf p = VSPLAT(1.9875691500e-4f, vl);
  p = __riscv_vfmadd_vv_f32m4(p, r, VSPLAT(1.3981999507e-3f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, r, VSPLAT(8.3334519073e-3f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, r, VSPLAT(4.1665795894e-2f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, r, VSPLAT(1.6666665459e-1f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, r, VSPLAT(5.0000001201e-1f, vl), vl);
  vf r2 = __riscv_vfmul_vv_f32m4(r, r, vl);
  vf y = __riscv_vfadd_vf_f32m4(__riscv_vfmadd_vv_f32m4(p, r2, r, vl), 1.0f, vl);
  vint32m4_t bits = __riscv_vsll_vx_i32m4(__riscv_vadd_vx_i32m4(n, 127, vl), 23, vl);
  return __riscv_vfmul_vv_f32m4(y, __riscv_vreinterpret_v_i32m4_f32m4(bits), vl);
}

static inline vf edgec_vsigmoid(vf x, size_t vl) {
  vf e = edgec_vexp(__riscv_vfneg_v_f32m4(x, vl), vl);
  return __riscv_vfrdiv_vf_f32m4(__riscv_vfadd_vf_f32m4(e, 1.0f, vl), 1.0f, vl);
}

/* tanh(x) = 2 sigmoid(2x) - 1 */
static inline vf edgec_vtanh(vf x, size_t vl) {
  vf s = edgec_vsigmoid(__riscv_vfadd_vv_f32m4(x, x, vl), vl);
  return __riscv_vfsub_vf_f32m4(__riscv_vfadd_vv_f32m4(s, s, vl), 1.0f, vl);
}

static inline vf edgec_verf(vf x, size_t vl) {
  vf a = __riscv_vfabs_v_f32m4(x, vl);
  vf t = __riscv_vfrdiv_vf_f32m4(__riscv_vfmadd_vf_f32m4(a, 0.3275911f, VSPLAT(1.0f, vl), vl), 1.0f, vl);
  vf p = VSPLAT(1.061405429f, vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(-1.453152027f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(1.421413741f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(-0.284496736f, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, t, VSPLAT(0.254829592f, vl), vl);
  p = __riscv_vfmul_vv_f32m4(p, t, vl);
  vf e = edgec_vexp(__riscv_vfneg_v_f32m4(__riscv_vfmul_vv_f32m4(a, a, vl), vl), vl);
  vf y = __riscv_vfrsub_vf_f32m4(__riscv_vfmul_vv_f32m4(p, e, vl), 1.0f, vl);
  return __riscv_vfsgnj_vv_f32m4(y, x, vl);
}

/* x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) */
static inline vf edgec_vgelu(vf x, size_t vl) {
  vf e = edgec_verf(__riscv_vfmul_vf_f32m4(x, 0.70710678118654752f, vl), vl);
  return __riscv_vfmul_vv_f32m4(__riscv_vfmul_vf_f32m4(x, 0.5f, vl), __riscv_vfadd_vf_f32m4(e, 1.0f, vl), vl);
}

static inline vf edgec_vgelu_tanh(vf x, size_t vl) {
  vf x3 = __riscv_vfmul_vv_f32m4(__riscv_vfmul_vv_f32m4(x, x, vl), x, vl);
  vf inner = __riscv_vfmul_vf_f32m4(__riscv_vfmacc_vf_f32m4(x, 0.044715f, x3, vl), 0.7978845608028654f, vl);
  vf t = edgec_vtanh(inner, vl);
  return __riscv_vfmul_vv_f32m4(__riscv_vfmul_vf_f32m4(x, 0.5f, vl), __riscv_vfadd_vf_f32m4(t, 1.0f, vl), vl);
}

/* max(0, min(1, alpha x + beta)), NaN passing (vfmax / vfmin would turn it into a bound). */
static inline vf edgec_vhard_sigmoid(vf x, float alpha, float beta, size_t vl) {
  vf y = __riscv_vfmadd_vf_f32m4(x, alpha, VSPLAT(beta, vl), vl);
  vf r = __riscv_vfmin_vf_f32m4(__riscv_vfmax_vf_f32m4(y, 0.0f, vl), 1.0f, vl);
  return __riscv_vmerge_vvm_f32m4(r, y, __riscv_vmfne_vv_f32m4_b8(y, y, vl), vl);
}

static inline vf edgec_vhard_swish(vf x, size_t vl) {
  return __riscv_vfmul_vv_f32m4(x, edgec_vhard_sigmoid(x, 1.0f / 6.0f, 0.5f, vl), vl);
}

${EXPRESSION_HELPERS}
${activationSwitch()}

${[8, 16, 32, 64].map(copyHelper).join('')}
/* Sets n floats to x. */
static void edgec_fill_f32(float *dst, float x, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t vl = VSET(n - i);
    VST(dst + i, VSPLAT(x, vl), vl);
    i += vl;
  }
}

/*
 * Copies a C x H x W plane stack into a (C, H + pt + pb, W + pl + pr) one whose border is 'pad' (zero for
 * convolutions, -inf for max pooling), so window kernels read every tap without bounds checks.
 */
static void edgec_pad_planes(float *dst, const float *src, long C, long H, long W, long pt, long pl, long PH, long PW, float pad) {
  for (long c = 0; c < C; c++) {
    float *d = dst + c * PH * PW;
    edgec_fill_f32(d, pad, (size_t)(PH * PW));
    for (long h = 0; h < H; h++) edgec_copy32((uint32_t *)(d + (h + pt) * PW + pl), 1, (const uint32_t *)(src + (c * H + h) * W), 1, (size_t)W);
  }
}
`;
