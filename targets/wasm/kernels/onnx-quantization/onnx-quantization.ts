import type { WasmKernel } from '../../kernel.js';
import { checkQuantConv, emitQuantConv } from './conv.js';
import { checkDequantizeLinear, checkDynamicQuantizeLinear, checkQuantizeLinear, emitDequantizeLinear, emitDynamicQuantizeLinear, emitQuantizeLinear, paramLayoutProblem } from './linear.js';
import { checkQuantMatmul, emitQuantMatmul } from './matmul.js';

/**
 * The ONNX quantization ops, with exactly the reference's integer arithmetic and float32 rounding
 * (targets/reference/kernels/onnx-quantization/*): QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear
 * (linear.ts), QLinearMatMul / MatMulInteger (matmul.ts), QLinearConv / ConvInteger (conv.ts).
 */
export const quantKernels: WasmKernel = {
  ops: ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearMatMul', 'MatMulInteger', 'QLinearConv', 'ConvInteger'],
  check(node) {
    switch (node.op) {
      case 'QuantizeLinear':
        return checkQuantizeLinear(node);
      case 'DequantizeLinear':
        return checkDequantizeLinear(node);
      case 'DynamicQuantizeLinear':
        return checkDynamicQuantizeLinear(node);
      default:
        return null;
    }
  },
  /** The matrix products and convolutions read their dims from the first reason on. */
  checkDims(node) {
    switch (node.op) {
      case 'QuantizeLinear':
      case 'DequantizeLinear':
        return paramLayoutProblem(node);
      case 'DynamicQuantizeLinear':
        return null;
      case 'QLinearMatMul':
      case 'MatMulInteger':
        return checkQuantMatmul(node);
      default:
        return checkQuantConv(node);
    }
  },
  emit(node, ctx) {
    switch (node.op) {
      case 'QuantizeLinear':
        return emitQuantizeLinear(node, ctx);
      case 'DequantizeLinear':
        return emitDequantizeLinear(node, ctx);
      case 'DynamicQuantizeLinear':
        return emitDynamicQuantizeLinear(node, ctx);
      case 'QLinearMatMul':
      case 'MatMulInteger':
        return emitQuantMatmul(node, ctx);
      default:
        return emitQuantConv(node, ctx);
    }
  },
};
