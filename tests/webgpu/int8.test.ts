import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { GraphBuilder, makeTensor, type Attributes, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { PACKED_DOT_FEATURE } from '../../targets/webgpu/kernels/int8.js';
import { modelPath } from '../support/shared.js';
import { qAddCase, qGlobalAveragePoolCase, quantizeChainCase, randomInts, seededNumbers } from '../support/quantized-cases.js';
import { requireGpu, runOnWebGpu } from './harness.js';

// The quantized IR on WebGPU must equal the reference bit for bit: QConv / QMatMul on both paths (dot4I8Packed
// where the adapter has packed_4x8_integer_dot_product, and the fallback loop, forced by optionalFeatures: false),
// the requantizing element ops, and the 64-bit requantization emulated in 32-bit WGSL at extreme shifts.

const R = seededNumbers(23);
const ints = (d: DType, shape: number[]) => randomInts(R, d, shape);

async function expectExact(build: () => Graph, feeds: Record<string, Tensor>, path: 'packed' | 'fallback' | 'plain') {
  const expected = runGraph(build(), feeds);
  const { outputs, features } = await runOnWebGpu(build(), feeds, { load: { optionalFeatures: path !== 'fallback' } });
  expect(features).toEqual(path === 'packed' ? [PACKED_DOT_FEATURE] : []);
  for (const [name, e] of Object.entries(expected)) {
    expect(outputs[name]!.dtype).toBe(e.dtype);
    expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(Array.from(e.data as ArrayLike<number>));
  }
}

interface DotCase {
  name: string;
  op: 'QConv' | 'QMatMul';
  x: [DType, number[]];
  w: [DType, number[]];
  attrs: Attributes;
  channels: number;
  requant: 'channel' | 'tensor' | 'none';
}

const CASES: DotCase[] = [
  { name: 'QConv i8 x i8 3x3 pad 1 stride 2, zero points, per-channel, clamp', op: 'QConv', x: ['i8', [1, 6, 9, 9]], w: ['i8', [7, 6, 3, 3]], attrs: { pads: [1, 1, 1, 1], strides: [2, 2], x_zero_point: -5, w_zero_point: 3, y_zero_point: 4, act_min: -20 }, channels: 7, requant: 'channel' },
  { name: 'QConv i8 depthwise, dilation 2, per-tensor', op: 'QConv', x: ['i8', [1, 5, 8, 8]], w: ['i8', [5, 1, 3, 3]], attrs: { group: 5, dilations: [2, 2], pads: [2, 2, 2, 2], x_zero_point: 7 }, channels: 5, requant: 'tensor' },
  { name: 'QConv u8 x i8 1-D, i32 out', op: 'QConv', x: ['u8', [2, 3, 17]], w: ['i8', [5, 3, 4]], attrs: { pads: [2, 1], x_zero_point: 100, dtype: 'i32' }, channels: 5, requant: 'none' },
  { name: 'QMatMul i8 x i8 batched, bias, per-column u8 out', op: 'QMatMul', x: ['i8', [2, 3, 21]], w: ['i8', [21, 10]], attrs: { a_zero_point: 2, b_zero_point: -1, dtype: 'u8', y_zero_point: 120 }, channels: 10, requant: 'channel' },
  { name: 'QMatMul u8 x u8, i32 out', op: 'QMatMul', x: ['u8', [4, 33]], w: ['u8', [33, 9]], attrs: { a_zero_point: 10, b_zero_point: 200, dtype: 'i32' }, channels: 9, requant: 'none' },
];

function dotGraph(c: DotCase): { build: () => Graph; feeds: Record<string, Tensor> } {
  const n = c.requant === 'channel' ? c.channels : 1;
  const mults = R.ints(n, 2 ** 30, 2 ** 31 - 1);
  const shifts = R.ints(n, 36, 44);
  if (n > 2) (shifts[0] = 16), (shifts[1] = 62);
  const w = ints(c.w[0], c.w[1]);
  const bias = makeTensor('i32', [c.channels], R.ints(c.channels, -20000, 20000));
  const build = () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: c.x[0], shape: c.x[1] });
    const ms = c.requant === 'none' ? null : b.constant('m', makeTensor('i32', [n], mults));
    const ss = c.requant === 'none' ? null : b.constant('s', makeTensor('i32', [n], shifts));
    b.output(b.op(c.op, [x, b.constant('w', w), c.requant === 'none' ? null : b.constant('bias', bias), ms, ss], c.attrs, 'y'));
    return b.build();
  };
  return { build, feeds: { x: ints(c.x[0], c.x[1]) } };
}

if (requireGpu('webgpu int8')) {
  describe('webgpu QConv / QMatMul are bit-exact with the reference on both dot paths', () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const { build, feeds } = dotGraph(c);
        const i8 = c.x[0] === 'i8' && c.w[0] === 'i8';
        await expectExact(build, feeds, i8 ? 'packed' : 'plain');
        if (i8) await expectExact(build, feeds, 'fallback');
      });
    }
  });

  describe('webgpu QuantizeF32 / QRequantize / DequantizeF32 / QAdd / QGlobalAveragePool are bit-exact', () => {
    // Scales that are f32 values (as ONNX attributes are): WGSL computes x / scale in f32.
    it('QuantizeF32 (ties, NaN, saturation) -> QRequantize -> DequantizeF32', async () => {
      const { build, feeds } = quantizeChainCase(R, { quantize: 0.5, dequantize: 0.0625 });
      await expectExact(build, feeds, 'plain');
    });

    it('QAdd with broadcasting (u8 and i8) and QGlobalAveragePool', async () => {
      for (const [aShape, bShape, dtype] of [[[2, 3, 4, 5], [3, 1, 5], 'u8'], [[4, 1], [1, 6], 'i8']] as [number[], number[], DType][]) {
        const { build, feeds } = qAddCase(R, aShape, bShape, dtype);
        await expectExact(build, feeds, 'plain');
      }
      const { build, feeds } = qGlobalAveragePoolCase(R);
      await expectExact(build, feeds, 'plain');
    });
  });

  describe('webgpu MaxPool on u8 / i8 (exact)', () => {
    const pools: [DType, number[], Attributes][] = [
      ['u8', [1, 3, 17, 37], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
      ['i8', [2, 2, 9, 20], { kernel_shape: [2, 2] }],
      ['i8', [1, 3, 12, 33], { kernel_shape: [3, 3], dilations: [2, 2], strides: [1, 2], pads: [2, 2, 2, 2] }],
      ['u8', [1, 2, 50], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
      ['u8', [1, 4, 13, 13], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
    ];
    for (const [dtype, shape, attrs] of pools) {
      it(`${dtype} ${JSON.stringify(shape)} ${JSON.stringify(attrs)}`, async () => {
        const build = () => {
          const b = new GraphBuilder('g');
          b.output(b.op('MaxPool', [b.input('x', { dtype, shape })], attrs, 'y'));
          return b.build();
        };
        await expectExact(build, { x: ints(dtype, shape) }, 'plain');
      });
    }
  });

  describe('webgpu quantized squeezenet1_1 end to end', () => {
    it('the int8 graph from edgec quantize (8-bit MaxPool included) gives the reference output bit for bit', async () => {
      const graph = importOnnxFile(modelPath('squeezenet1_1'));
      const q = quantizeModel(graph, { calibration: syntheticInputs(graph, 1), method: 'minmax' });
      expect(q.int8.nodes.some((n) => n.op === 'MaxPool' && n.inputs[0]!.type.dtype === 'u8')).toBe(true);
      const feeds = syntheticInputs(graph, 1, 12345)[0]!;
      const expected = runGraph(q.int8, feeds);
      const { outputs, features, artifact } = await runOnWebGpu(q.int8, feeds);
      console.log(`webgpu int8 squeezenet1_1: ${artifact.manifest.dispatches.length} dispatches, optional features used: ${features.join(', ') || 'none'}`);
      for (const [name, e] of Object.entries(expected)) {
        const values = Array.from(e.data as ArrayLike<number>);
        expect(new Set(values).size, 'a non-degenerate output').toBeGreaterThan(100);
        expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(values);
      }
    }, 300_000);
  });
}
