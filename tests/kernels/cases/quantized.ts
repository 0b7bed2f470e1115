import { makeTensor, type Attributes, type DType, type Graph, type Tensor, type Value } from '../../../ir/index.js';
import { qAddCase, qGlobalAveragePoolCase, quantizeChainCase, randomInts, seededNumbers } from '../../support/quantized-cases.js';
import { CaseBuilder, family, type KernelCase } from '../case.js';

/**
 * Quantized IR ops, bit-exact with the reference on every target: QConv (groups, depthwise with and without a
 * channel multiplier, 1x1, 1-D, i32 out) and QMatMul with per-channel, per-tensor or no requantization (shifts
 * at the extremes 16 and 62 where there are channels enough), QuantizeF32 -> QRequantize -> DequantizeF32 on
 * ties, NaN, infinities and saturation, QAdd with broadcasting, QGlobalAveragePool; the ONNX QuantizeLinear /
 * DequantizeLinear (per tensor, per axis, blocked; f16 parameters) and DynamicQuantizeLinear. (8-bit MaxPool: pool.ts.)
 */

export interface QDotSpec {
  op: 'QConv' | 'QMatMul';
  x: [DType, number[]];
  w: [DType, number[]];
  attrs: Attributes;
  /** Output channels: M of QConv, N of QMatMul. */
  channels: number;
  bias: boolean;
  requant: 'channel' | 'tensor' | 'none';
  seed: number;
}

/** A QConv / QMatMul case; its weights, bias, multipliers and shifts are drawn once from its own seed. */
export function qdot(name: string, s: QDotSpec): KernelCase {
  const R = seededNumbers(s.seed);
  const n = s.requant === 'channel' ? s.channels : 1;
  const mults = R.ints(n, 2 ** 30, 2 ** 31 - 1);
  const shifts = R.ints(n, 36, 44);
  if (n > 2) (shifts[0] = 16), (shifts[1] = 62);
  const w = randomInts(R, s.w[0], s.w[1]);
  const bias = makeTensor('i32', [s.channels], R.ints(s.channels, -20000, 20000));
  const x = randomInts(R, s.x[0], s.x[1]);
  return {
    name,
    comparison: 'exact',
    feeds: () => ({ x }),
    build: (b) => {
      const requant = s.requant === 'none' ? [null, null] : [b.constant('m', makeTensor('i32', [n], mults)), b.constant('s', makeTensor('i32', [n], shifts))];
      b.output(b.op(s.op, [b.input('x', { dtype: s.x[0], shape: s.x[1] }), b.constant('w', w), s.bias ? b.constant('bias', bias) : null, ...requant], s.attrs, 'y'));
    },
  };
}

/** A case from tests/support/quantized-cases.ts (shared with the wasm quantized tests), renamed into a builder. */
function shared(name: string, made: { build: () => Graph; feeds: Record<string, Tensor> }, options: Partial<KernelCase> = {}): KernelCase {
  const graph = made.build();
  return {
    name,
    ...options,
    comparison: 'exact',
    feeds: () => made.feeds,
    build: (b: CaseBuilder) => {
      // Rebuild node by node under the case's prefix (the shared makers build on a GraphBuilder of their own).
      const values = new Map<Value, Value>();
      for (const v of graph.inputs) values.set(v, b.input(v.name, v.type));
      for (const v of graph.constants) values.set(v, b.constant(v.name, v.data!));
      for (const node of graph.nodes) {
        const outs = b.node(node.op, node.inputs.map((v) => (v ? values.get(v)! : null)), node.attrs, node.outputs.map((o) => o.name));
        node.outputs.forEach((o, i) => values.set(o, outs[i]!));
      }
      b.output(...graph.outputs.map((v) => values.get(v)!));
    },
  };
}

const conv = (x: [DType, number[]], w: [DType, number[]], attrs: Attributes, bias: boolean, requant: QDotSpec['requant'], seed: number): QDotSpec => ({ op: 'QConv', x, w, attrs, channels: w[1][0]!, bias, requant, seed });
const matmul = (x: [DType, number[]], w: [DType, number[]], attrs: Attributes, requant: QDotSpec['requant'], seed: number): QDotSpec => ({ op: 'QMatMul', x, w, attrs, channels: w[1][1]!, bias: requant !== 'none', requant, seed });

/** The dot-product cases the webgpu test also runs on both of its dot paths (packed and fallback). */
export const QDOT_PATH_CASES: [string, QDotSpec][] = [
  ['QConv i8 x i8 3x3 pad 1 stride 2, zero points, per-channel, clamp', conv(['i8', [1, 6, 9, 9]], ['i8', [7, 6, 3, 3]], { pads: [1, 1, 1, 1], strides: [2, 2], x_zero_point: -5, w_zero_point: 3, y_zero_point: 4, act_min: -20 }, true, 'channel', 101)],
  ['QConv i8 depthwise, dilation 2, per-tensor', conv(['i8', [1, 5, 8, 8]], ['i8', [5, 1, 3, 3]], { group: 5, dilations: [2, 2], pads: [2, 2, 2, 2], x_zero_point: 7 }, true, 'tensor', 102)],
  ['QConv u8 x i8 1-D, i32 out', conv(['u8', [2, 3, 17]], ['i8', [5, 3, 4]], { pads: [2, 1], x_zero_point: 100, dtype: 'i32' }, false, 'none', 103)],
  ['QMatMul i8 x i8 batched, bias, per-column u8 out', matmul(['i8', [2, 3, 21]], ['i8', [21, 10]], { a_zero_point: 2, b_zero_point: -1, dtype: 'u8', y_zero_point: 120 }, 'channel', 104)],
  ['QMatMul u8 x u8, i32 out', matmul(['u8', [4, 33]], ['u8', [33, 9]], { a_zero_point: 10, b_zero_point: 200, dtype: 'i32' }, 'none', 105)],
];

const R = seededNumbers(11);

/** x for QuantizeLinear: halfway quotients for scale 0.5 (ties to even), NaN, infinities, saturating values. */
const QX = [0, 0.25, 0.75, -0.25, -0.75, 1.25, 3.3, -7.9, 1e6, -1e6, NaN, Infinity, -Infinity, 63.75, -64.25, 12.1, 0.1, -0.3, 100.5, 2.0, -2.0, 5.5, -5.5, 0.5];

/** An ONNX QuantizeLinear / DequantizeLinear case: x [2, 3, 4] and constant parameters of the given shape. */
function linearCase(name: string, op: 'QuantizeLinear' | 'DequantizeLinear', x: [DType, (number | bigint)[]], scale: [DType, number[], number[]], zp: [DType, number[]] | null, attrs: Attributes = {}): KernelCase {
  return {
    name,
    comparison: 'exact',
    feeds: () => ({ x: makeTensor(x[0], [2, 3, 4], x[1] as number[]) }),
    build: (b) => {
      const s = b.constant('s', makeTensor(scale[0], scale[1], scale[2]));
      const z = zp ? b.constant('z', makeTensor(zp[0], scale[1], zp[1])) : null;
      b.output(b.op(op, [b.input('x', { dtype: x[0], shape: [2, 3, 4] }), s, z], attrs, 'y'));
    },
  };
}

const DQX = Array.from({ length: 24 }, (_, i) => ((i * 37) % 256) - 128);

/** An ONNX QLinearMatMul / MatMulInteger case with seeded 8-bit operands (B constant) and the given parameters. */
function onnxMatmul(name: string, op: 'QLinearMatMul' | 'MatMulInteger', a: [DType, number[]], b: [DType, number[]], params: Record<string, [DType, number[], number[]]>, seed: number): KernelCase {
  const R = seededNumbers(seed);
  const [x, w] = [randomInts(R, a[0], a[1]), randomInts(R, b[0], b[1])];
  return {
    name,
    comparison: 'exact',
    feeds: () => ({ a: x }),
    build: (bl) => {
      const p = (key: string) => (params[key] ? bl.constant(key, makeTensor(params[key][0], params[key][1], params[key][2])) : null);
      const [A, B] = [bl.input('a', { dtype: a[0], shape: a[1] }), bl.constant('b', w)];
      const inputs = op === 'QLinearMatMul' ? [A, p('as'), p('az'), B, p('bs'), p('bz'), p('ys'), p('yz')] : [A, B, p('az'), p('bz')];
      bl.output(bl.op(op, inputs, {}, 'y'));
    },
  };
}

/** An ONNX QLinearConv / ConvInteger case with seeded 8-bit operands (W constant) and the given parameters. */
function onnxConv(name: string, op: 'QLinearConv' | 'ConvInteger', x: [DType, number[]], w: [DType, number[]], params: Record<string, [DType, number[], number[]]>, attrs: Attributes, seed: number): KernelCase {
  const R = seededNumbers(seed);
  const [xv, wv] = [randomInts(R, x[0], x[1]), randomInts(R, w[0], w[1])];
  return {
    name,
    comparison: 'exact',
    feeds: () => ({ x: xv }),
    build: (b) => {
      const p = (key: string) => (params[key] ? b.constant(key, makeTensor(params[key][0], params[key][1], params[key][2])) : null);
      const [X, W] = [b.input('x', { dtype: x[0], shape: x[1] }), b.constant('w', wv)];
      const inputs = op === 'QLinearConv' ? [X, p('xs'), p('xz'), W, p('ws'), p('wz'), p('ys'), p('yz'), p('bias')] : [X, W, p('xz'), p('wz')];
      b.output(b.op(op, inputs, attrs, 'y'));
    },
  };
}

const ONNX_QUANTIZATION: KernelCase[] = [
  onnxConv('QLinearConv u8 x i8 groups 2 stride 2 pads, per-channel scales and bias', 'QLinearConv', ['u8', [1, 4, 9, 8]], ['i8', [6, 2, 3, 3]], { xs: ['f32', [], [0.02]], xz: ['u8', [], [120]], ws: ['f32', [6], [0.01, 0.02, 0.005, 0.03, 0.011, 0.007]], wz: ['i8', [], [0]], ys: ['f32', [], [0.09]], yz: ['u8', [], [100]], bias: ['i32', [6], [100, -2000, 0, 7, 30000, -5]] }, { group: 2, strides: [2, 2], pads: [1, 0, 2, 1] }, 16),
  onnxConv('ConvInteger u8 1-D dilated with zero points', 'ConvInteger', ['u8', [2, 3, 17]], ['u8', [4, 3, 3]], { xz: ['u8', [], [128]], wz: ['u8', [], [3]] }, { dilations: [2], pads: [1, 2] }, 17),
  onnxConv('ConvInteger i8 3-D', 'ConvInteger', ['i8', [1, 2, 4, 5, 6]], ['i8', [3, 2, 2, 3, 2]], {}, { strides: [1, 2, 1] }, 18),
  onnxMatmul('QLinearMatMul u8 per tensor', 'QLinearMatMul', ['u8', [5, 19]], ['u8', [19, 7]], { as: ['f32', [], [0.02]], az: ['u8', [], [113]], bs: ['f32', [], [0.013]], bz: ['u8', [], [120]], ys: ['f32', [], [0.07]], yz: ['u8', [], [128]] }, 11),
  onnxMatmul('QLinearMatMul i8 batched, per-column B, f16 scales', 'QLinearMatMul', ['i8', [2, 3, 4, 16]], ['i8', [3, 16, 6]], { as: ['f16', [], [0.031]], az: ['i8', [], [-3]], bs: ['f16', [6], [0.01, 0.02, 0.005, 0.1, 0.03, 0.0071]], bz: ['i8', [6], [0, 1, -1, 2, 0, 5]], ys: ['f16', [], [0.2]], yz: ['i8', [], [7]] }, 12),
  onnxMatmul('QLinearMatMul u8 1-D A', 'QLinearMatMul', ['u8', [24]], ['i8', [24, 5]], { as: ['f32', [], [0.5]], az: ['u8', [], [100]], bs: ['f32', [], [0.25]], bz: ['i8', [], [0]], ys: ['f32', [], [3]], yz: ['u8', [], [10]] }, 13),
  onnxMatmul('MatMulInteger u8 x i8 per-row A zero points', 'MatMulInteger', ['u8', [2, 4, 33]], ['i8', [33, 9]], { az: ['u8', [4], [1, 128, 255, 7]], bz: ['i8', [9], [0, -128, 127, 3, 1, 2, 3, 4, 5]] }, 14),
  onnxMatmul('MatMulInteger i8 without zero points', 'MatMulInteger', ['i8', [7, 40]], ['i8', [40, 3]], {}, 15),
  linearCase('QuantizeLinear f32 -> u8 per tensor (ties, NaN, saturation)', 'QuantizeLinear', ['f32', QX], ['f32', [], [0.5]], ['u8', [128]]),
  linearCase('QuantizeLinear f32 -> i8 per axis 1', 'QuantizeLinear', ['f32', QX], ['f32', [3], [0.5, 0.1, 2]], ['i8', [-3, 0, 5]], { axis: 1 }),
  linearCase('QuantizeLinear f32 -> i16 blocked axis 2 block 3', 'QuantizeLinear', ['f32', QX], ['f32', [2, 3, 2], [0.5, 0.25, 0.1, 1, 3, 0.01, 0.5, 0.5, 2, 4, 0.125, 0.3]], null, { axis: 2, block_size: 3, output_dtype: 'i16' }),
  linearCase('QuantizeLinear f32 -> u16 with an f16 scale', 'QuantizeLinear', ['f32', QX], ['f16', [], [0.0999]], ['u16', [30000]]),
  linearCase('DequantizeLinear u8 per axis 1', 'DequantizeLinear', ['u8', DQX.map((v) => v + 128)], ['f32', [3], [0.5, 0.1, 2]], ['u8', [128, 3, 250]], { axis: 1 }),
  linearCase('DequantizeLinear i32 per tensor', 'DequantizeLinear', ['i32', DQX.map((v) => v * 100003)], ['f32', [], [0.0371]], ['i32', [-17]]),
  linearCase('DequantizeLinear i16 blocked axis 0 to f16', 'DequantizeLinear', ['i16', DQX.map((v) => v * 211)], ['f16', [1, 3, 4], Array.from({ length: 12 }, (_, i) => 0.01 * (i + 1))], ['i16', Array.from({ length: 12 }, (_, i) => i * 7 - 40)], { axis: 0, block_size: 2 }),
  ...[
    ['with NaN', [0.5, NaN, -3, 2.25, 7, -0.1, 4, 1]],
    ['of positive values', [0.5, 1, 3, 2.25, 7, 0.1, 4, 1]],
    ['of a constant', [-2, -2, -2, -2, -2, -2, -2, -2]],
  ].map(([what, values]) => ({
    name: `DynamicQuantizeLinear ${what as string}`,
    comparison: 'exact' as const,
    feeds: () => ({ x: makeTensor('f32', [2, 4], values as number[]) }),
    build: (b: CaseBuilder) => b.output(...b.node('DynamicQuantizeLinear', [b.input('x', [2, 4])], {}, ['y', 'scale', 'zp'])),
  })),
];

export const QUANTIZED = family('quantized', [
  ...ONNX_QUANTIZATION,
  qdot('QConv u8 x i8 3x3 pad 1 per-channel u8 out act_min', conv(['u8', [1, 5, 9, 9]], ['i8', [7, 5, 3, 3]], { pads: [1, 1, 1, 1], x_zero_point: 131, y_zero_point: 3, dtype: 'u8', act_min: 3 }, true, 'channel', 1)),
  qdot('QConv i8 groups 2 stride 2 dilation 2 per-tensor', conv(['i8', [2, 4, 11, 10]], ['i8', [6, 2, 3, 2]], { group: 2, strides: [2, 2], dilations: [2, 2], pads: [2, 1, 1, 0], x_zero_point: -5, w_zero_point: 2, y_zero_point: -7 }, true, 'tensor', 2)),
  qdot('QConv u8 depthwise stride 2 per-channel u8 out', conv(['u8', [1, 9, 8, 8]], ['i8', [9, 1, 3, 3]], { group: 9, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 128 }, true, 'channel', 3)),
  qdot('QConv u8 x u8 1x1 i8 out no bias', conv(['u8', [1, 19, 5, 6]], ['u8', [13, 19, 1, 1]], { x_zero_point: 7, w_zero_point: 120, dtype: 'i8' }, false, 'channel', 4)),
  qdot('QConv u8 x i8 1-D i32 out batch 2', conv(['u8', [2, 3, 17]], ['i8', [5, 3, 4]], { pads: [2, 1], x_zero_point: 100, dtype: 'i32' }, false, 'none', 5)),
  qdot('QConv i8 depthwise multiplier 2 dilation 1x2 i32 out bias', conv(['i8', [2, 3, 7, 9]], ['i8', [6, 1, 3, 3]], { group: 3, pads: [1, 0, 1, 2], dilations: [1, 2], x_zero_point: -3, w_zero_point: 1, dtype: 'i32' }, true, 'none', 6)),
  qdot('QMatMul u8 x i8 batched per-column u8 out', matmul(['u8', [2, 3, 20]], ['i8', [20, 11]], { a_zero_point: 127, dtype: 'u8', y_zero_point: 120 }, 'channel', 7)),
  qdot('QMatMul i8 1-D per-tensor clamped', matmul(['i8', [13]], ['i8', [13, 5]], { a_zero_point: 3, b_zero_point: -2, act_min: -10, act_max: 50 }, 'tensor', 8)),
  qdot('QMatMul u8 x u8 i32 out', matmul(['u8', [4, 33]], ['u8', [33, 9]], { a_zero_point: 10, b_zero_point: 200, dtype: 'i32' }, 'none', 9)),
  ...QDOT_PATH_CASES.map(([name, spec]) => qdot(name, spec)),
  shared('QuantizeF32 -> QRequantize -> DequantizeF32 scales 0.1 / 0.0371', quantizeChainCase(R, { quantize: 0.1, dequantize: 0.0371 }), {
    knownToDiffer: { webgpu: 'WGSL scales in f32 with 0.1 and 0.0371 rounded to f32, the reference in f64 rounded once' },
  }),
  shared('QuantizeF32 -> QRequantize -> DequantizeF32 scales 0.5 / 0.0625', quantizeChainCase(R, { quantize: 0.5, dequantize: 0.0625 })),
  shared('QAdd u8 broadcast [2,3,4,5] + [3,1,5]', qAddCase(R, [2, 3, 4, 5], [3, 1, 5], 'u8')),
  shared('QAdd i8 broadcast [4,1] + [1,6]', qAddCase(R, [4, 1], [1, 6], 'i8')),
  shared('QGlobalAveragePool u8 to u8 and i8', qGlobalAveragePoolCase(R)),
]);
