import { allocArray, type DType, type Tensor, type TypedArray } from '../../../ir/index.js';
import { registerKernels, type KernelContext } from './registry.js';
import { convGeometryOf, integerConv, shiftedInput, shiftedWeight } from './onnx-quantization/conv.js';
import { dequantizeLinear, dynamicQuantizeLinear, quantizeLinear } from './onnx-quantization/linear.js';
import { integerMatmul, matmulLayoutOrThrow, matmulParamIndex, shiftedOperand } from './onnx-quantization/matmul.js';
import { quantRange, roundFloat, saturateRound, toFloat64, toInt32 } from './onnx-quantization/numeric.js';

/**
 * Reference kernels of the quantization family. Integer products are accumulated exactly in int32; QLinear ops
 * requantize as ONNX Runtime does: multiplier = x_scale * w_scale / y_scale in float32, y = saturate(
 * round_half_even(float32(acc) * multiplier) + y_zero_point).
 */

type NumberArray = Exclude<TypedArray, BigInt64Array | BigUint64Array>;

/** Requantizes one accumulator with a precomputed multiplier. */
function requantize(acc: number, multiplier: number, zeroPoint: number, lo: number, hi: number): number {
  return saturateRound(Math.fround(Math.fround(acc) * multiplier), zeroPoint, lo, hi);
}

/** x_scale * w_scale / y_scale, each operation rounded to the scale dtype as ORT's float kernels do. */
function multiplier(scaleType: DType, inScale: number, weightScale: number, outScale: number): number {
  return roundFloat(scaleType, roundFloat(scaleType, inScale * weightScale) / outScale);
}

function qlinearConv(inputs: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const [x, xScale, xZeroPoint, w, wScale, wZeroPoint, yScale, yZeroPoint, bias] = inputs;
  const g = convGeometryOf(ctx, x!, w!);
  const { acc, shape } = integerConv(
    shiftedInput(x!, xZeroPoint!),
    x!.shape,
    shiftedWeight(w!, wZeroPoint!),
    w!.shape,
    g,
    ctx.attr<number>('group'),
    bias ? toInt32(bias) : undefined,
  );
  const out = yZeroPoint!.dtype;
  const [lo, hi] = quantRange(out);
  const zp = toInt32(yZeroPoint!)[0]!;
  const ws = toFloat64(wScale!);
  const xs = Number(xScale!.data[0]);
  const ys = Number(yScale!.data[0]);
  const channels = shape[1]!;
  const multipliers = Array.from({ length: channels }, (_, m) => multiplier(xScale!.dtype, xs, ws[ws.length > 1 ? m : 0]!, ys));
  const perChannel = acc.length / Math.max(1, shape[0]! * channels);
  const data = allocArray(out, acc.length) as NumberArray;
  for (let i = 0; i < acc.length; i++) {
    const m = Math.floor(i / perChannel) % channels;
    data[i] = requantize(acc[i]!, multipliers[m]!, zp, lo, hi);
  }
  return [{ dtype: out, shape, data }];
}

function convInteger([x, w, xZeroPoint, wZeroPoint]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const g = convGeometryOf(ctx, x!, w!);
  const { acc, shape } = integerConv(shiftedInput(x!, xZeroPoint ?? null), x!.shape, shiftedWeight(w!, wZeroPoint ?? null), w!.shape, g, ctx.attr<number>('group'));
  return [{ dtype: 'i32', shape, data: acc }];
}

function qlinearMatmul(inputs: readonly (Tensor | null)[]): Tensor[] {
  const [a, aScale, aZeroPoint, b, bScale, bZeroPoint, yScale, yZeroPoint] = inputs;
  const layout = matmulLayoutOrThrow(a!.shape, b!.shape);
  const acc = integerMatmul(shiftedOperand(a!, aZeroPoint!, layout, 'row'), shiftedOperand(b!, bZeroPoint!, layout, 'column'), layout);
  const aScales = toFloat64(aScale!);
  const bScales = toFloat64(bScale!);
  const aIndex = matmulParamIndex(aScale!, layout.a, layout, 'row');
  const bIndex = matmulParamIndex(bScale!, layout.b, layout, 'column');
  const ys = Number(yScale!.data[0]);
  const out = yZeroPoint!.dtype;
  const [lo, hi] = quantRange(out);
  const zp = toInt32(yZeroPoint!)[0]!;
  const { m, n } = layout;
  const data = allocArray(out, acc.length) as NumberArray;
  for (let bi = 0; bi < acc.length / Math.max(1, m * n); bi++) {
    for (let i = 0; i < m; i++) {
      const as = aScales[aIndex[bi * m + i]!]!;
      for (let j = 0; j < n; j++) {
        const mult = multiplier(aScale!.dtype, as, bScales[bIndex[bi * n + j]!]!, ys);
        const at = (bi * m + i) * n + j;
        data[at] = requantize(acc[at]!, mult, zp, lo, hi);
      }
    }
  }
  return [{ dtype: out, shape: layout.outShape, data }];
}

function matmulInteger([a, b, aZeroPoint, bZeroPoint]: readonly (Tensor | null)[]): Tensor[] {
  const layout = matmulLayoutOrThrow(a!.shape, b!.shape);
  const acc = integerMatmul(shiftedOperand(a!, aZeroPoint ?? null, layout, 'row'), shiftedOperand(b!, bZeroPoint ?? null, layout, 'column'), layout);
  return [{ dtype: 'i32', shape: layout.outShape, data: acc }];
}

registerKernels({
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
  QLinearConv: qlinearConv,
  ConvInteger: convInteger,
  QLinearMatMul: qlinearMatmul,
  MatMulInteger: matmulInteger,
});
