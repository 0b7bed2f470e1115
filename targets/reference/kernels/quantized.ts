import { allocArray, numel, type DType, type Tensor, type TypedArray } from '../../../ir/index.js';
import {
  clampRange,
  MAX_SHIFT,
  MIN_SHIFT,
  requantize,
  requantizeAdd,
  roundHalfToEven,
} from '../../../ir/ops/quantized.js';
import { registerKernels, type KernelContext } from './registry.js';
import { convKernel } from './nn/conv.js';
import { integerMatmul, matmulLayoutOrThrow } from './onnx-quantization/matmul.js';
import { toInt32 } from './onnx-quantization/numeric.js';
import { broadcastIndexers } from './util.js';

/**
 * Reference kernels of edgec's quantized IR (ir/ops/quantized.ts states the arithmetic). Everything after the
 * float boundary ops is integer arithmetic, exactly as every target must compute it.
 */

type IntArray = Exclude<TypedArray, BigInt64Array | BigUint64Array | Float32Array | Float64Array>;

/**
 * x - zero point for the float convolution loops. The values (|v| < 2^9) are exact in a Float32Array, which
 * halves the memory traffic; the tensor is labelled f64 so that the loops' float64 sums come back unrounded.
 */
function shiftedForFloatLoops(t: Tensor, zeroPoint: number): Tensor {
  const src = t.data as IntArray;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! - zeroPoint;
  return { dtype: 'f64', shape: t.shape, data: out };
}

/** x - zero point as int32 values. */
function shifted(t: Tensor, zeroPoint: number): Int32Array {
  const src = t.data as IntArray;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! - zeroPoint;
  return out;
}

interface OutputSpec {
  dtype: DType;
  zeroPoint: number;
  lo: number;
  hi: number;
}

function outputSpec(ctx: KernelContext): OutputSpec {
  const dtype = ctx.attr<string>('dtype') as DType;
  const [lo, hi] = clampRange(dtype, ctx.attr<number>('act_min'), ctx.attr<number>('act_max'));
  return { dtype, zeroPoint: ctx.attr<number>('y_zero_point'), lo, hi };
}

function checkShift(ctx: KernelContext, multiplier: number, shift: number): void {
  if (!(multiplier >= 0 && multiplier < 2 ** 31) || !(shift >= MIN_SHIFT && shift <= MAX_SHIFT)) {
    ctx.fail(`multiplier ${multiplier} / shift ${shift} out of range (M in [0, 2^31), S in [${MIN_SHIFT}, ${MAX_SHIFT}])`);
  }
}

/**
 * Requantizes int32 accumulators laid out [outer, channels, inner] with per-channel (or single) multiplier and
 * shift; returns the i8/u8 result.
 */
function requantizeChannels(
  acc: Int32Array,
  shape: number[],
  channels: number,
  inner: number,
  multiplier: Tensor,
  shift: Tensor,
  out: OutputSpec,
  ctx: KernelContext,
): Tensor {
  const ms = toInt32(multiplier);
  const ss = toInt32(shift);
  for (let i = 0; i < ms.length; i++) checkShift(ctx, ms[i]!, ss[i]!);
  const data = allocArray(out.dtype, acc.length) as IntArray;
  const outer = acc.length / Math.max(1, channels * inner);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const m = ms[ms.length > 1 ? c : 0]!;
      const s = ss[ss.length > 1 ? c : 0]!;
      for (let j = 0; j < inner; j++, i++) {
        const q = requantize(acc[i]!, m, s) + out.zeroPoint;
        data[i] = q < out.lo ? out.lo : q > out.hi ? out.hi : q;
      }
    }
  }
  return { dtype: out.dtype, shape, data };
}

function quantizeF32([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const scale = ctx.attr<number>('scale');
  const zp = ctx.attr<number>('zero_point');
  const dtype = ctx.attr<string>('dtype') as DType;
  const [lo, hi] = clampRange(dtype, -Infinity, Infinity);
  const src = x!.data as Float32Array;
  const data = allocArray(dtype, src.length) as IntArray;
  for (let i = 0; i < src.length; i++) {
    const v = Math.fround(src[i]! / scale);
    // NaN has no integer meaning: it becomes the quantized zero.
    const q = Number.isNaN(v) ? zp : roundHalfToEven(v) + zp;
    data[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return [{ dtype, shape: [...x!.shape], data }];
}

function dequantizeF32([q]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const scale = ctx.attr<number>('scale');
  const zp = ctx.attr<number>('zero_point');
  const src = q!.data as IntArray;
  const data = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = (src[i]! - zp) * scale;
  return [{ dtype: 'f32', shape: [...q!.shape], data }];
}

function qRequantize([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const out = outputSpec(ctx);
  const m = ctx.attr<number>('multiplier');
  const s = ctx.attr<number>('shift');
  checkShift(ctx, m, s);
  const xs = shifted(x!, ctx.attr<number>('x_zero_point'));
  const data = allocArray(out.dtype, xs.length) as IntArray;
  for (let i = 0; i < xs.length; i++) {
    const q = requantize(xs[i]!, m, s) + out.zeroPoint;
    data[i] = q < out.lo ? out.lo : q > out.hi ? out.hi : q;
  }
  return [{ dtype: out.dtype, shape: [...x!.shape], data }];
}

/**
 * The convolution runs on the float reference loops over zero-point-shifted values, summed in float64: every
 * product (< 2^16) and partial sum (< 2^53) is an exact integer, so the sum is the exact integer sum in any
 * order; `| 0` then wraps it to int32 as an int32 accumulator would.
 */
function qConv([x, w, bias, multiplier, shift]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const [sum] = convKernel([shiftedForFloatLoops(x!, ctx.attr<number>('x_zero_point')), shiftedForFloatLoops(w!, ctx.attr<number>('w_zero_point')), null], ctx);
  const shape = [...sum!.shape];
  const src = sum!.data as Float64Array;
  const acc = new Int32Array(src.length);
  const channels = shape[1]!;
  const inner = numel(shape.slice(2));
  const bs = bias ? toInt32(bias) : undefined;
  for (let i = 0; i < src.length; i++) acc[i] = bs ? (src[i]! + bs[Math.floor(i / inner) % channels]!) | 0 : src[i]! | 0;
  if (!multiplier || !shift) return [{ dtype: 'i32', shape, data: acc }];
  return [requantizeChannels(acc, shape, channels, inner, multiplier, shift, outputSpec(ctx), ctx)];
}

function qMatMul([a, b, bias, multiplier, shift]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const layout = matmulLayoutOrThrow(a!.shape, b!.shape);
  const acc = integerMatmul(shifted(a!, ctx.attr<number>('a_zero_point')), shifted(b!, ctx.attr<number>('b_zero_point')), layout);
  if (bias) {
    const bs = toInt32(bias);
    for (let i = 0; i < acc.length; i++) acc[i] += bs[i % layout.n]!;
  }
  if (!multiplier || !shift) return [{ dtype: 'i32', shape: layout.outShape, data: acc }];
  return [requantizeChannels(acc, layout.outShape, layout.n, 1, multiplier, shift, outputSpec(ctx), ctx)];
}

function qAdd([a, b]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const out = outputSpec(ctx);
  const as = shifted(a!, ctx.attr<number>('a_zero_point'));
  const bs = shifted(b!, ctx.attr<number>('b_zero_point'));
  const ma = ctx.attr<number>('a_multiplier');
  const mb = ctx.attr<number>('b_multiplier');
  const s = ctx.attr<number>('shift');
  const { shape, index } = broadcastIndexers([a!.shape, b!.shape]);
  const [ia, ib] = [index[0]!, index[1]!];
  const data = allocArray(out.dtype, numel(shape)) as IntArray;
  for (let i = 0; i < data.length; i++) {
    const q = requantizeAdd(as[ia[i]!]!, ma, bs[ib[i]!]!, mb, s) + out.zeroPoint;
    data[i] = q < out.lo ? out.lo : q > out.hi ? out.hi : q;
  }
  return [{ dtype: out.dtype, shape, data }];
}

function qGlobalAveragePool([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const out = outputSpec(ctx);
  const m = ctx.attr<number>('multiplier');
  const s = ctx.attr<number>('shift');
  checkShift(ctx, m, s);
  const zp = ctx.attr<number>('x_zero_point');
  const src = x!.data as IntArray;
  const planes = x!.shape[0]! * x!.shape[1]!;
  const size = numel(x!.shape.slice(2));
  const data = allocArray(out.dtype, planes) as IntArray;
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = p * size; i < (p + 1) * size; i++) sum += src[i]! - zp;
    const q = requantize(sum | 0, m, s) + out.zeroPoint;
    data[p] = q < out.lo ? out.lo : q > out.hi ? out.hi : q;
  }
  return [{ dtype: out.dtype, shape: x!.shape.map((d, i) => (i < 2 ? d : 1)), data }];
}

registerKernels({
  QuantizeF32: quantizeF32,
  DequantizeF32: dequantizeF32,
  QRequantize: qRequantize,
  QConv: qConv,
  QMatMul: qMatMul,
  QAdd: qAdd,
  QGlobalAveragePool: qGlobalAveragePool,
});
