import { randomTensor } from '../../../compiler/io/random.js';
import { GraphBuilder, type Attributes } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';

/**
 * Convolutions: 1x1 and 3x3 through GEMM / im2col, strides, dilations, asymmetric and automatic pads,
 * rectangular kernels, groups, depthwise (with channel multipliers), 1-D and 3-D, weights fed at run time,
 * long reductions, and FusedConv epilogues (bias, residual Z, every activation).
 */

export interface ConvSpec {
  attrs?: Attributes;
  bias?: boolean;
  /** Residual operand Z of the output's shape (FusedConv). */
  z?: boolean;
  activation?: string;
  params?: number[];
  /** W as a graph input instead of a constant. */
  wInput?: boolean;
}

/** The output shape of a plain Conv of this geometry (for Z). */
function convOutputShape(x: number[], w: number[], attrs: Attributes): number[] {
  const probe = new GraphBuilder('probe');
  return probe.op('Conv', [probe.input('x', { dtype: 'f32', shape: x }), probe.input('w', { dtype: 'f32', shape: w }), null], attrs, 'y').type.shape as number[];
}

/** Conv, or FusedConv when there is a residual or an activation; W and bias seeded random constants. */
export function conv(name: string, x: number[], w: number[], spec: ConvSpec = {}, options: Partial<KernelCase> = {}): KernelCase {
  return {
    name,
    ...options,
    build: (b) => {
      const attrs = spec.attrs ?? {};
      const xv = b.input('x', x);
      const wv = spec.wInput ? b.input('w', w) : b.weights('w', w);
      const bias = spec.bias ? b.weights('bias', [w[0]!]) : null;
      if (!spec.z && !spec.activation) return b.output(b.op('Conv', [xv, wv, bias], attrs, 'y'));
      const z = spec.z ? b.input('z', convOutputShape(x, w, attrs)) : null;
      b.output(b.op('FusedConv', [xv, wv, bias, z], { ...attrs, activation: spec.activation ?? 'None', activation_params: spec.params ?? [] }, 'y'));
    },
  };
}

const noWinograd = { wasm: { winograd: false } };
const pad1 = { pads: [1, 1, 1, 1] };

const EPILOGUES: [string, number[]][] = [
  ['Relu', []],
  ['Clip', [0, 6]],
  ['Clip', [-Infinity, 0.5]],
  ['LeakyRelu', [0.1]],
  ['HardSigmoid', [0.2, 0.5]],
  ['HardSwish', []],
  ['Sigmoid', []],
  ['SiLU', []],
  ['Tanh', []],
  ['Gelu', []],
  ['GeluTanh', []],
];

export const CONV = family('conv', [
  // 1x1 stride 1: the input read directly (odd sizes, tails in M and N).
  conv('1x1 8->16 on 4x4', [1, 8, 4, 4], [16, 8, 1, 1]),
  conv('1x1 5->7 on 3x7 bias', [1, 5, 3, 7], [7, 5, 1, 1], { bias: true }),
  conv('1x1 3->9 batch 2 bias', [2, 3, 5, 5], [9, 3, 1, 1], { bias: true }),
  conv('1x1 16->13 bias', [1, 16, 7, 7], [13, 16, 1, 1], { bias: true }),
  conv('1x1 stride 2 8->6', [1, 8, 9, 9], [6, 8, 1, 1], { attrs: { strides: [2, 2] } }),
  conv('1x1 stride 2 8->12 downsample', [1, 8, 9, 9], [12, 8, 1, 1], { attrs: { strides: [2, 2] } }),
  conv('1x1 5->40 batch 2 bias relu6', [2, 5, 6, 7], [40, 5, 1, 1], { bias: true, activation: 'Clip', params: [0, 6] }),
  // 3x3 through im2col (Winograd off on wasm, so that it is the im2col path).
  conv('3x3 pad 1 bias on 9x11 (im2col)', [1, 3, 9, 11], [5, 3, 3, 3], { attrs: pad1, bias: true }, noWinograd),
  conv('3x3 pad 1 stride 2 on 10x9 (im2col)', [1, 4, 10, 9], [6, 4, 3, 3], { attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } }, noWinograd),
  conv('3x3 valid batch 2 (im2col)', [2, 2, 7, 7], [3, 2, 3, 3], {}, noWinograd),
  conv('3x3 pad 1 bias on 9x11', [1, 3, 9, 11], [5, 3, 3, 3], { attrs: pad1, bias: true }),
  conv('3x3 stride 2 dilation 2 asymmetric pads batch 2', [2, 4, 13, 12], [7, 4, 3, 3], { attrs: { strides: [2, 2], dilations: [2, 2], pads: [2, 1, 0, 2] } }),
  conv('3x3 stride 2 pad 1 bias residual relu', [1, 8, 9, 9], [16, 8, 3, 3], { attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true, z: true, activation: 'Relu' }),
  // Asymmetric pads, auto_pad, dilation and rectangular kernels.
  conv('2x3 kernel asymmetric pads bias', [1, 3, 8, 9], [4, 3, 2, 3], { attrs: { pads: [0, 2, 1, 0] }, bias: true }),
  conv('3x3 SAME_UPPER stride 2', [1, 3, 9, 9], [4, 3, 3, 3], { attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } }),
  conv('3x3 SAME_LOWER (im2col)', [1, 3, 9, 8], [4, 3, 3, 3], { attrs: { auto_pad: 'SAME_LOWER' } }, noWinograd),
  conv('3x3 dilations 2x3', [1, 2, 11, 12], [5, 2, 3, 3], { attrs: { dilations: [2, 3], pads: [2, 3, 2, 3] } }),
  conv('5x5 strides 3x2 asymmetric pads', [1, 1, 12, 12], [2, 1, 5, 5], { attrs: { strides: [3, 2], pads: [2, 2, 1, 1] } }),
  conv('7x7 stride 2 stem bias', [1, 3, 20, 20], [8, 3, 7, 7], { attrs: { strides: [2, 2], pads: [3, 3, 3, 3] }, bias: true }),
  // Grouped, not depthwise.
  conv('groups 4 3x3 bias', [1, 8, 6, 6], [12, 2, 3, 3], { attrs: { group: 4, pads: [1, 1, 1, 1] }, bias: true }),
  conv('groups 2 1x1 batch 2', [2, 6, 5, 5], [4, 3, 1, 1], { attrs: { group: 2 } }),
  conv('groups 2 3x3 pad 1 bias', [1, 6, 8, 8], [4, 3, 3, 3], { attrs: { group: 2, pads: [1, 1, 1, 1] }, bias: true }),
  conv('groups 2 3x3 asymmetric pads', [1, 16, 6, 6], [16, 8, 3, 3], { attrs: { group: 2, pads: [0, 1, 2, 1] } }),
  // 1-D.
  conv('1-D k3 pad 1 bias', [1, 4, 17], [6, 4, 3], { attrs: { pads: [1, 1] }, bias: true }),
  conv('1-D k5 stride 2 dilation 2 batch 2', [2, 3, 20], [5, 3, 5], { attrs: { strides: [2], dilations: [2] } }),
  conv('1-D k5 stride 2 asymmetric pads', [1, 3, 20], [4, 3, 5], { attrs: { pads: [2, 1], strides: [2] } }),
  conv('1-D k5 stride 2 pads 1,3 bias', [1, 4, 20], [9, 4, 5], { attrs: { strides: [2], pads: [1, 3] }, bias: true }),
  // Weights fed at run time.
  conv('run-time weights 3x3 (im2col)', [1, 3, 6, 6], [5, 3, 3, 3], { attrs: pad1, wInput: true }, noWinograd),
  conv('run-time weights groups 2 1x1', [1, 6, 5, 5], [6, 3, 1, 1], { attrs: { group: 2 }, wInput: true }),
  // Long K: several blocks accumulating in C.
  conv('K 1170 3x3 residual relu (im2col)', [1, 130, 5, 5], [9, 130, 3, 3], { attrs: pad1, bias: true, z: true, activation: 'Relu' }, noWinograd),
  conv('K 1100 1x1 bias', [1, 1100, 3, 3], [6, 1100, 1, 1], { bias: true }, noWinograd),
  // Depthwise.
  conv('depthwise 3x3 pad 1 bias on 9x9', [1, 8, 9, 9], [8, 1, 3, 3], { attrs: { group: 8, pads: [1, 1, 1, 1] }, bias: true }),
  conv('depthwise 3x3 pad 1 bias on 10x9', [1, 8, 10, 9], [8, 1, 3, 3], { attrs: { group: 8, pads: [1, 1, 1, 1] }, bias: true }),
  conv('depthwise 3x3 stride 2 pad 1 bias batch 2', [2, 5, 10, 7], [5, 1, 3, 3], { attrs: { group: 5, pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true }),
  conv('depthwise 3x3 stride 2 valid odd widths', [1, 4, 11, 13], [4, 1, 3, 3], { attrs: { group: 4, strides: [2, 2] } }),
  conv('depthwise 3x3 pad 1 width 3', [1, 3, 6, 3], [3, 1, 3, 3], { attrs: { group: 3, pads: [1, 1, 1, 1] } }),
  conv('depthwise 5x5 pad 2 bias', [1, 6, 12, 14], [6, 1, 5, 5], { attrs: { group: 6, pads: [2, 2, 2, 2] }, bias: true }),
  conv('depthwise 3x3 stride 3 asymmetric pads', [1, 4, 13, 17], [4, 1, 3, 3], { attrs: { group: 4, strides: [3, 3], pads: [0, 1, 2, 0] } }),
  conv('depthwise 3x3 dilation 2', [1, 4, 12, 12], [4, 1, 3, 3], { attrs: { group: 4, dilations: [2, 2], pads: [2, 2, 2, 2] } }),
  conv('depthwise 7x1', [1, 3, 8, 9], [3, 1, 7, 1], { attrs: { group: 3, pads: [3, 0, 3, 0] } }),
  conv('depthwise 1-D k5 stride 2', [1, 6, 20], [6, 1, 5], { attrs: { group: 6, pads: [2, 2], strides: [2] } }),
  conv('depthwise residual relu6', [1, 8, 7, 7], [8, 1, 3, 3], { attrs: { group: 8, pads: [1, 1, 1, 1] }, bias: true, z: true, activation: 'Clip', params: [0, 6] }),
  conv('depthwise stride 2 hardswish', [1, 8, 8, 8], [8, 1, 3, 3], { attrs: { group: 8, pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true, activation: 'HardSwish' }),
  conv('depthwise dilation 2 hardswish', [1, 8, 10, 10], [8, 1, 3, 3], { attrs: { group: 8, pads: [2, 2, 2, 2], dilations: [2, 2] }, bias: true, activation: 'HardSwish' }),
  conv('depthwise leaky relu', [1, 4, 6, 6], [4, 1, 3, 3], { attrs: { group: 4, pads: [1, 1, 1, 1] }, activation: 'LeakyRelu', params: [0.1] }),
  conv('depthwise multiplier 2 bias', [1, 4, 6, 6], [8, 1, 3, 3], { attrs: { group: 4, pads: [1, 1, 1, 1] }, bias: true }),
  conv('depthwise multiplier 2 stride 2', [1, 3, 11, 11], [6, 1, 3, 3], { attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] } }),
  // Fused epilogues: each activation with a residual, through im2col and through 1x1.
  ...EPILOGUES.flatMap(([activation, params]) => [
    conv(`epilogue ${activation}(${params.join(',')}) 3x3 residual (im2col)`, [1, 6, 7, 7], [10, 6, 3, 3], { attrs: pad1, bias: true, z: true, activation, params }, noWinograd),
    conv(`epilogue ${activation}(${params.join(',')}) 1x1 residual`, [1, 6, 5, 9], [10, 6, 1, 1], { bias: true, z: true, activation, params }),
  ]),
  conv('epilogue residual only', [1, 5, 6, 6], [7, 5, 1, 1], { z: true }),
  conv('epilogue relu6 residual 3x3', [1, 4, 6, 6], [4, 4, 3, 3], { attrs: pad1, bias: true, z: true, activation: 'Clip', params: [0, 6] }),
  conv('epilogue sigmoid 1x1', [1, 3, 5, 5], [2, 3, 1, 1], { bias: true, activation: 'Sigmoid' }),
  conv('epilogue hardswish 3x3 valid', [1, 2, 5, 5], [3, 2, 3, 3], { activation: 'HardSwish' }),
  // 3-D.
  conv('3-D 3x3x3', [1, 2, 5, 6, 7], [4, 2, 3, 3, 3]),
  conv('3-D padded bias batch 2', [2, 3, 4, 5, 6], [5, 3, 3, 3, 3], { attrs: { pads: [1, 1, 1, 1, 1, 1] }, bias: true }),
  conv('3-D strided asymmetric pads', [1, 2, 7, 6, 9], [3, 2, 2, 3, 3], { attrs: { strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 2] } }),
  conv('3-D dilated', [1, 2, 7, 7, 7], [2, 2, 3, 2, 3], { attrs: { dilations: [2, 3, 1], pads: [0, 1, 1, 1, 0, 1] } }),
  conv('3-D grouped bias', [1, 4, 4, 5, 6], [6, 2, 2, 2, 3], { attrs: { group: 2, pads: [1, 1, 1, 0, 0, 0] }, bias: true }),
  conv('3-D 1x1x1 SAME_UPPER stride 2', [1, 3, 5, 5, 5], [4, 3, 1, 1, 1], { attrs: { strides: [2, 2, 2], auto_pad: 'SAME_UPPER' } }),
  conv('3-D run-time weights bias', [1, 2, 4, 4, 4], [3, 2, 2, 2, 2], { wInput: true, bias: true }),
  conv('3-D residual relu', [1, 2, 4, 5, 6], [3, 2, 3, 3, 3], { attrs: { pads: [1, 1, 1, 1, 1, 1] }, bias: true, z: true, activation: 'Relu' }),
  {
    name: 'Conv f16 3x3 pads bias (computed in f32)',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -10 },
    build: (b) => {
      const x = b.input('x', { dtype: 'f16', shape: [1, 3, 7, 6] });
      const w = b.constant('w', randomTensor('f16', [4, 3, 3, 3], b.random));
      const bias = b.constant('bias', randomTensor('f16', [4], b.random));
      b.output(b.op('Conv', [x, w, bias], { pads: [1, 1, 1, 1] }, 'y'));
    },
  },
  // Half convolutions of other ranks: a depthwise causal 1-D f16 one, a grouped strided 3-D bf16 one (rounded once).
  {
    name: 'Conv f16 1-D depthwise causal pads',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -10, webgpu: 2 ** -10 },
    build: (b) => {
      const x = b.input('x', { dtype: 'f16', shape: [2, 4, 9] });
      const w = b.constant('w', randomTensor('f16', [4, 1, 3], b.random));
      b.output(b.op('Conv', [x, w], { group: 4, pads: [2, 0] }, 'y'));
    },
  },
  {
    name: 'Conv bf16 3-D group 2 stride 2 bias',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -7, webgpu: 2 ** -7 },
    build: (b) => {
      const x = b.input('x', { dtype: 'bf16', shape: [1, 4, 5, 6, 5] });
      const w = b.constant('w', randomTensor('bf16', [4, 2, 2, 3, 2], b.random));
      const bias = b.constant('bias', randomTensor('bf16', [4], b.random));
      b.output(b.op('Conv', [x, w, bias], { group: 2, strides: [2, 2, 1], pads: [0, 1, 1, 1, 1, 0] }, 'y'));
    },
  },
]);
