import type { Node } from '../../../../ir/index.js';
import type { WasmKernel, WasmOptions } from '../../kernel.js';
import { depthwiseConvScratchBytes, depthwiseConvUnsuited, emitDepthwiseQConv } from './conv-depthwise.js';
import { emitLanesConv, lanesConvScratchBytes, lanesConvUnsuited } from './conv-lanes.js';
import { emitWinogradConv, winogradConvUnsuited, winogradScratchBytes } from './conv-winograd.js';
import { emitWinograd4Conv, winograd4ConvUnsuited, winograd4ScratchBytes } from './conv-winograd4.js';
import { checkQConv, emitQConv, qconvScratchBytes, checkQConvGeometry } from './conv.js';
import { emitDequantizeF32, emitQAdd, emitQGlobalAveragePool, emitQRequantize, emitQuantizeF32 } from './elementwise.js';
import { checkQMatMul, emitQMatMul, qmatmulScratchBytes } from './matmul.js';

/**
 * edgec's quantized IR (ir/ops/quantized.ts), bit-exact with targets/reference/kernels/quantized.ts:
 * QConv on 1-D / 2-D maps with output pixels in the SIMD lanes (conv-lanes.ts, conv-depthwise.ts, and
 * integer Winograd for 3x3 stride 1 in conv-winograd4.ts and conv-winograd.ts), 3-D QConv and QMatMul as i16 GEMMs with
 * i32x4.dot_i16x8_s (dot.ts), i64 requantization (numeric.ts), and the per-element ops
 * (elementwise.ts).
 */

/**
 * Which QConv kernel a node gets: Winograd F(4x4) or F(2x2) (3x3 stride 1), depthwise, lanes (1-D / 2-D),
 * or the general dot-product one.
 */
export function qconvKernelOf(node: Node, options: WasmOptions): 'winograd4' | 'winograd' | 'depthwise' | 'lanes' | 'dot' {
  if (options.winograd && options.winograd4 && winograd4ConvUnsuited(node) === null) return 'winograd4';
  if (options.winograd && winogradConvUnsuited(node) === null) return 'winograd';
  if (depthwiseConvUnsuited(node) === null) return 'depthwise';
  return lanesConvUnsuited(node) === null ? 'lanes' : 'dot';
}

export const qopsKernels: WasmKernel = {
  ops: ['QuantizeF32', 'DequantizeF32', 'QRequantize', 'QAdd', 'QGlobalAveragePool', 'QConv', 'QMatMul'],
  check(node) {
    if (node.op === 'QConv') return checkQConv(node);
    if (node.op === 'QMatMul') return checkQMatMul(node);
    return null;
  },
  checkDims(node) {
    return node.op === 'QConv' ? checkQConvGeometry(node) : null;
  },
  scratchBytes(node, options) {
    if (node.op === 'QConv') {
      const scratch = { winograd4: winograd4ScratchBytes, winograd: winogradScratchBytes, depthwise: depthwiseConvScratchBytes, lanes: lanesConvScratchBytes, dot: qconvScratchBytes };
      return scratch[qconvKernelOf(node, options)](node);
    }
    if (node.op === 'QMatMul') return qmatmulScratchBytes(node);
    return 0;
  },
  emit(node, ctx) {
    switch (node.op) {
      case 'QuantizeF32':
        return emitQuantizeF32(node, ctx);
      case 'DequantizeF32':
        return emitDequantizeF32(node, ctx);
      case 'QRequantize':
        return emitQRequantize(node, ctx);
      case 'QAdd':
        return emitQAdd(node, ctx);
      case 'QGlobalAveragePool':
        return emitQGlobalAveragePool(node, ctx);
      case 'QConv': {
        const emitters = { winograd4: emitWinograd4Conv, winograd: emitWinogradConv, depthwise: emitDepthwiseQConv, lanes: emitLanesConv, dot: emitQConv };
        return emitters[qconvKernelOf(node, ctx.options)](node, ctx);
      }
      default:
        return emitQMatMul(node, ctx);
    }
  },
};
