import { getAttr, type DType, type Node } from '../../../ir/index.js';
import { clampRange } from '../../../ir/ops/quantized.js';
import { collapseBroadcast } from '../../shared/broadcast.js';
import { C_TYPES, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * The elementwise int8 ops, as plain C loops that follow the reference's arithmetic to the bit (clang
 * vectorizes what it can): QuantizeF32 (f64 division rounded to f32, round half to even, clamp),
 * DequantizeF32, QRequantize, QAdd (one rounding over both products, with broadcasting) and
 * QGlobalAveragePool (int32 sums, then the exact requantization).
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

/*
 * Round half to even without nearbyint: nearbyint saves and restores fflags (frflags/fsflags), which qemu 7.2's
 * user-mode RISC-V translator mishandles next to vector code (an assertion in decode_save_opc).
 */
const ROUND_HALF_EVEN = `
static inline double edgec_round_half_even(double v) {
  double f = floor(v);
  double d = v - f;
  if (d != 0.5) return d < 0.5 ? f : f + 1.0;
  return fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}
`;

function emitQuantize(node: Node, ctx: CEmitContext): string {
  ctx.helper('edgec_round_half_even', () => ROUND_HALF_EVEN);
  const [x, y] = [node.inputs[0]!, node.outputs[0]!];
  const dtype = getAttr<string>(node, 'dtype') as DType;
  const [lo, hi] = clampRange(dtype, -Infinity, Infinity);
  const zp = getAttr<number>(node, 'zero_point');
  return [
    `const float *x = ${ctx.ptr(x)};`,
    `${C_TYPES[dtype]} *y = ${ctx.ptr(y)};`,
    `for (long i = 0; i < ${product(shapeOf(x))}; i++) {`,
    `  float v = (float)((double)x[i] / ${cDouble(getAttr<number>(node, 'scale'))});`,
    `  double q = v != v ? ${zp}.0 : edgec_round_half_even((double)v) + ${zp};`,
    `  y[i] = (${C_TYPES[dtype]})(q < ${lo} ? ${lo} : q > ${hi} ? ${hi} : q);`,
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
  check(node) {
    for (const v of [...node.inputs, ...node.outputs]) {
      if (v && v.type.shape.some((d) => typeof d !== 'number')) return `%${v.name} has a symbolic shape; the rvv target needs static shapes`;
    }
    return null;
  },
  emit: (node, ctx) => EMITTERS[node.op]!(node, ctx),
};
