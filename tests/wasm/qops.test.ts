import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { GraphBuilder, makeTensor, Node, tensorType, Value, verifyGraph, type Attributes, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { modelPath } from '../support/shared.js';
import { floatMaxPools, qAddCase, qGlobalAveragePoolCase, quantizeChainCase, randomInts, seededNumbers } from '../support/quantized-cases.js';
import { runOnWasm } from './harness.js';

const R = seededNumbers(11);
const ints = (d: DType, shape: number[]) => randomInts(R, d, shape);

/** Runs the graph on the reference and on wasm with the same feeds and requires identical outputs (tolerance 0). */
async function expectExact(build: () => Graph, feeds: Record<string, Tensor>): Promise<void> {
  expect(unsupportedByWasm(build()).map((p) => p.reason)).toEqual([]);
  const expected = runGraph(build(), feeds);
  const { outputs } = await runOnWasm(build(), feeds);
  for (const [name, e] of Object.entries(expected)) {
    expect(outputs[name]!.dtype).toBe(e.dtype);
    expect(outputs[name]!.shape).toEqual(e.shape);
    expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(Array.from(e.data as ArrayLike<number>));
  }
}

interface ConvCase {
  name: string;
  x: [DType, number[]];
  w: [DType, number[]];
  attrs: Attributes;
  bias: boolean;
  /** per-channel, per-tensor or no multiplier (i32 output). */
  requant: 'channel' | 'tensor' | 'none';
}

const convCases: ConvCase[] = [
  { name: 'u8 x i8 3x3 pad 1, bias, per-channel, relu clamp', x: ['u8', [1, 5, 9, 9]], w: ['i8', [7, 5, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 131, y_zero_point: 3, dtype: 'u8', act_min: 3 }, bias: true, requant: 'channel' },
  { name: 'i8 grouped, stride 2, dilation 2, per-tensor, i8 out', x: ['i8', [2, 4, 11, 10]], w: ['i8', [6, 2, 3, 2]], attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [2, 1, 1, 0], x_zero_point: -5, w_zero_point: 2, y_zero_point: -7 }, bias: true, requant: 'tensor' },
  { name: 'depthwise u8 3x3 stride 2', x: ['u8', [1, 9, 8, 8]], w: ['i8', [9, 1, 3, 3]], attrs: { group: 9, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 128 }, bias: true, requant: 'channel' },
  { name: '1x1 u8 x u8 weights', x: ['u8', [1, 19, 5, 6]], w: ['u8', [13, 19, 1, 1]], attrs: { x_zero_point: 7, w_zero_point: 120, dtype: 'i8' }, bias: false, requant: 'channel' },
  { name: '1-D, i32 accumulator out (ConvInteger form)', x: ['u8', [2, 3, 17]], w: ['i8', [5, 3, 4]], attrs: { pads: [2, 1], x_zero_point: 100, dtype: 'i32' }, bias: false, requant: 'none' },
  { name: '3-D with bias, per-channel', x: ['i8', [1, 2, 4, 5, 5]], w: ['i8', [3, 2, 2, 3, 3]], attrs: { pads: [0, 1, 1, 1, 1, 1] }, bias: true, requant: 'channel' },
];

describe('wasm QConv (bit-exact with the reference)', () => {
  for (const c of convCases) {
    it(c.name, async () => {
      const M = c.w[1][0]!;
      const n = c.requant === 'channel' ? M : 1;
      // Multipliers in [2^30, 2^31) with shifts that land most outputs in range, plus extreme shifts (16, 62).
      const mults = R.ints(n, 2 ** 30, 2 ** 31 - 1);
      const shifts = R.ints(n, 36, 44);
      if (n > 2) (shifts[0] = 16), (shifts[1] = 62);
      const wTensor = ints(c.w[0], c.w[1]);
      const biasTensor = makeTensor('i32', [M], R.ints(M, -20000, 20000));
      const build = () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: c.x[0], shape: c.x[1] });
        const w = b.constant('w', wTensor);
        const bias = c.bias ? b.constant('bias', biasTensor) : null;
        const ms = c.requant === 'none' ? null : b.constant('m', makeTensor('i32', [n], mults));
        const ss = c.requant === 'none' ? null : b.constant('s', makeTensor('i32', [n], shifts));
        b.output(b.op('QConv', [x, w, bias, ms, ss], c.attrs, 'y'));
        return b.build();
      };
      await expectExact(build, { x: ints(c.x[0], c.x[1]) });
    });
  }
});

describe('wasm QMatMul (bit-exact with the reference)', () => {
  const cases: { name: string; a: [DType, number[]]; b: [DType, number[]]; attrs: Attributes; bias: boolean; requant: 'channel' | 'tensor' | 'none' }[] = [
    { name: 'batched u8 a x i8 b, bias, per-column', a: ['u8', [2, 3, 20]], b: ['i8', [20, 11]], attrs: { a_zero_point: 127, dtype: 'u8', y_zero_point: 120 }, bias: true, requant: 'channel' },
    { name: '1-D a, per-tensor, i8 out with clamp', a: ['i8', [13]], b: ['i8', [13, 5]], attrs: { a_zero_point: 3, b_zero_point: -2, act_min: -10, act_max: 50 }, bias: true, requant: 'tensor' },
    { name: 'i32 accumulator out (MatMulInteger form)', a: ['u8', [4, 33]], b: ['u8', [33, 9]], attrs: { a_zero_point: 10, b_zero_point: 200, dtype: 'i32' }, bias: false, requant: 'none' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const N = c.b[1][1]!;
      const n = c.requant === 'channel' ? N : 1;
      const mults = R.ints(n, 2 ** 30, 2 ** 31 - 1);
      const shifts = R.ints(n, 36, 42);
      const bTensor = ints(c.b[0], c.b[1]);
      const biasTensor = makeTensor('i32', [N], R.ints(N, -5000, 5000));
      const build = () => {
        const g = new GraphBuilder('g');
        const a = g.input('a', { dtype: c.a[0], shape: c.a[1] });
        const b = g.constant('b', bTensor);
        const bias = c.bias ? g.constant('bias', biasTensor) : null;
        const ms = c.requant === 'none' ? null : g.constant('m', makeTensor('i32', [n], mults));
        const ss = c.requant === 'none' ? null : g.constant('s', makeTensor('i32', [n], shifts));
        g.output(g.op('QMatMul', [a, b, bias, ms, ss], c.attrs, 'y'));
        return g.build();
      };
      await expectExact(build, { a: ints(c.a[0], c.a[1]) });
    });
  }

  it('check() names a non-constant b', () => {
    const g = new GraphBuilder('g');
    const a = g.input('a', { dtype: 'u8', shape: [2, 4] });
    const b = g.input('b', { dtype: 'i8', shape: [4, 3] });
    g.output(g.op('QMatMul', [a, b, null, null, null], { dtype: 'i32' }, 'y'));
    expect(unsupportedByWasm(g.build()).map((p) => p.reason)).toEqual(['QMatMul b must be constant (it is packed at compile time)']);
  });
});

describe('wasm QuantizeF32 / DequantizeF32 / QRequantize / QAdd / QGlobalAveragePool (bit-exact)', () => {
  it('QuantizeF32 (ties, NaN, saturation) -> QRequantize -> DequantizeF32', async () => {
    const { build, feeds } = quantizeChainCase(R, { quantize: 0.1, dequantize: 0.0371 });
    await expectExact(build, feeds);
  });

  for (const [name, aShape, bShape, dtype] of [
    ['same shapes, i8', [2, 3, 4, 5], [2, 3, 4, 5], 'i8'],
    ['broadcast [3,1,5] into [2,3,4,5], u8', [2, 3, 4, 5], [3, 1, 5], 'u8'],
    ['broadcast both sides', [4, 1], [1, 6], 'u8'],
  ] as [string, number[], number[], DType][]) {
    it(`QAdd ${name}`, async () => {
      const { build, feeds } = qAddCase(R, aShape, bShape, dtype);
      await expectExact(build, feeds);
    });
  }

  it('QGlobalAveragePool u8 and i8', async () => {
    const { build, feeds } = qGlobalAveragePoolCase(R);
    await expectExact(build, feeds);
  });
});

describe('wasm quantized squeezenet1_1 end to end', () => {
  // MaxPool on u8 has no wasm kernel yet (the pool family is f32 only): the test runs each u8 MaxPool as
  // DequantizeF32 -> MaxPool -> QuantizeF32 with scale 1 and zero point 0, which is exactly the integer MaxPool.
  it('the int8 graph from edgec quantize gives the reference output bit for bit', async () => {
    const graph = importOnnxFile(modelPath('squeezenet1_1'));
    const q = quantizeModel(graph, { calibration: syntheticInputs(graph, 1), method: 'minmax' });
    floatMaxPools(q.int8);
    verifyGraph(q.int8);
    const ops = new Set(q.int8.nodes.map((n) => n.op));
    for (const op of ['QuantizeF32', 'QConv', 'QGlobalAveragePool', 'DequantizeF32']) expect(ops.has(op), op).toBe(true);
    expect(unsupportedByWasm(q.int8).map((p) => `${p.node.name}: ${p.reason}`)).toEqual([]);
    const feeds = syntheticInputs(graph, 1, 12345)[0]!;
    const expected = runGraph(q.int8, feeds);
    const { outputs } = await runOnWasm(q.int8, feeds);
    for (const [name, e] of Object.entries(expected)) {
      const values = Array.from(e.data as ArrayLike<number>);
      expect(new Set(values).size, 'a non-degenerate output').toBeGreaterThan(100);
      expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(values);
    }
  }, 180_000);
});
