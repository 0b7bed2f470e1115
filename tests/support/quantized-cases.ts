import { GraphBuilder, makeTensor, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { int8Tensor, seededNumbers } from './seeded-random.js';

/**
 * Quantized-IR test graphs shared by the targets' bit-exactness tests (wasm, webgpu): each comes with feeds
 * from a seeded generator, so every target sees the same integers.
 */

export { seededNumbers };
export type Numbers = ReturnType<typeof seededNumbers>;
export const randomInts = (r: Numbers, d: DType, shape: number[]): Tensor => int8Tensor(r, d, shape);

/** QAdd of two broadcast operands with zero points near the dtype's middle and a clamp at the zero point. */
export function qAddCase(r: Numbers, aShape: number[], bShape: number[], dtype: DType): { build: () => Graph; feeds: Record<string, Tensor> } {
  const zp = dtype === 'u8' ? 128 : 0;
  const build = () => {
    const g = new GraphBuilder('g');
    const a = g.input('a', { dtype, shape: aShape });
    const b = g.input('b', { dtype, shape: bShape });
    const attrs = { a_zero_point: zp + 1, b_zero_point: zp - 2, a_multiplier: 1234567890, b_multiplier: 987654321, shift: 31, y_zero_point: zp + 5, dtype, act_min: zp };
    g.output(g.op('QAdd', [a, b], attrs, 'y'));
    return g.build();
  };
  return { build, feeds: { a: randomInts(r, dtype, aShape), b: randomInts(r, dtype, bShape) } };
}

/** QGlobalAveragePool of one u8 input to a u8 and an i8 output. */
export function qGlobalAveragePoolCase(r: Numbers): { build: () => Graph; feeds: Record<string, Tensor> } {
  const build = () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', { dtype: 'u8', shape: [2, 6, 7, 7] });
    const y = g.op('QGlobalAveragePool', [x], { x_zero_point: 120, multiplier: 1402438301, shift: 36, y_zero_point: 128, dtype: 'u8' }, 'y');
    const z = g.op('QGlobalAveragePool', [x], { x_zero_point: 3, multiplier: 1402438301, shift: 37, dtype: 'i8' }, 'z');
    g.output(y, z);
    return g.build();
  };
  return { build, feeds: { x: randomInts(r, 'u8', [2, 6, 7, 7]) } };
}

/** QuantizeF32 -> QRequantize -> DequantizeF32 on values with a near-tie, NaN, infinity and saturation. */
export function quantizeChainCase(r: Numbers, scales: { quantize: number; dequantize: number }): { build: () => Graph; feeds: Record<string, Tensor> } {
  const xs = r.floats(60, -20, 20);
  xs[0] = 0.25; // 2.5 * 0.1 in f32 arithmetic: a near-tie
  xs[1] = NaN;
  xs[2] = Infinity;
  xs[3] = -1e9;
  const build = () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [3, 20] });
    const q = b.op('QuantizeF32', [x], { scale: scales.quantize, zero_point: 128, dtype: 'u8' }, 'q');
    const rq = b.op('QRequantize', [q], { x_zero_point: 128, multiplier: 1518500250, shift: 32, y_zero_point: -3, dtype: 'i8' }, 'r');
    const d = b.op('DequantizeF32', [rq], { scale: scales.dequantize, zero_point: -3 }, 'd');
    b.output(q, rq, d);
    return b.build();
  };
  return { build, feeds: { x: makeTensor('f32', [3, 20], xs) } };
}
