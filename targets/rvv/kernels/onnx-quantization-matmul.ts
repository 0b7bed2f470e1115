import type { Node, Value } from '../../../ir/index.js';
import { matmulLayout } from '../../../ir/ops/onnx-quantization.js';
import { C_TYPES, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { useCastHelpers } from './cast.js';

/**
 * QLinearMatMul and MatMulInteger on 8-bit operands with one zero point and one scale per operand, as the
 * reference computes them (targets/reference/kernels/onnx-quantization.ts): the exact int32 product of
 * (a - a_zp) and (b - b_zp), wrapping like the reference's Int32Array sums; QLinearMatMul then requantizes
 * y = saturate(round_half_even(f32(f32(acc) * m)) + y_zp) with m = r(r(a_scale b_scale) / y_scale), r rounding
 * to the scales' type (f32, or f16 through f32 as the reference's roundFloat), taken at run time (the scales may
 * be graph inputs).
 *
 * Each output row is strip-mined along N at LMUL=4 on i32 accumulators: per k one widened 8-bit load of B's row
 * and one vmacc by the scalar (a[i, k] - a_zp). Batch dims broadcast (numpy rules); a 1-D operand is promoted.
 */

interface Layout {
  batches: number;
  m: number;
  k: number;
  n: number;
  /** Per batch, the element offsets of its A and B matrices. */
  aOffsets: number[];
  bOffsets: number[];
}

function layoutOf(aShape: readonly number[], bShape: readonly number[]): Layout | string {
  const layout = matmulLayout(aShape, bShape);
  if (typeof layout === 'string') return layout;
  const { a, b, batch, m, k, n } = layout;
  const rank = batch.length;
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(a.slice(0, -2)), pad(b.slice(0, -2))];
  const batches = product(batch);
  const aOffsets: number[] = [];
  const bOffsets: number[] = [];
  for (let t = 0; t < batches; t++) {
    let [ra, rb, rest] = [0, 0, t];
    let [sa, sb] = [1, 1];
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % batch[d]!;
      rest = Math.floor(rest / batch[d]!);
      if (pa[d] !== 1) ra += c * sa;
      if (pb[d] !== 1) rb += c * sb;
      sa *= pa[d]!;
      sb *= pb[d]!;
    }
    aOffsets.push(ra * m * k);
    bOffsets.push(rb * k * n);
  }
  return { batches, m, k, n, aOffsets, bOffsets };
}

/** The widening load of 8-bit B elements to i32 (LMUL 4). */
const widen = (dtype: string, p: string) =>
  dtype === 'u8'
    ? `__riscv_vreinterpret_v_u32m4_i32m4(__riscv_vzext_vf4_u32m4(__riscv_vle8_v_u8m1(${p}, vl), vl))`
    : `__riscv_vsext_vf4_i32m4(__riscv_vle8_v_i8m1(${p}, vl), vl)`;

function operandsOf(node: Node) {
  const i = node.inputs;
  return node.op === 'QLinearMatMul'
    ? { a: i[0]!, b: i[3]!, aZp: i[2], bZp: i[5], scales: [i[1]!, i[4]!, i[6]!], yZp: i[7]! }
    : { a: i[0]!, b: i[1]!, aZp: i[2], bZp: i[3], scales: null, yZp: null };
}

const OUT: Readonly<Record<string, { lo: number; hi: number }>> = { u8: { lo: 0, hi: 255 }, i8: { lo: -128, hi: 127 } };

function emit(node: Node, ctx: CEmitContext): string {
  const o = operandsOf(node);
  const l = layoutOf(shapeOf(o.a), shapeOf(o.b)) as Layout;
  const y = node.outputs[0]!;
  const zp = (v: Value | null | undefined) => (v ? `(int32_t)${ctx.ptr(v)}[0]` : '0');
  const lines = [
    `const ${C_TYPES[o.a.type.dtype]} *A = ${ctx.ptr(o.a)};`,
    `const ${C_TYPES[o.b.type.dtype]} *B = ${ctx.ptr(o.b)};`,
    `${C_TYPES[y.type.dtype]} *Y = ${ctx.ptr(y)};`,
    `const int32_t za = ${zp(o.aZp)}, zb = ${zp(o.bZp)};`,
    `static const long a_at[${l.batches}] = { ${l.aOffsets.join(', ')} }, b_at[${l.batches}] = { ${l.bOffsets.join(', ')} };`,
  ];
  let store = `__riscv_vse32_v_i32m4(Y + row + j, acc, vl);`;
  if (o.scales) {
    const half = o.scales[0]!.type.dtype === 'f16';
    if (half) useCastHelpers(ctx);
    const [as, bs, ys] = o.scales.map((v) => (half ? `edgec_f16_to_f32(${ctx.ptr(v)}[0])` : `${ctx.ptr(v)}[0]`));
    const r = (x: string) => (half ? `edgec_f16_to_f32(edgec_f32_to_f16(${x}))` : `(${x})`);
    const t = OUT[y.type.dtype]!;
    lines.push(`const float mult = ${r(`${r(`${as} * ${bs}`)} / ${ys}`)};`, `const int32_t zy = ${zp(o.yZp)};`);
    store = [
      'vint32m4_t r = __riscv_vfcvt_x_f_v_i32m4(__riscv_vfmul_vf_f32m4(__riscv_vfcvt_f_x_v_f32m4(acc, vl), mult, vl), vl);',
      `r = __riscv_vmin_vx_i32m4(__riscv_vmax_vx_i32m4(__riscv_vsadd_vx_i32m4(r, zy, vl), ${t.lo}, vl), ${t.hi}, vl);`,
      `__riscv_vse8_v_i8m1((int8_t *)Y + row + j, __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(r, vl), vl), vl);`,
    ].join('\n      ');
  }
  lines.push(
    `for (long t = 0; t < ${l.batches}; t++)`,
    `  for (long i = 0; i < ${l.m}; i++) {`,
    `    const long row = (t * ${l.m} + i) * ${l.n};`,
    `    for (long j = 0; j < ${l.n};) {`,
    '      size_t vl = VSET((size_t)(' + l.n + ' - j));',
    '      vint32m4_t acc = __riscv_vmv_v_x_i32m4(0, vl);',
    `      for (long p = 0; p < ${l.k}; p++) {`,
    `        vint32m4_t b = __riscv_vsub_vx_i32m4(${widen(o.b.type.dtype, `B + b_at[t] + p * ${l.n} + j`)}, zb, vl);`,
    `        acc = __riscv_vmacc_vx_i32m4(acc, (int32_t)A[a_at[t] + i * ${l.k} + p] - za, b, vl);`,
    '      }',
    `      ${store}`,
    '      j += (long)vl;',
    '    }',
    '  }',
  );
  return lines.join('\n');
}

const EIGHT_BIT = ['u8', 'i8'];
const single = (v: Value | null | undefined) => !v || product(shapeOf(v)) === 1;

export const onnxQuantizationMatmulKernels: RvvKernel = {
  ops: ['QLinearMatMul', 'MatMulInteger'],
  check(node) {
    const o = operandsOf(node);
    if (!EIGHT_BIT.includes(o.a.type.dtype) || !EIGHT_BIT.includes(o.b.type.dtype)) return `${node.op} on ${o.a.type.dtype} x ${o.b.type.dtype} is not supported on rvv (8-bit)`;
    if (o.scales?.some((s) => s.type.dtype !== 'f32' && s.type.dtype !== 'f16')) return `${node.op} with ${o.scales[0]!.type.dtype} scales is not supported on rvv (f32, f16)`;
    return null;
  },
  checkDims(node) {
    const o = operandsOf(node);
    const params = [o.aZp, o.bZp, ...(o.scales ?? [])];
    if (!params.every(single)) return `${node.op} with per-row or per-column parameters is not supported on rvv (one value each)`;
    const l = layoutOf(shapeOf(o.a), shapeOf(o.b));
    if (typeof l === 'string') return l;
    return l.batches * l.m * l.n === 0 ? 'empty results are not supported' : null;
  },
  emit,
};
