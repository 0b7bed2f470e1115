import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { GraphBuilder, makeTensor, type Attributes, type DType, type Graph, type Tensor, type Value } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByRvv } from '../../targets/rvv/compile.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { int8Tensor, seededNumbers } from '../support/quant-random.js';
import { modelPath } from '../support/shared.js';
import { buildForRvv, runBuild, rvvToolsReady } from './harness.js';

const R = seededNumbers(11);
const ints = (d: DType, shape: number[]) => int8Tensor(R, d, shape);

/** Every output of the graph equal, element for element, on rvv at each VLEN and on the reference. */
function expectExactOnRvv(build: () => Graph, feeds: Record<string, Tensor>): void {
  expect(unsupportedByRvv(build()).map((p) => `${p.node.label}: ${p.reason}`)).toEqual([]);
  const reference = build();
  const expected = runGraph(reference, feeds);
  const rvv = buildForRvv(build());
  for (const vlen of VLENS) {
    const { outputs } = runBuild(rvv, feeds, vlen);
    for (const [name, e] of Object.entries(expected)) {
      expect(outputs[name]!.dtype).toBe(e.dtype);
      expect(Array.from(outputs[name]!.data as ArrayLike<number>), `${name} at VLEN ${vlen}`).toEqual(Array.from(e.data as ArrayLike<number>));
    }
  }
}

interface ConvCase {
  x: [DType, number[]];
  w: [DType, number[]];
  attrs: Attributes;
  bias: boolean;
  requant: 'channel' | 'tensor' | 'none';
}

const CONV_CASES: ConvCase[] = [
  { x: ['u8', [1, 5, 9, 9]], w: ['i8', [7, 5, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 131, y_zero_point: 3, dtype: 'u8', act_min: 3 }, bias: true, requant: 'channel' },
  { x: ['i8', [2, 4, 11, 10]], w: ['i8', [6, 2, 3, 2]], attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [2, 1, 1, 0], x_zero_point: -5, w_zero_point: 2, y_zero_point: -7 }, bias: true, requant: 'tensor' },
  { x: ['u8', [1, 9, 8, 8]], w: ['i8', [9, 1, 3, 3]], attrs: { group: 9, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 128 }, bias: true, requant: 'channel' },
  { x: ['u8', [1, 19, 5, 6]], w: ['u8', [13, 19, 1, 1]], attrs: { x_zero_point: 7, w_zero_point: 120, dtype: 'i8' }, bias: false, requant: 'channel' },
  { x: ['u8', [2, 3, 17]], w: ['i8', [5, 3, 4]], attrs: { pads: [2, 1], x_zero_point: 100, dtype: 'i32' }, bias: false, requant: 'none' },
  { x: ['i8', [2, 3, 7, 9]], w: ['i8', [6, 1, 3, 3]], attrs: { group: 3, pads: [1, 0, 1, 2], dilations: [1, 2], x_zero_point: -3, w_zero_point: 1, dtype: 'i32' }, bias: true, requant: 'none' },
];

/** All conv cases, a QMatMul per requantization form, and the elementwise ops, as one graph. */
function quantizedCases(): { build: () => Graph; feeds: Record<string, Tensor> } {
  const feeds: Record<string, Tensor> = {};
  const parts: ((b: GraphBuilder) => Value[])[] = [];
  CONV_CASES.forEach((c, i) => {
    const M = c.w[1][0]!;
    const n = c.requant === 'channel' ? M : 1;
    const mults = R.ints(n, 2 ** 30, 2 ** 31 - 1);
    const shifts = R.ints(n, 36, 44);
    if (n > 2) (shifts[0] = 16), (shifts[1] = 62);
    const w = ints(c.w[0], c.w[1]);
    const bias = makeTensor('i32', [M], R.ints(M, -20000, 20000));
    feeds[`x${i}`] = ints(c.x[0], c.x[1]);
    parts.push((b) => [
      b.op('QConv', [
        b.input(`x${i}`, { dtype: c.x[0], shape: c.x[1] }),
        b.constant(`w${i}`, w),
        c.bias ? b.constant(`b${i}`, bias) : null,
        c.requant === 'none' ? null : b.constant(`m${i}`, makeTensor('i32', [n], mults)),
        c.requant === 'none' ? null : b.constant(`s${i}`, makeTensor('i32', [n], shifts)),
      ], c.attrs, `conv${i}`),
    ]);
  });
  const matmuls: [DType, number[], DType, number[], Attributes, 'channel' | 'tensor' | 'none'][] = [
    ['u8', [2, 3, 20], 'i8', [20, 11], { a_zero_point: 127, dtype: 'u8', y_zero_point: 120 }, 'channel'],
    ['i8', [13], 'i8', [13, 5], { a_zero_point: 3, b_zero_point: -2, act_min: -10, act_max: 50 }, 'tensor'],
    ['u8', [4, 33], 'u8', [33, 9], { a_zero_point: 10, b_zero_point: 200, dtype: 'i32' }, 'none'],
  ];
  matmuls.forEach(([ad, as, bd, bs, attrs, requant], i) => {
    const N = bs[1]!;
    const n = requant === 'channel' ? N : 1;
    const [bt, bias, m, s] = [ints(bd, bs), makeTensor('i32', [N], R.ints(N, -5000, 5000)), makeTensor('i32', [n], R.ints(n, 2 ** 30, 2 ** 31 - 1)), makeTensor('i32', [n], R.ints(n, 36, 42))];
    feeds[`a${i}`] = ints(ad, as);
    parts.push((b) => [
      b.op('QMatMul', [b.input(`a${i}`, { dtype: ad, shape: as }), b.constant(`mb${i}`, bt), requant === 'none' ? null : b.constant(`mbias${i}`, bias), requant === 'none' ? null : b.constant(`mm${i}`, m), requant === 'none' ? null : b.constant(`ms${i}`, s)], attrs, `matmul${i}`),
    ]);
  });
  const xs = R.floats(60, -20, 20);
  [xs[0], xs[1], xs[2], xs[3]] = [0.25, NaN, Infinity, -1e9];
  feeds.f = makeTensor('f32', [3, 20], xs);
  feeds.qa = ints('u8', [2, 3, 4, 5]);
  feeds.qb = ints('u8', [3, 1, 5]);
  feeds.pool = ints('u8', [2, 6, 7, 7]);
  feeds.ipool = ints('i8', [1, 3, 9, 9]);
  parts.push((b) => {
    const q = b.op('QuantizeF32', [b.input('f', { dtype: 'f32', shape: [3, 20] })], { scale: 0.1, zero_point: 128, dtype: 'u8' }, 'q');
    const r = b.op('QRequantize', [q], { x_zero_point: 128, multiplier: 1518500250, shift: 32, y_zero_point: -3, dtype: 'i8' }, 'r');
    const d = b.op('DequantizeF32', [r], { scale: 0.0371, zero_point: -3 }, 'd');
    const add = b.op('QAdd', [b.input('qa', { dtype: 'u8', shape: [2, 3, 4, 5] }), b.input('qb', { dtype: 'u8', shape: [3, 1, 5] })], { a_zero_point: 129, b_zero_point: 126, a_multiplier: 1234567890, b_multiplier: 987654321, shift: 31, y_zero_point: 133, dtype: 'u8', act_min: 128 }, 'add');
    const pool = b.input('pool', { dtype: 'u8', shape: [2, 6, 7, 7] });
    const gap = b.op('QGlobalAveragePool', [pool], { x_zero_point: 120, multiplier: 1402438301, shift: 36, y_zero_point: 128, dtype: 'u8' }, 'gap');
    const gapI8 = b.op('QGlobalAveragePool', [pool], { x_zero_point: 3, multiplier: 1402438301, shift: 37, dtype: 'i8' }, 'gap_i8');
    const maxU8 = b.op('MaxPool', [pool], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'max_u8');
    const maxI8 = b.op('MaxPool', [b.input('ipool', { dtype: 'i8', shape: [1, 3, 9, 9] })], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 'max_i8');
    return [q, r, d, add, gap, gapI8, maxU8, maxI8];
  });
  const build = () => {
    const b = new GraphBuilder('quantized');
    for (const part of parts) b.output(...part(b));
    return b.build();
  };
  return { build, feeds };
}

describe.runIf(rvvToolsReady())('rvv int8 kernels (bit-exact with the reference)', () => {
  it(`QConv (groups, depthwise with and without a channel multiplier, 1x1, 1-D, i32 out), QMatMul, QuantizeF32 / QRequantize / DequantizeF32, QAdd, QGlobalAveragePool, u8/i8 MaxPool at VLEN ${VLENS.join(', ')}`, () => {
    const { build, feeds } = quantizedCases();
    expectExactOnRvv(build, feeds);
  }, 120_000);

  it('the int8 squeezenet1_1 from edgec quantize gives the reference output bit for bit', () => {
    const graph = importOnnxFile(modelPath('squeezenet1_1'));
    const q = quantizeModel(graph, { calibration: syntheticInputs(graph, 1), method: 'minmax' });
    const ops = new Set(q.int8.nodes.map((n) => n.op));
    for (const op of ['QuantizeF32', 'QConv', 'MaxPool', 'QGlobalAveragePool', 'DequantizeF32']) expect(ops.has(op), op).toBe(true);
    const feeds = syntheticInputs(graph, 1, 12345)[0]!;
    const expected = runGraph(q.int8, feeds);
    const rvv = buildForRvv(q.int8);
    for (const vlen of VLENS) {
      const { outputs } = runBuild(rvv, feeds, vlen);
      for (const [name, e] of Object.entries(expected)) {
        const values = Array.from(e.data as ArrayLike<number>);
        expect(new Set(values).size, 'a non-degenerate output').toBeGreaterThan(100);
        expect(Array.from(outputs[name]!.data as ArrayLike<number>), `${name} at VLEN ${vlen}`).toEqual(values);
      }
    }
  }, 300_000);
});
