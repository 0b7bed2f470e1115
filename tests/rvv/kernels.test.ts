import { describe, expect, it } from 'vitest';
import { prepareFeeds } from '../../compiler/feeds.js';
import { randomTensor, seededRandom } from '../../compiler/io/random.js';
import { GraphBuilder, makeTensor, type Attributes, type Graph, type Value } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { relativeError } from '../wasm/harness.js';
import { buildForRvv, runBuild, rvvToolsReady } from './harness.js';

/**
 * Kernel-family tests: many small independent cases are built into ONE graph (each its own inputs and
 * output), so one clang build and one qemu run per VLEN check them all; each output is compared with the
 * reference on its own, so a failure names its case.
 */

type Case = (b: GraphBuilder, k: string, random: () => number) => Value;

const f32 = (shape: number[]) => ({ dtype: 'f32' as const, shape });
const weight = (b: GraphBuilder, name: string, shape: number[], random: () => number) => b.constant(name, randomTensor('f32', shape, random));
const i64 = (b: GraphBuilder, name: string, values: number[]) => b.constant(name, makeTensor('i64', [values.length], values.map(BigInt)));

function conv(x: number[], w: number[], attrs: Attributes, op = 'Conv', extra: { bias?: boolean; residual?: number[] } = {}): Case {
  return (b, k, r) => {
    const inputs: (Value | null)[] = [b.input(`${k}_x`, f32(x)), weight(b, `${k}_w`, w, r), extra.bias ? weight(b, `${k}_b`, [w[0]!], r) : null];
    if (extra.residual) inputs.push(b.input(`${k}_z`, f32(extra.residual)));
    return b.op(op, inputs, attrs, `${k}_y`);
  };
}
const unary = (op: string, shape: number[], attrs: Attributes = {}): Case => (b, k) => b.op(op, [b.input(`${k}_x`, f32(shape))], attrs, `${k}_y`);
const binary = (op: string, a: number[], c: number[]): Case => (b, k) => b.op(op, [b.input(`${k}_a`, f32(a)), b.input(`${k}_b`, f32(c))], {}, `${k}_y`);

const CASES: Record<string, Case> = {
  'conv 3x3 pad 1': conv([1, 3, 9, 11], [5, 3, 3, 3], { pads: [1, 1, 1, 1] }, 'Conv', { bias: true }),
  'conv 3x3 stride 2 dilation 2': conv([2, 4, 13, 12], [7, 4, 3, 3], { strides: [2, 2], dilations: [2, 2], pads: [2, 1, 0, 2] }),
  'conv 1x1 (direct GEMM)': conv([1, 16, 7, 7], [13, 16, 1, 1], {}, 'Conv', { bias: true }),
  'conv 1x1 stride 2': conv([1, 8, 9, 9], [6, 8, 1, 1], { strides: [2, 2] }),
  'conv groups 2': conv([1, 6, 8, 8], [4, 3, 3, 3], { group: 2, pads: [1, 1, 1, 1] }, 'Conv', { bias: true }),
  'conv 1-D': conv([1, 3, 20], [4, 3, 5], { pads: [2, 1], strides: [2] }),
  'depthwise 3x3 stride 1': conv([1, 8, 10, 9], [8, 1, 3, 3], { group: 8, pads: [1, 1, 1, 1] }, 'Conv', { bias: true }),
  'depthwise 3x3 stride 2 multiplier 2': conv([1, 3, 11, 11], [6, 1, 3, 3], { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] }),
  'FusedConv relu6 + residual': conv([1, 4, 6, 6], [4, 4, 3, 3], { pads: [1, 1, 1, 1], activation: 'Clip', activation_params: [0, 6] }, 'FusedConv', { bias: true, residual: [1, 4, 6, 6] }),
  'FusedConv sigmoid': conv([1, 3, 5, 5], [2, 3, 1, 1], { activation: 'Sigmoid' }, 'FusedConv', { bias: true }),
  'FusedConv leaky depthwise': conv([1, 4, 6, 6], [4, 1, 3, 3], { group: 4, pads: [1, 1, 1, 1], activation: 'LeakyRelu', activation_params: [0.1] }, 'FusedConv'),
  'FusedConv hardswish': conv([1, 2, 5, 5], [3, 2, 3, 3], { activation: 'HardSwish' }, 'FusedConv'),
  'Gemm transB bias': (b, k, r) => b.op('Gemm', [b.input(`${k}_a`, f32([3, 20])), weight(b, `${k}_w`, [9, 20], r), weight(b, `${k}_c`, [9], r)], { transB: 1, alpha: 0.5, beta: 2 }, `${k}_y`),
  'Gemm transA full C': (b, k, r) => b.op('Gemm', [b.input(`${k}_a`, f32([20, 7])), weight(b, `${k}_w`, [20, 5], r), weight(b, `${k}_c`, [7, 5], r)], { transA: 1 }, `${k}_y`),
  'Gemm run-time B': (b, k) => b.op('Gemm', [b.input(`${k}_a`, f32([8, 6])), b.input(`${k}_w`, f32([6, 37]))], {}, `${k}_y`),
  'FusedGemm gelu': (b, k, r) => b.op('FusedGemm', [b.input(`${k}_a`, f32([2, 16])), weight(b, `${k}_w`, [16, 33], r), weight(b, `${k}_c`, [1, 33], r)], { activation: 'Gelu' }, `${k}_y`),
  'MatMul batched broadcast': binary('MatMul', [2, 1, 5, 7], [3, 7, 4]),
  'MatMul 1-D by 2-D': binary('MatMul', [7], [7, 3]),
  'MatMul 3-D by 2-D': binary('MatMul', [2, 9, 6], [6, 70]),
  'MaxPool 3x3 s2 pad': unary('MaxPool', [1, 3, 11, 11], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  'MaxPool ceil_mode': unary('MaxPool', [1, 2, 10, 10], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  'MaxPool dilated': unary('MaxPool', [1, 2, 9, 9], { kernel_shape: [2, 2], dilations: [2, 2] }),
  'AveragePool exclude pad': unary('AveragePool', [1, 2, 9, 8], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
  'AveragePool include pad ceil': unary('AveragePool', [1, 2, 9, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1, ceil_mode: 1 }),
  'GlobalAveragePool': unary('GlobalAveragePool', [2, 3, 5, 7]),
  'GlobalMaxPool': unary('GlobalMaxPool', [1, 3, 9, 4]),
  'Softmax': unary('Softmax', [3, 4, 37], { axis: -1 }),
  'LogSoftmax': unary('LogSoftmax', [5, 19], { axis: 1 }),
  'LayerNormalization': (b, k, r) => b.op('LayerNormalization', [b.input(`${k}_x`, f32([3, 2, 40])), weight(b, `${k}_s`, [2, 40], r), weight(b, `${k}_b`, [2, 40], r)], { axis: 1 }, `${k}_y`),
  'ReduceMean middle axis': (b, k) => b.op('ReduceMean', [b.input(`${k}_x`, f32([2, 6, 5])), i64(b, `${k}_axes`, [1])], { keepdims: 0 }, `${k}_y`),
  'ReduceMax last axes': (b, k) => b.op('ReduceMax', [b.input(`${k}_x`, f32([3, 4, 5])), i64(b, `${k}_axes`, [1, 2])], {}, `${k}_y`),
  'ReduceSum all': unary('ReduceSum', [4, 9]),
  'Add broadcast': binary('Add', [2, 3, 4, 5], [3, 1, 5]),
  'Sub scalar': binary('Sub', [7, 3], [1]),
  'Mul': binary('Mul', [70], [70]),
  'Div broadcast first': binary('Div', [1, 4], [3, 4]),
  'Max variadic': (b, k) => b.op('Max', [b.input(`${k}_a`, f32([3, 5])), b.input(`${k}_b`, f32([5])), b.input(`${k}_c`, f32([3, 1]))], {}, `${k}_y`),
  'Mean': binary('Mean', [4, 4], [4, 4]),
  'Max / Min / Clip propagate NaN': (b, k) => {
    const x = b.input(`${k}_x`, f32([6]));
    const special = b.constant(`${k}_c`, makeTensor('f32', [6], [NaN, 0.5, -3, NaN, 2, -0.25]));
    const max = b.op('Max', [x, special]);
    const min = b.op('Min', [special, x]);
    const clip = b.op('Clip', [special, b.constant(`${k}_lo`, makeTensor('f32', [], [-1])), b.constant(`${k}_hi`, makeTensor('f32', [], [1]))]);
    return b.op('Concat', [max, min, clip], { axis: 0 }, `${k}_y`);
  },
  'Relu': unary('Relu', [3, 33]),
  'Sigmoid': unary('Sigmoid', [100]),
  'Tanh': unary('Tanh', [100]),
  'Exp': unary('Exp', [50]),
  'Erf': unary('Erf', [64]),
  'Sqrt of Abs': (b, k) => b.op('Sqrt', [b.op('Abs', [b.input(`${k}_x`, f32([40]))])], {}, `${k}_y`),
  'Gelu tanh': unary('Gelu', [45], { approximate: 'tanh' }),
  'LeakyRelu': unary('LeakyRelu', [30], { alpha: 0.2 }),
  'HardSigmoid': unary('HardSigmoid', [30], { alpha: 0.3, beta: 0.4 }),
  'PRelu': binary('PRelu', [2, 3, 4], [3, 1]),
  'Clip': (b, k) => b.op('Clip', [b.input(`${k}_x`, f32([25])), null, b.constant(`${k}_hi`, makeTensor('f32', [], [0.5]))], {}, `${k}_y`),
  'FusedElementwise': (b, k) => b.op('FusedElementwise', [b.input(`${k}_a`, f32([3, 10])), b.input(`${k}_b`, f32([10]))], { expression: 'mul(sigmoid(x0), add(x1, -1.5))' }, `${k}_y`),
  'Transpose 4-D': unary('Transpose', [2, 3, 4, 5], { perm: [0, 2, 3, 1] }),
  'Slice with steps': (b, k) => b.op('Slice', [b.input(`${k}_x`, f32([6, 10])), i64(b, `${k}_s`, [1, 9]), i64(b, `${k}_e`, [5, 0]), i64(b, `${k}_a`, [0, 1]), i64(b, `${k}_t`, [2, -3])], {}, `${k}_y`),
  'Concat': (b, k) => b.op('Concat', [b.input(`${k}_a`, f32([2, 3, 4])), b.input(`${k}_b`, f32([2, 5, 4]))], { axis: 1 }, `${k}_y`),
  'Expand': (b, k) => b.op('Expand', [b.input(`${k}_x`, f32([3, 1])), i64(b, `${k}_s`, [2, 3, 4])], {}, `${k}_y`),
  'Tile': (b, k) => b.op('Tile', [b.input(`${k}_x`, f32([2, 3])), i64(b, `${k}_r`, [2, 2])], {}, `${k}_y`),
  'Pad constant': (b, k) => b.op('Pad', [b.input(`${k}_x`, f32([2, 3, 4])), i64(b, `${k}_p`, [0, 1, 2, 1, 0, 3]), b.constant(`${k}_v`, makeTensor('f32', [], [-2.5]))], {}, `${k}_y`),
  'Gather constant indices': (b, k) => b.op('Gather', [b.input(`${k}_x`, f32([3, 5, 2])), b.constant(`${k}_i`, makeTensor('i64', [2, 2], [4n, -1n, 0n, 2n]))], { axis: 1 }, `${k}_y`),
  'Reshape of a graph input': (b, k) => b.op('Reshape', [b.input(`${k}_x`, f32([4, 6])), i64(b, `${k}_s`, [3, 8])], {}, `${k}_y`),
};

function batchGraph(): Graph {
  const b = new GraphBuilder('rvv_kernels');
  const random = seededRandom(7);
  Object.values(CASES).forEach((build, i) => b.output(build(b, `c${i}`, random)));
  return b.build();
}

describe.runIf(rvvToolsReady())('rvv kernel families', () => {
  it(`${Object.keys(CASES).length} cases in one ELF match the reference at VLEN ${VLENS.join(', ')}`, () => {
    const reference = batchGraph();
    const { feeds } = prepareFeeds(reference, {}, 3);
    const expected = runGraph(reference, feeds);
    const build = buildForRvv(batchGraph());
    const names = Object.keys(CASES);
    for (const vlen of VLENS) {
      const { outputs } = runBuild(build, feeds, vlen);
      const errors = names.map((name, i) => {
        const out = reference.outputs[i]!.name;
        return { name, error: relativeError({ [out]: outputs[out]! }, { [out]: expected[out]! }) };
      });
      const bad = errors.filter((e) => !(e.error <= 1e-4));
      expect(bad, `VLEN ${vlen}`).toEqual([]);
    }
  }, 120_000);
});
