import { getAttr, type DType, type Node } from '../../../ir/index.js';
import { clampRange } from '../../../ir/ops/quantized.js';
import { collapseBroadcast } from '../../shared/broadcast.js';
import { C_TYPES, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * The elementwise int8 ops, following the reference's arithmetic to the bit: QuantizeF32 in vectors (below);
 * DequantizeF32, QRequantize, QAdd (one rounding over both products, with broadcasting) and QGlobalAveragePool
 * (int32 sums, then the exact requantization) as plain C loops that clang vectorizes where it can.
 */

/** A double literal that C reads back to the same double. */
const cDouble = (x: number): string => {
  const text = String(x);
  return /[.eE]/.test(text) ? text : `${text}.0`;
};

function bounds(node: Node): { zp: number; lo: number; hi: number; type: string } {
  const dtype = getAttr<string>(node, 'dtype') as DType;
  const [lo, hi] = clampRange(dtype, getAttr<number>(node, 'act_min'), getAttr<number>(node, 'act_max'));
  return { zp: getAttr<number>(node, 'y_zero_point'), lo, hi, type: C_TYPES[dtype]! };
}

const REQUANTIZE = `
/* (int64(acc) * M + 2^(S-1)) >> S, clamped to [lo, hi] after adding zp */
static inline int32_t edgec_requantize(int32_t acc, int64_t m, int s, int32_t zp, int32_t lo, int32_t hi) {
  int64_t q = (((int64_t)acc * m + ((int64_t)1 << (s - 1))) >> s) + zp;
  return (int32_t)(q < lo ? lo : q > hi ? hi : q);
}
`;

/**
 * QuantizeF32 in vectors, exactly as the reference: f32(x / scale) with the division in f64 (vfwcvt, vfdiv.vf,
 * vfncvt rounding to nearest even), then vfcvt.x.f under the default round-to-nearest-even mode (ONNX's
 * rounding), clamped before the zero point is added (so saturated conversions cannot overflow), NaN to zp.
 */
function emitQuantize(node: Node, ctx: CEmitContext): string {
  const [x, y] = [node.inputs[0]!, node.outputs[0]!];
  const dtype = getAttr<string>(node, 'dtype') as DType;
  const [lo, hi] = clampRange(dtype, -Infinity, Infinity);
  const zp = getAttr<number>(node, 'zero_point');
  const store = dtype === 'u8'
    ? `__riscv_vse8_v_u8m1(y + i, __riscv_vreinterpret_v_i8m1_u8m1(b), vl)`
    : `__riscv_vse8_v_i8m1(y + i, b, vl)`;
  return [
    `const float *x = ${ctx.ptr(x)};`,
    `${C_TYPES[dtype]} *y = ${ctx.ptr(y)};`,
    `for (size_t i = 0, n = ${product(shapeOf(x))}; i < n;) {`,
    `  size_t vl = __riscv_vsetvl_e32m4(n - i);`,
    `  vfloat64m8_t d = __riscv_vfdiv_vf_f64m8(__riscv_vfwcvt_f_f_v_f64m8(__riscv_vle32_v_f32m4(x + i, vl), vl), ${cDouble(getAttr<number>(node, 'scale'))}, vl);`,
    `  vfloat32m4_t v = __riscv_vfncvt_f_f_w_f32m4(d, vl);`,
    `  vint32m4_t q = __riscv_vfcvt_x_f_v_i32m4(v, vl);`,
    `  q = __riscv_vmax_vx_i32m4(__riscv_vmin_vx_i32m4(q, ${hi - zp}, vl), ${lo - zp}, vl);`,
    `  q = __riscv_vadd_vx_i32m4(__riscv_vmerge_vxm_i32m4(q, 0, __riscv_vmfne_vv_f32m4_b8(v, v, vl), vl), ${zp}, vl);`,
    `  vint8m1_t b = __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(q, vl), vl);`,
    `  ${store};`,
    `  i += vl;`,
    `}`,
  ].join('\n');
}

function emitDequantize(node: Node, ctx: CEmitContext): string {
  const [q, y] = [node.inputs[0]!, node.outputs[0]!];
  return [
    `const ${C_TYPES[q.type.dtype]} *q = ${ctx.ptr(q)};`,
    `float *y = ${ctx.ptr(y)};`,
    `for (long i = 0; i < ${product(shapeOf(q))}; i++) y[i] = (float)((double)((int64_t)q[i] - ${getAttr<number>(node, 'zero_point')}) * ${cDouble(getAttr<number>(node, 'scale'))});`,
  ].join('\n');
}

function emitRequantize(node: Node, ctx: CEmitContext): string {
  ctx.helper('edgec_requantize', () => REQUANTIZE);
  const [x, y] = [node.inputs[0]!, node.outputs[0]!];
  const b = bounds(node);
  return [
    `const ${C_TYPES[x.type.dtype]} *x = ${ctx.ptr(x)};`,
    `${b.type} *y = ${ctx.ptr(y)};`,
    `for (long i = 0; i < ${product(shapeOf(x))}; i++)`,
    `  y[i] = (${b.type})edgec_requantize((int32_t)x[i] - ${getAttr<number>(node, 'x_zero_point')}, ${getAttr<number>(node, 'multiplier')}, ${getAttr<number>(node, 'shift')}, ${b.zp}, ${b.lo}, ${b.hi});`,
  ].join('\n');
}

function emitQAdd(node: Node, ctx: CEmitContext): string {
  const [a, bv] = [node.inputs[0]!, node.inputs[1]!];
  const y = node.outputs[0]!;
  const b = bounds(node);
  const { dims, strides } = collapseBroadcast(shapeOf(y), [shapeOf(a), shapeOf(bv)]);
  const rank = dims.length;
  const idx = (s: number[]) => dims.map((_, d) => (s[d] ? `i${d} * ${s[d]}` : '')).filter(Boolean).join(' + ') || '0';
  const outStrides = dims.map((_, d) => product(dims.slice(d + 1)));
  const [ma, mb, shift] = ['a_multiplier', 'b_multiplier', 'shift'].map((n) => getAttr<number>(node, n));
  const lines = [`const ${C_TYPES[a.type.dtype]} *a = ${ctx.ptr(a)};`, `const ${C_TYPES[bv.type.dtype]} *b = ${ctx.ptr(bv)};`, `${b.type} *y = ${ctx.ptr(y)};`];
  dims.forEach((d, i) => lines.push(`${'  '.repeat(i)}for (long i${i} = 0; i${i} < ${d}; i${i}++)`));
  const pad = '  '.repeat(rank);
  lines.push(
    `${pad}{`,
    `${pad}  int64_t s = ((int64_t)a[${idx(strides[0]!)}] - ${getAttr<number>(node, 'a_zero_point')}) * ${ma} + ((int64_t)b[${idx(strides[1]!)}] - ${getAttr<number>(node, 'b_zero_point')}) * ${mb};`,
    `${pad}  int64_t q = ((s + ((int64_t)1 << ${shift - 1})) >> ${shift}) + ${b.zp};`,
    `${pad}  y[${idx(outStrides)}] = (${b.type})(q < ${b.lo} ? ${b.lo} : q > ${b.hi} ? ${b.hi} : q);`,
    `${pad}}`,
  );
  return lines.join('\n');
}

function emitQGlobalAveragePool(node: Node, ctx: CEmitContext): string {
  ctx.helper('edgec_requantize', () => REQUANTIZE);
  const x = node.inputs[0]!;
  const shape = shapeOf(x);
  const size = product(shape.slice(2));
  const b = bounds(node);
  return [
    `const ${C_TYPES[x.type.dtype]} *x = ${ctx.ptr(x)};`,
    `${b.type} *y = ${ctx.ptr(node.outputs[0]!)};`,
    `for (long p = 0; p < ${shape[0]! * shape[1]!}; p++) {`,
    `  uint32_t sum = 0;`,
    `  for (long i = 0; i < ${size}; i++) sum += (uint32_t)((int32_t)x[p * ${size} + i] - ${getAttr<number>(node, 'x_zero_point')});`,
    `  y[p] = (${b.type})edgec_requantize((int32_t)sum, ${getAttr<number>(node, 'multiplier')}, ${getAttr<number>(node, 'shift')}, ${b.zp}, ${b.lo}, ${b.hi});`,
    `}`,
  ].join('\n');
}

const EMITTERS: Readonly<Record<string, (node: Node, ctx: CEmitContext) => string>> = {
  QuantizeF32: emitQuantize,
  DequantizeF32: emitDequantize,
  QRequantize: emitRequantize,
  QAdd: emitQAdd,
  QGlobalAveragePool: emitQGlobalAveragePool,
};

export const qelementwiseKernels: RvvKernel = {
  ops: Object.keys(EMITTERS),
  check: () => null,
  emit: (node, ctx) => EMITTERS[node.op]!(node, ctx),
};
