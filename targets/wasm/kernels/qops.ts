import type { WasmKernel } from '../kernel.js';
import { checkQConv, emitQConv, qconvScratchBytes } from './qops-conv.js';
import { checkStatic, emitDequantizeF32, emitQAdd, emitQGlobalAveragePool, emitQRequantize, emitQuantizeF32 } from './qops-elementwise.js';
import { checkQMatMul, emitQMatMul, qmatmulScratchBytes } from './qops-matmul.js';

/**
 * edgec's quantized IR (ir/ops/quantized.ts), bit-exact with targets/reference/kernels/quantized.ts:
 * QConv / QMatMul as i16 GEMMs with i32x4.dot_i16x8_s (qops-dot.ts), i64 requantization (qops-numeric.ts),
 * and the per-element ops (qops-elementwise.ts).
 */
export const qopsKernels: WasmKernel = {
  ops: ['QuantizeF32', 'DequantizeF32', 'QRequantize', 'QAdd', 'QGlobalAveragePool', 'QConv', 'QMatMul'],
  check(node) {
    if (node.op === 'QConv') return checkQConv(node);
    if (node.op === 'QMatMul') return checkQMatMul(node);
    return checkStatic(node);
  },
  scratchBytes(node) {
    if (node.op === 'QConv') return qconvScratchBytes(node);
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
      case 'QConv':
        return emitQConv(node, ctx);
      default:
        return emitQMatMul(node, ctx);
    }
  },
};
