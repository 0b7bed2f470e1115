import type { CEmitContext } from '../kernel.js';
import type { ALayout } from './gemm-core.js';

/**
 * The int8 GEMM microkernel: C = requantize(bias + sum_k A'(m, k) * B'[k][n]) with A' and B' the zero-point
 * shifted operands held as int16, multiplied by widening MACs (vwmacc.vx: i16 x i16 -> i32, LMUL=2 sources into
 * LMUL=4 accumulators), MR rows at a time and one vector of columns (strip-mined with vsetvl). The int32 sums
 * wrap modulo 2^32 like the reference's accumulators. The store is exact:
 *
 *   q = clamp((int64(acc) * M + 2^(S-1)) >> S, lo - zp, hi - zp) + zp
 *
 * computed in 64-bit lanes (vwmul.vx, vadd, vsra), then narrowed to i8 / u8 (or the i32 sums stored as they are).
 * M and S are per row (conv: per output channel) or per column (matmul), as tables.
 */
export const QMAX_MR = 4;

/** Output element kinds of the int8 microkernel's store. */
export const Q_STORE = { i32: 0, i8: 1, u8: 2 } as const;

const QSTORE = `
/* The exact requantizing store of one vector of int32 sums (kind 0: store the sums, 1: i8, 2: u8). */
static inline void edgec_qstore(vint32m4_t acc, void *dst, int kind, vint32m4_t mult, vuint32m4_t shift, int32_t zp, int32_t lo, int32_t hi, size_t vl) {
  if (kind == 0) { __riscv_vse32_v_i32m4((int32_t *)dst, acc, vl); return; }
  vint64m8_t p = __riscv_vwmul_vv_i64m8(acc, mult, vl);
  vuint64m8_t s = __riscv_vzext_vf2_u64m8(shift, vl);
  vint64m8_t half = __riscv_vsll_vv_i64m8(__riscv_vmv_v_x_i64m8(1, vl), __riscv_vsub_vx_u64m8(s, 1, vl), vl);
  p = __riscv_vsra_vv_i64m8(__riscv_vadd_vv_i64m8(p, half, vl), s, vl);
  p = __riscv_vmin_vx_i64m8(__riscv_vmax_vx_i64m8(p, (int64_t)lo - zp, vl), (int64_t)hi - zp, vl);
  vint32m4_t q = __riscv_vadd_vx_i32m4(__riscv_vncvt_x_x_w_i32m4(p, vl), zp, vl);
  vint8m1_t b = __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(q, vl), vl);
  if (kind == 1) __riscv_vse8_v_i8m1((int8_t *)dst, b, vl);
  else __riscv_vse8_v_u8m1((uint8_t *)dst, __riscv_vreinterpret_v_i8m1_u8m1(b), vl);
}
`;

const rows = (mr: number, f: (r: number) => string): string => Array.from({ length: mr }, (_, r) => f(r)).join('\n');

/** Defines edgec_qstore, the requantizing store every int8 kernel ends with. */
export function defineQStore(ctx: CEmitContext): void {
  ctx.helper('edgec_qstore', () => QSTORE);
}

/** Defines the int8 microkernel for `mr` rows and the layout of A (once per model), returning its name. */
export function defineQGemm(ctx: CEmitContext, layout: ALayout, mr: number): string {
  defineQStore(ctx);
  return ctx.planHelper('qgemm', { layout, mr }, (p) => `edgec_qgemm_${p.layout === 'packed' ? 'p' : 's'}${p.mr}`, (name, p) => qgemmSource(name, p.layout, p.mr));
}

function qgemmSource(name: string, layout: ALayout, mr: number): string {
  const aSetup = layout === 'packed' ? '    const int16_t *ap = A + m0 * K;' : rows(mr, (r) => `    const int16_t *a${r} = A + (m0 + (${r} < rows ? ${r} : rows - 1)) * K;`);
  const aLoad = (r: number) => (layout === 'packed' ? `ap[${r}]` : `a${r}[k]`);
  return `
/* per_row: mult/shift indexed by row (conv); else by column (matmul). bias per row when per_row, else per column. */
static void ${name}(long M, long N, long K, const int16_t *A, const int16_t *B, long ldb, void *C, long ldc, int kind,
                    const int32_t *bias, const int32_t *mult, const uint32_t *shift, int per_row, int32_t zp, int32_t lo, int32_t hi) {
  long esize = kind == 0 ? 4 : 1;
  for (long m0 = 0; m0 < M; m0 += ${mr}) {
    long rows = M - m0 < ${mr} ? M - m0 : ${mr};
${aSetup}
    for (long n0 = 0; n0 < N;) {
      size_t vl = __riscv_vsetvl_e32m4((size_t)(N - n0));
      vint32m4_t colbias = bias && !per_row ? __riscv_vle32_v_i32m4(bias + n0, vl) : __riscv_vmv_v_x_i32m4(0, vl);
${rows(mr, (r) => `      vint32m4_t c${r} = bias && per_row ? __riscv_vmv_v_x_i32m4(bias[m0 + (${r} < rows ? ${r} : 0)], vl) : colbias;`)}
      const int16_t *b = B + n0;
      for (long k = 0; k < K; k++) {
        vint16m2_t bv = __riscv_vle16_v_i16m2(b, vl);
        b += ldb;
${rows(mr, (r) => `        c${r} = __riscv_vwmacc_vx_i32m4(c${r}, ${aLoad(r)}, bv, vl);`)}
${layout === 'packed' ? `        ap += ${mr};` : ''}
      }
${layout === 'packed' ? `      ap -= K * ${mr};` : ''}
      vint32m4_t cm = kind && !per_row ? __riscv_vle32_v_i32m4(mult + n0, vl) : __riscv_vmv_v_x_i32m4(0, vl);
      vuint32m4_t cs = kind && !per_row ? __riscv_vle32_v_u32m4(shift + n0, vl) : __riscv_vmv_v_x_u32m4(1, vl);
${rows(mr, (r) => `      ${r > 0 ? `if (${r} < rows) ` : ''}{
        long m = m0 + ${r};
        vint32m4_t rm = kind && per_row ? __riscv_vmv_v_x_i32m4(mult[m], vl) : cm;
        vuint32m4_t rs = kind && per_row ? __riscv_vmv_v_x_u32m4(shift[m], vl) : cs;
        edgec_qstore(c${r}, (uint8_t *)C + (m * ldc + n0) * esize, kind, rm, rs, zp, lo, hi, vl);
      }`)}
      n0 += (long)vl;
    }
  }
}
`;
}

/** Defines the zero-point shift of 8-bit values into int16 (with a zero border for convolutions). */
export function defineShift16(ctx: CEmitContext): string {
  ctx.helper('edgec_shift16', () => `
/* dst[c][h + pt][w + pl] = src[c][h][w] - zp over C planes of H x W into PH x PW planes with a zero border. */
static void edgec_shift16(int16_t *dst, const void *src, int is_u8, int32_t zp, long C, long H, long W, long pt, long pl, long PH, long PW) {
  if (PH != H || PW != W) memset(dst, 0, (size_t)(C * PH * PW) * sizeof(int16_t));
  for (long c = 0; c < C; c++)
    for (long h = 0; h < H; h++) {
      const uint8_t *s = (const uint8_t *)src + (c * H + h) * W;
      int16_t *d = dst + (c * PH + h + pt) * PW + pl;
      for (long w = 0; w < W;) {
        size_t vl = __riscv_vsetvl_e16m2((size_t)(W - w));
        vint16m2_t v = is_u8 ? __riscv_vreinterpret_v_u16m2_i16m2(__riscv_vzext_vf2_u16m2(__riscv_vle8_v_u8m1(s + w, vl), vl))
                             : __riscv_vsext_vf2_i16m2(__riscv_vle8_v_i8m1((const int8_t *)s + w, vl), vl);
        __riscv_vse16_v_i16m2(d + w, __riscv_vsub_vx_i16m2(v, (int16_t)zp, vl), vl);
        w += (long)vl;
      }
    }
}
`);
  return 'edgec_shift16';
}
