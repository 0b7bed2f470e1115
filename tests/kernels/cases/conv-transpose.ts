import type { Attributes } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';

/**
 * ConvTranspose: strides, explicit, asymmetric and automatic pads, output_padding, output_shape, dilations,
 * groups (depthwise too), 1x1 kernels, 1-D, 2-D and 3-D maps, weights fed at run time, and layers large enough
 * that the col buffer is cut into channel blocks (the rvv and wasm GEMM + col2im form).
 */

interface Spec {
  attrs?: Attributes;
  bias?: boolean;
  /** W as a graph input instead of a constant. */
  wInput?: boolean;
}

/** W is [C, M/group, k...]; W and the bias are seeded random constants. */
function convTranspose(name: string, x: number[], w: number[], spec: Spec = {}): KernelCase {
  return {
    name,
    build: (b) => {
      const group = (spec.attrs?.group as number | undefined) ?? 1;
      const wv = spec.wInput ? b.input('w', w) : b.weights('w', w);
      const bias = spec.bias ? b.weights('bias', [w[1]! * group]) : null;
      b.output(b.op('ConvTranspose', [b.input('x', x), wv, bias], spec.attrs ?? {}, 'y'));
    },
  };
}

export const CONV_TRANSPOSE = family('conv-transpose', [
  convTranspose('3x3 stride 1', [1, 3, 5, 6], [3, 4, 3, 3]),
  convTranspose('4x4 stride 2 pads 1 with bias, 2 images', [2, 8, 4, 4], [8, 5, 4, 4], { attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, bias: true }),
  convTranspose('3x3 stride 2 pads 1 output_padding 1', [1, 4, 5, 5], [4, 6, 3, 3], { attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, bias: true }),
  convTranspose('asymmetric strides, pads and kernel', [1, 5, 3, 7], [5, 3, 2, 3], { attrs: { strides: [3, 2], pads: [0, 2, 1, 0] } }),
  convTranspose('dilations 2', [1, 2, 4, 5], [2, 3, 3, 3], { attrs: { dilations: [2, 2], pads: [1, 0, 2, 1] }, bias: true }),
  convTranspose('group 2 stride 2', [1, 6, 4, 4], [6, 2, 3, 3], { attrs: { group: 2, strides: [2, 2] }, bias: true }),
  convTranspose('depthwise (group = C)', [2, 4, 5, 5], [4, 1, 3, 3], { attrs: { group: 4, pads: [1, 1, 1, 1] } }),
  convTranspose('1x1 kernel', [1, 16, 6, 6], [16, 9, 1, 1]),
  convTranspose('2x2 stride 2 upsampling, 32 channels', [1, 32, 8, 8], [32, 16, 2, 2], { attrs: { strides: [2, 2] }, bias: true }),
  convTranspose('SAME_UPPER stride 2', [1, 3, 4, 4], [3, 2, 3, 3], { attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } }),
  convTranspose('SAME_LOWER stride 2 even kernel', [1, 3, 4, 5], [3, 2, 4, 4], { attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' } }),
  convTranspose('explicit output_shape', [1, 2, 3, 3], [2, 2, 3, 3], { attrs: { strides: [2, 2], output_shape: [8, 8] } }),
  convTranspose('1-D stride 2 pads', [2, 3, 10], [3, 4, 5], { attrs: { strides: [2], pads: [1, 2] }, bias: true }),
  convTranspose('1-D dilated, output_padding', [1, 4, 7], [4, 3, 3], { attrs: { strides: [3], dilations: [2], output_padding: [1] } }),
  convTranspose('3-D stride 2 pads', [1, 3, 3, 4, 3], [3, 2, 3, 2, 3], { attrs: { strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1] }, bias: true }),
  convTranspose('3-D group 2 dilations', [1, 4, 2, 3, 3], [4, 3, 2, 2, 2], { attrs: { group: 2, dilations: [1, 2, 2] } }),
  convTranspose('3-D depth stride 2, output_padding, 2 images, unit width stride', [2, 2, 3, 5, 9], [2, 3, 2, 3, 3], {
    attrs: { strides: [2, 1, 1], output_padding: [1, 0, 0], pads: [0, 1, 1, 1, 0, 1] },
    bias: true,
  }),
  convTranspose('run-time weights', [1, 3, 4, 5], [3, 5, 3, 3], { attrs: { strides: [2, 1] }, wInput: true }),
  convTranspose('run-time weights, group 3', [1, 6, 3, 4], [6, 2, 2, 3], { attrs: { group: 3, strides: [1, 2] }, wInput: true, bias: true }),
  convTranspose('large layer, col buffer in channel blocks', [1, 8, 24, 24], [8, 64, 4, 4], { attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, bias: true }),
]);
