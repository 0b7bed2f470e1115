import { registerOp, type AttrSpec, type InferContext } from './registry.js';
import { broadcastOperands, expectDType, operand, optional, schema } from './common.js';
import { matmulShape } from './nn.js';
import { convAttrsOf, convGeometry, type ConvGeometry } from './onnx-quantization.js';
import { dtypeRange, type DType } from '../dtype.js';
import { formatType, tensorType, UNKNOWN_DIM, type Dim, type TensorType } from '../types.js';

/**
 * edgec's quantized IR: integer-only ops that the int8 quantizer (passes/quantize.ts) and the QDQ / QOperator
 * lowering (passes/lower-qdq.ts) produce, and that targets lower directly to integer SIMD code.
 *
 * Every op is defined by its integer operands and attributes alone (the `quant` annotations on values only
 * describe what the integers mean); the arithmetic is exactly specified here and shared by every target:
 *
 *   requantize(acc, M, S) = floor((acc * M + 2^(S-1)) / 2^S)       (acc int32, M in [0, 2^31), S in [16, 62])
 *
 * i.e. `(int64(acc) * M + (1 << (S-1))) >> S` with an arithmetic shift: one rounding, half toward +infinity
 * (XNNPACK's "rndnu"). |acc * M| < 2^62, so the int64 sum never overflows. The real multiplier is M * 2^-S;
 * quantizeMultiplier below derives (M, S) from it once, at compile time, and targets read them from the IR.
 * After requantization the zero point is added and the result clamped to [act_min, act_max] ∩ dtype range:
 * the fused Relu / Relu6 of a layer is this clamp. Integer sums (convolution, matmul, pooling) wrap modulo 2^32
 * (int32 accumulators); real models stay far inside the range.
 *
 *   QuantizeF32(x)          q = clamp(round_half_even(f32(x / scale)) + zero_point)         (ONNX QuantizeLinear)
 *   DequantizeF32(q)        x = f32((q - zero_point) * scale)                               (ONNX DequantizeLinear)
 *   QRequantize(x)          y = clamp(requantize(x - x_zp, M, S) + y_zp)
 *   QConv(x, w, bias?, M?, S?)
 *                           acc[n,m,..] = bias[m] + sum (x - x_zp) * (w - w_zp); padding reads x_zp (adds 0)
 *                           y = clamp(requantize(acc, M[m], S[m]) + y_zp)  M, S per output channel or one;
 *                           without M and S the output is the i32 accumulator (ONNX ConvInteger)
 *   QMatMul(a, b, bias?, M?, S?)
 *                           numpy matmul of (a - a_zp) and (b - b_zp), + bias[n], requantized per column n
 *                           (or once); without M and S the i32 accumulator (ONNX MatMulInteger)
 *   QAdd(a, b)              y = clamp(floor(((a - a_zp) * Ma + (b - b_zp) * Mb + 2^(S-1)) / 2^S) + y_zp),
 *                           Ma, Mb in [0, 2^31), S in [1, 52] (both products share one shift: a single rounding)
 *   QGlobalAveragePool(x)   y = clamp(requantize(sum over H*W of (x - x_zp), M, S) + y_zp), M * 2^-S = sx / (sy * H*W)
 *
 * MaxPool, Concat (equal parameters) and the reshaping ops run on i8 / u8 unchanged.
 */

export const QUANTIZED_ACTIVATION_TYPES: readonly DType[] = ['i8', 'u8'];
export const MIN_SHIFT = 16;
export const MAX_SHIFT = 62;
export const ADD_MAX_SHIFT = 52;
const TWO_31 = 2 ** 31;

// ---------------------------------------------------------------------------------------------------------
// The arithmetic (shared by the reference kernels, the passes and the tests)

/**
 * floor((acc * M + 2^(S-1)) / 2^S), exactly, in float64 arithmetic: M is split into 16 + 15 bits so that every
 * partial product and sum stays below 2^53. Equals the int64 formula for |acc| < 2^31, M < 2^31, S in [16, 62].
 */
export function requantize(acc: number, multiplier: number, shift: number): number {
  const mHigh = Math.floor(multiplier / 32768);
  const mLow = multiplier - mHigh * 32768;
  const pHigh = acc * mHigh;
  const pLow = acc * mLow;
  const d = 2 ** (shift - 15);
  const q = Math.floor(pHigh / d);
  const rem = pHigh - q * d;
  const c = Math.floor(pLow / 32768);
  return q + Math.floor((rem + c + 2 ** (shift - 16)) / d);
}

/** floor((a * Ma + b * Mb + 2^(S-1)) / 2^S) for |a|, |b| < 2^9 (zero-point-shifted 8-bit values): exact in float64. */
export function requantizeAdd(a: number, aMultiplier: number, b: number, bMultiplier: number, shift: number): number {
  return Math.floor((a * aMultiplier + b * bMultiplier + 2 ** (shift - 1)) / 2 ** shift);
}

/** round half to even (ONNX's rounding for QuantizeLinear). */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** r = f * 2^k with f in [0.5, 1), for r > 0. */
function frexp(r: number): [number, number] {
  let k = Math.floor(Math.log2(r)) + 1;
  let f = r / 2 ** k;
  while (f >= 1) (f /= 2), k++;
  while (f < 0.5) (f *= 2), k--;
  return [f, k];
}

export interface FixedPointMultiplier {
  multiplier: number;
  shift: number;
}

/**
 * The (M, S) with M * 2^-S closest to the real multiplier r: M = round_half_up(f * 2^31) with r = f * 2^k,
 * f in [0.5, 1), S = 31 - k. Multipliers below 2^-32 keep S = 62 and a smaller M (possibly 0); r >= 2^15 fails.
 */
export function quantizeMultiplier(r: number): FixedPointMultiplier {
  if (!Number.isFinite(r) || r < 0) throw new Error(`requantization multiplier ${r} must be finite and >= 0`);
  if (r === 0) return { multiplier: 0, shift: 31 };
  const [f, k] = frexp(r);
  let multiplier = Math.round(f * TWO_31);
  let shift = 31 - k;
  if (multiplier === TWO_31) (multiplier = TWO_31 / 2), shift--;
  if (shift > MAX_SHIFT) {
    multiplier = Math.round(multiplier / 2 ** (shift - MAX_SHIFT));
    shift = MAX_SHIFT;
  }
  if (shift < MIN_SHIFT) throw new Error(`requantization multiplier ${r} is too large (at most 2^${31 - MIN_SHIFT})`);
  return { multiplier, shift };
}

export interface AddMultipliers {
  aMultiplier: number;
  bMultiplier: number;
  shift: number;
}

/** Ma, Mb and a shared S for QAdd: the larger multiplier gets 31 bits; S in [1, 52]. */
export function quantizeAddMultipliers(ra: number, rb: number): AddMultipliers {
  for (const r of [ra, rb]) if (!Number.isFinite(r) || r < 0) throw new Error(`QAdd multiplier ${r} must be finite and >= 0`);
  const big = Math.max(ra, rb);
  if (big === 0) return { aMultiplier: 0, bMultiplier: 0, shift: 1 };
  let shift = Math.min(ADD_MAX_SHIFT, 31 - frexp(big)[1]);
  if (shift < 1) throw new Error(`QAdd multiplier ${big} is too large (at most 2^30)`);
  let a = Math.round(ra * 2 ** shift);
  let b = Math.round(rb * 2 ** shift);
  if (Math.max(a, b) >= TWO_31) {
    shift--;
    a = Math.round(ra * 2 ** shift);
    b = Math.round(rb * 2 ** shift);
  }
  return { aMultiplier: a, bMultiplier: b, shift };
}

/** The clamp bounds of a quantized op: act_min / act_max intersected with the output dtype's range. */
export function clampRange(dtype: DType, actMin: number, actMax: number): [number, number] {
  const [lo, hi] = dtypeRange(dtype);
  return [Math.max(lo, actMin), Math.min(hi, actMax)];
}

// ---------------------------------------------------------------------------------------------------------
// Schemas

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

const outputAttrs: Record<string, AttrSpec> = {
  y_zero_point: { type: 'int', default: 0 },
  dtype: { type: 'string', default: 'i8' },
  act_min: { type: 'int', default: I32_MIN },
  act_max: { type: 'int', default: I32_MAX },
};

/** The output dtype of a requantizing op: i8 or u8, and its zero point and clamp must fit it. */
function requantizedType(ctx: InferContext, allowI32: boolean): DType {
  const dtype = ctx.attr<string>('dtype') as DType;
  const allowed: DType[] = allowI32 ? ['i8', 'u8', 'i32'] : ['i8', 'u8'];
  if (!allowed.includes(dtype)) ctx.fail(`${ctx.node.op} dtype must be one of ${allowed.join(', ')}, got '${dtype}'`);
  if (dtype !== 'i32') {
    const [lo, hi] = dtypeRange(dtype);
    const zp = ctx.attr<number>('y_zero_point');
    if (zp < lo || zp > hi) ctx.fail(`${ctx.node.op} y_zero_point ${zp} is out of the ${dtype} range`);
  }
  if (ctx.attr<number>('act_min') > ctx.attr<number>('act_max')) ctx.fail(`${ctx.node.op} act_min must be <= act_max`);
  return dtype;
}

function expectZeroPointFits(ctx: InferContext, attr: string, dtype: DType): void {
  const [lo, hi] = dtypeRange(dtype);
  const zp = ctx.attr<number>(attr);
  if (zp < lo || zp > hi) ctx.fail(`${ctx.node.op} ${attr} ${zp} is out of the ${dtype} range`);
}

/** Checks bias (i32), multiplier and shift (i32, one value or `channels`) of QConv / QMatMul; returns the output dtype. */
function checkChannelParams(ctx: InferContext, channels: Dim): DType {
  const vector = (index: number, what: string, allowScalar: boolean) => {
    const t = ctx.inputs[index];
    if (!t) return;
    if (t.dtype !== 'i32') ctx.fail(`${ctx.node.op} ${what} must be i32, got ${formatType(t)}`);
    const n = t.shape.length === 1 ? t.shape[0]! : undefined;
    const ok = n !== undefined && (n === channels || n === UNKNOWN_DIM || channels === UNKNOWN_DIM || (allowScalar && n === 1));
    if (!ok) ctx.fail(`${ctx.node.op} ${what} must be i32[${String(channels)}]${allowScalar ? ' or i32[1]' : ''}, got ${formatType(t)}`, 'BAD_SHAPE');
  };
  vector(2, 'bias', false);
  vector(3, 'multiplier', true);
  vector(4, 'shift', true);
  const m = ctx.inputs[3];
  const s = ctx.inputs[4];
  if (!m !== !s) ctx.fail(`${ctx.node.op} takes multiplier and shift together`);
  if (m && s && m.shape[0] !== s.shape[0]) ctx.fail(`${ctx.node.op} multiplier ${formatType(m)} and shift ${formatType(s)} differ in length`, 'BAD_SHAPE');
  const dtype = requantizedType(ctx, true);
  if ((dtype === 'i32') !== !m) ctx.fail(`${ctx.node.op} outputs i32 exactly when it has no multiplier and shift (dtype is '${dtype}')`);
  return dtype;
}

registerOp(
  schema({
    name: 'QuantizeF32',
    internal: true,
    doc: 'q = clamp(round_half_even(f32(x / scale)) + zero_point): float into the quantized domain, per tensor',
    inputs: [operand('x')],
    attrs: { scale: { type: 'float', required: true }, zero_point: { type: 'int', default: 0 }, dtype: { type: 'string', default: 'i8' } },
    infer: (ctx) => {
      const x = expectDType(ctx, 0, ['f32']);
      const dtype = ctx.attr<string>('dtype') as DType;
      if (!QUANTIZED_ACTIVATION_TYPES.includes(dtype)) ctx.fail(`QuantizeF32 dtype must be i8 or u8, got '${dtype}'`);
      if (!(ctx.attr<number>('scale') > 0)) ctx.fail(`QuantizeF32 scale must be > 0, got ${ctx.attr<number>('scale')}`);
      expectZeroPointFits(ctx, 'zero_point', dtype);
      return [tensorType(dtype, x.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'DequantizeF32',
    internal: true,
    doc: 'x = f32((q - zero_point) * scale): back to float, per tensor',
    inputs: [operand('q')],
    attrs: { scale: { type: 'float', required: true }, zero_point: { type: 'int', default: 0 } },
    infer: (ctx) => {
      const q = expectDType(ctx, 0, ['i8', 'u8', 'i32']);
      expectZeroPointFits(ctx, 'zero_point', q.dtype);
      return [tensorType('f32', q.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'QRequantize',
    internal: true,
    doc: 'y = clamp(requantize(x - x_zero_point, multiplier, shift) + y_zero_point): new scale, zero point or dtype',
    inputs: [operand('x')],
    attrs: { x_zero_point: { type: 'int', default: 0 }, multiplier: { type: 'int', required: true }, shift: { type: 'int', required: true }, ...outputAttrs },
    infer: (ctx) => {
      const x = expectDType(ctx, 0, QUANTIZED_ACTIVATION_TYPES);
      expectZeroPointFits(ctx, 'x_zero_point', x.dtype);
      checkFixedPoint(ctx, ctx.attr<number>('multiplier'), ctx.attr<number>('shift'), MIN_SHIFT, MAX_SHIFT);
      return [tensorType(requantizedType(ctx, false), x.shape)];
    },
  }),
);

function checkFixedPoint(ctx: InferContext, multiplier: number, shift: number, minShift: number, maxShift: number): void {
  if (multiplier < 0 || multiplier >= TWO_31) ctx.fail(`${ctx.node.op} multiplier ${multiplier} must be in [0, 2^31)`);
  if (shift < minShift || shift > maxShift) ctx.fail(`${ctx.node.op} shift ${shift} must be in [${minShift}, ${maxShift}]`);
}

const CONV_ATTRS: Record<string, AttrSpec> = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  dilations: { type: 'ints', default: [] },
  group: { type: 'int', default: 1 },
  kernel_shape: { type: 'ints', default: [] },
  pads: { type: 'ints', default: [] },
  strides: { type: 'ints', default: [] },
};

registerOp(
  schema({
    name: 'QConv',
    internal: true,
    doc: 'int8 convolution: int32 sum of (x - x_zp) * (w - w_zp) + bias, requantized per output channel (or i32 out)',
    inputs: [operand('x'), operand('w'), optional('bias'), optional('multiplier'), optional('shift')],
    attrs: { ...CONV_ATTRS, x_zero_point: { type: 'int', default: 0 }, w_zero_point: { type: 'int', default: 0 }, ...outputAttrs },
    infer: (ctx) => {
      const x = expectDType(ctx, 0, QUANTIZED_ACTIVATION_TYPES);
      const w = expectDType(ctx, 1, QUANTIZED_ACTIVATION_TYPES);
      expectZeroPointFits(ctx, 'x_zero_point', x.dtype);
      expectZeroPointFits(ctx, 'w_zero_point', w.dtype);
      const g = convGeometry(x.shape, w.shape, convAttrsOf(ctx.attr));
      if (typeof g === 'string') ctx.fail(`QConv: ${g}`, 'BAD_SHAPE');
      const dtype = checkChannelParams(ctx, w.shape[0] ?? UNKNOWN_DIM);
      return [tensorType(dtype, (g as ConvGeometry).outShape)];
    },
  }),
);

registerOp(
  schema({
    name: 'QMatMul',
    internal: true,
    doc: 'int8 numpy matmul: int32 sum of (a - a_zp) * (b - b_zp) + bias, requantized per column (or i32 out)',
    inputs: [operand('a'), operand('b'), optional('bias'), optional('multiplier'), optional('shift')],
    attrs: { a_zero_point: { type: 'int', default: 0 }, b_zero_point: { type: 'int', default: 0 }, ...outputAttrs },
    infer: (ctx) => {
      const a = expectDType(ctx, 0, QUANTIZED_ACTIVATION_TYPES);
      const b = expectDType(ctx, 1, QUANTIZED_ACTIVATION_TYPES);
      expectZeroPointFits(ctx, 'a_zero_point', a.dtype);
      expectZeroPointFits(ctx, 'b_zero_point', b.dtype);
      const shape = matmulShape(a.shape, b.shape, (m) => ctx.fail(`QMatMul: ${m}`, 'BAD_SHAPE'));
      const columns = b.shape.length >= 2 ? b.shape[b.shape.length - 1]! : 1;
      const dtype = checkChannelParams(ctx, columns);
      return [tensorType(dtype, shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'QAdd',
    internal: true,
    doc: 'int8 addition with broadcasting: both operands rescaled to the output scale with one shared shift',
    inputs: [operand('a'), operand('b')],
    attrs: {
      a_zero_point: { type: 'int', default: 0 },
      b_zero_point: { type: 'int', default: 0 },
      a_multiplier: { type: 'int', required: true },
      b_multiplier: { type: 'int', required: true },
      shift: { type: 'int', required: true },
      ...outputAttrs,
    },
    infer: (ctx) => {
      const a = expectDType(ctx, 0, QUANTIZED_ACTIVATION_TYPES);
      const b = expectDType(ctx, 1, QUANTIZED_ACTIVATION_TYPES);
      expectZeroPointFits(ctx, 'a_zero_point', a.dtype);
      expectZeroPointFits(ctx, 'b_zero_point', b.dtype);
      checkFixedPoint(ctx, ctx.attr<number>('a_multiplier'), ctx.attr<number>('shift'), 1, ADD_MAX_SHIFT);
      checkFixedPoint(ctx, ctx.attr<number>('b_multiplier'), ctx.attr<number>('shift'), 1, ADD_MAX_SHIFT);
      return [tensorType(requantizedType(ctx, false), broadcastOperands(ctx))];
    },
  }),
);

registerOp(
  schema({
    name: 'QGlobalAveragePool',
    internal: true,
    doc: 'int8 mean over the spatial axes: requantize(sum of (x - x_zp)) with M * 2^-S = sx / (sy * count)',
    inputs: [operand('x')],
    attrs: { x_zero_point: { type: 'int', default: 0 }, multiplier: { type: 'int', required: true }, shift: { type: 'int', required: true }, ...outputAttrs },
    infer: (ctx) => {
      const x: TensorType = expectDType(ctx, 0, QUANTIZED_ACTIVATION_TYPES);
      if (x.shape.length < 3) ctx.fail(`QGlobalAveragePool input must be [N, C, spatial...], got ${formatType(x)}`, 'BAD_SHAPE');
      expectZeroPointFits(ctx, 'x_zero_point', x.dtype);
      checkFixedPoint(ctx, ctx.attr<number>('multiplier'), ctx.attr<number>('shift'), MIN_SHIFT, MAX_SHIFT);
      const shape = x.shape.map((d, i) => (i < 2 ? d : 1));
      return [tensorType(requantizedType(ctx, false), shape)];
    },
  }),
);
