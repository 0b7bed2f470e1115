import { getAttr, type DType, type Node, type Value } from '../../../ir/index.js';
import { quantGranularity } from '../../../ir/ops/onnx-quantization.js';
import { C_TYPES, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * The ONNX linear quantization ops on f32, step for step as targets/reference/kernels/onnx-quantization/linear.ts
 * computes them:
 *   QuantizeLinear:        y = saturate(round_half_even(f32(x / scale)) + zp), NaN giving zp;
 *   DequantizeLinear:      y = f32(f32(f32(x) - zp) * scale);
 *   DynamicQuantizeLinear: scale and zero point from min(x, 0) and max(x, 0) in f32, then QuantizeLinear to u8.
 * Per-tensor, per-axis and blocked parameters: the tensor is walked as [outer, size, inner] around the axis,
 * each (outer, size) row strip-mined with LMUL=4 f32 vectors; a row's parameter is one splat (per-tensor,
 * per-axis) or, blocked, a vector load of the row's parameters along inner. Rounding is vfcvt in the default
 * round-to-nearest-even mode (saturating at the i32 range); the zero point is a saturating add and the
 * saturation a clamp in i32 before narrowing.
 */

/** The 8/16-bit types, with their i32 clamp bounds and the narrowing from i32 to them. */
const QUANT: Readonly<Partial<Record<DType, { lo: number; hi: number; store: (p: string, v: string) => string }>>> = {
  i8: { lo: -128, hi: 127, store: (p, v) => `__riscv_vse8_v_i8m1(${p}, __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(${v}, vl), vl), vl)` },
  u8: { lo: 0, hi: 255, store: (p, v) => `__riscv_vse8_v_i8m1((int8_t *)${p}, __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(${v}, vl), vl), vl)` },
  i16: { lo: -32768, hi: 32767, store: (p, v) => `__riscv_vse16_v_i16m2(${p}, __riscv_vncvt_x_x_w_i16m2(${v}, vl), vl)` },
  u16: { lo: 0, hi: 65535, store: (p, v) => `__riscv_vse16_v_i16m2((int16_t *)${p}, __riscv_vncvt_x_x_w_i16m2(${v}, vl), vl)` },
};

/** Loads of integer elements widened to i32 (LMUL 4 beside f32m4). */
const WIDEN: Readonly<Partial<Record<DType, (p: string) => string>>> = {
  i8: (p) => `__riscv_vsext_vf4_i32m4(__riscv_vle8_v_i8m1(${p}, vl), vl)`,
  u8: (p) => `__riscv_vreinterpret_v_u32m4_i32m4(__riscv_vzext_vf4_u32m4(__riscv_vle8_v_u8m1(${p}, vl), vl))`,
  i16: (p) => `__riscv_vsext_vf2_i32m4(__riscv_vle16_v_i16m2(${p}, vl), vl)`,
  u16: (p) => `__riscv_vreinterpret_v_u32m4_i32m4(__riscv_vzext_vf2_u32m4(__riscv_vle16_v_u16m2(${p}, vl), vl))`,
  i32: (p) => `__riscv_vle32_v_i32m4(${p}, vl)`,
};

interface Walk {
  outer: number;
  size: number;
  inner: number;
  /** C of the row's first parameter index (o, c in scope), and whether parameters vary along inner. */
  param: string;
  vector: boolean;
}

function walkOf(node: Node, data: Value, scale: Value): Walk | string {
  const shape = shapeOf(data);
  const g = quantGranularity(shape, shapeOf(scale), getAttr<number>(node, 'axis'), getAttr<number>(node, 'block_size'));
  if (typeof g === 'string') return g;
  if (g.kind === 'tensor') return { outer: 1, size: 1, inner: product(shape), param: '0', vector: false };
  const [outer, size, inner] = [product(shape.slice(0, g.axis)), shape[g.axis]!, product(shape.slice(g.axis + 1))];
  if (g.kind === 'axis') return { outer, size, inner, param: 'c', vector: false };
  const blocks = shapeOf(scale)[g.axis]!;
  return { outer, size, inner, param: `(o * ${blocks} + c / ${g.blockSize}) * ${inner}`, vector: true };
}

/** C of the strip loops over a walk: `body` sees x / y at the row, p the row's parameter index, j and vl. */
function emitWalk(w: Walk, body: string[]): string {
  return [
    `for (long o = 0; o < ${w.outer}; o++)`,
    `  for (long c = 0; c < ${w.size}; c++) {`,
    `    const long row = (o * ${w.size} + c) * ${w.inner}, p = ${w.param};`,
    `    for (long j = 0; j < ${w.inner};) {`,
    '      size_t vl = VSET((size_t)(' + w.inner + ' - j));',
    ...body.map((l) => `      ${l}`),
    '      j += (long)vl;',
    '    }',
    '  }',
  ].join('\n');
}

/** C of a parameter at the strip: a vector load along inner (blocked) or a splat of the row's one value. */
const paramF = (w: Walk, scale: string) => (w.vector ? `VLD(${scale} + p + j, vl)` : `VSPLAT(${scale}[p], vl)`);
function paramZp(w: Walk, zp: Value | null | undefined, ptr: string, single: boolean): string {
  if (!zp) return '__riscv_vmv_v_x_i32m4(0, vl)';
  if (single) return `__riscv_vmv_v_x_i32m4((int32_t)${ptr}[0], vl)`;
  return w.vector ? WIDEN[zp.type.dtype]!(`${ptr} + p + j`) : `__riscv_vmv_v_x_i32m4((int32_t)${ptr}[p], vl)`;
}

/** Statements quantizing `vf q` (already x / scale) with zero point `vint32m4_t z` to `out` at `y + j`. */
function quantizeStrip(out: DType, y: string): string[] {
  const t = QUANT[out]!;
  return [
    'vint32m4_t r = __riscv_vfcvt_x_f_v_i32m4(q, vl);',
    'r = __riscv_vmerge_vxm_i32m4(r, 0, __riscv_vmfne_vv_f32m4_b8(q, q, vl), vl);',
    `r = __riscv_vmin_vx_i32m4(__riscv_vmax_vx_i32m4(__riscv_vsadd_vv_i32m4(r, z, vl), ${t.lo}, vl), ${t.hi}, vl);`,
    `${t.store(`${y} + j`, 'r')};`,
  ];
}

const single = (v: Value | null | undefined) => !!v && product(shapeOf(v)) === 1;

function emitQuantize(node: Node, ctx: CEmitContext): string {
  const [x, scale, zp] = node.inputs as [Value, Value, Value | null];
  const y = node.outputs[0]!;
  const w = walkOf(node, x, scale) as Walk;
  return [
    `const float *X = ${ctx.ptr(x)}, *S = ${ctx.ptr(scale)};`,
    zp ? `const ${C_TYPES[zp.type.dtype]} *Z = ${ctx.ptr(zp)};` : '',
    `${C_TYPES[y.type.dtype]} *Y = ${ctx.ptr(y)};`,
    emitWalk(w, [
      `vf q = __riscv_vfdiv_vv_f32m4(VLD(X + row + j, vl), ${paramF(w, 'S')}, vl);`,
      `vint32m4_t z = ${paramZp(w, zp, 'Z', single(zp) && !single(scale))};`,
      ...quantizeStrip(y.type.dtype, 'Y + row'),
    ]),
  ]
    .filter(Boolean)
    .join('\n');
}

function emitDequantize(node: Node, ctx: CEmitContext): string {
  const [x, scale, zp] = node.inputs as [Value, Value, Value | null];
  const w = walkOf(node, x, scale) as Walk;
  const widen = WIDEN[x.type.dtype]!;
  return [
    `const ${C_TYPES[x.type.dtype]} *X = ${ctx.ptr(x)};`,
    `const float *S = ${ctx.ptr(scale)};`,
    zp ? `const ${C_TYPES[zp.type.dtype]} *Z = ${ctx.ptr(zp)};` : '',
    `float *Y = ${ctx.ptr(node.outputs[0]!)};`,
    emitWalk(w, [
      `vf d = __riscv_vfsub_vv_f32m4(__riscv_vfcvt_f_x_v_f32m4(${widen('X + row + j')}, vl), __riscv_vfcvt_f_x_v_f32m4(${paramZp(w, zp, 'Z', single(zp) && !single(scale))}, vl), vl);`,
      `VST(Y + row + j, __riscv_vfmul_vv_f32m4(d, ${paramF(w, 'S')}, vl), vl);`,
    ]),
  ]
    .filter(Boolean)
    .join('\n');
}

const DYNAMIC_HELPER = `
/*
 * DynamicQuantizeLinear: min(x, 0) and max(x, 0) by vector reductions, then in f32 scale = (max - min) / 255
 * (1 when x is all zero), zp = round_half_even(clamp(0 - min / scale, 0, 255)), y = saturate(round(x / scale) + zp).
 */
static void edgec_dynamic_quantize(const float *X, uint8_t *Y, float *scale_out, uint8_t *zp_out, long n) {
  size_t vlmax = VSET((size_t)n);
  vf hi = VSPLAT(0.0f, vlmax), lo = VSPLAT(0.0f, vlmax);
  for (long i = 0; i < n;) {
    size_t vl = VSET((size_t)(n - i));
    vf v = VLD(X + i, vl);
    hi = __riscv_vfmax_vv_f32m4_tu(hi, hi, v, vl);
    lo = __riscv_vfmin_vv_f32m4_tu(lo, lo, v, vl);
    i += (long)vl;
  }
  float max = __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredmax_vs_f32m4_f32m1(hi, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));
  float min = __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredmin_vs_f32m4_f32m1(lo, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));
  float scale = max == min ? 1.0f : (max - min) / 255.0f;
  float zp0 = 0.0f - min / scale;
  float zpf = nearbyintf(zp0 < 0.0f ? 0.0f : zp0 > 255.0f ? 255.0f : zp0);
  *scale_out = scale;
  *zp_out = (uint8_t)zpf;
  for (long j = 0; j < n;) {
    size_t vl = VSET((size_t)(n - j));
    vf q = __riscv_vfdiv_vf_f32m4(VLD(X + j, vl), scale, vl);
    vint32m4_t z = __riscv_vmv_v_x_i32m4((int32_t)zpf, vl);
    ${quantizeStrip('u8', 'Y').join('\n    ')}
    j += (long)vl;
  }
}
`;

function emitDynamic(node: Node, ctx: CEmitContext): string {
  ctx.helper('edgec_dynamic_quantize', () => DYNAMIC_HELPER);
  const [y, scale, zp] = node.outputs as [Value, Value, Value];
  const x = node.inputs[0]!;
  return `edgec_dynamic_quantize(${ctx.ptr(x)}, ${ctx.ptr(y)}, ${ctx.ptr(scale)}, ${ctx.ptr(zp)}, ${product(shapeOf(x))});`;
}

function check(node: Node): string | null {
  const [x, scale] = node.inputs as [Value, Value];
  if (node.op === 'DynamicQuantizeLinear') return null;
  if (scale.type.dtype !== 'f32') return `${node.op} with a ${scale.type.dtype} scale is not supported on rvv (f32)`;
  if (node.op === 'QuantizeLinear') {
    const precision = getAttr<string>(node, 'precision');
    if (x.type.dtype !== 'f32' || (precision && precision !== 'f32')) return `QuantizeLinear of ${x.type.dtype} in ${precision || 'f32'} precision is not supported on rvv (f32)`;
    return QUANT[node.outputs[0]!.type.dtype] ? null : `QuantizeLinear to ${node.outputs[0]!.type.dtype} is not supported on rvv`;
  }
  if (!WIDEN[x.type.dtype]) return `DequantizeLinear of ${x.type.dtype} is not supported on rvv`;
  return node.outputs[0]!.type.dtype === 'f32' ? null : `DequantizeLinear to ${node.outputs[0]!.type.dtype} is not supported on rvv (f32)`;
}

export const onnxQuantizationKernels: RvvKernel = {
  ops: ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear'],
  check,
  checkDims(node) {
    if (node.op === 'DynamicQuantizeLinear') return product(shapeOf(node.inputs[0]!)) === 0 ? 'empty tensors are not supported' : null;
    const w = walkOf(node, node.inputs[0]!, node.inputs[1]!);
    return typeof w === 'string' ? w : null;
  },
  emit(node, ctx) {
    if (node.op === 'QuantizeLinear') return emitQuantize(node, ctx);
    if (node.op === 'DequantizeLinear') return emitDequantize(node, ctx);
    return emitDynamic(node, ctx);
  },
};
