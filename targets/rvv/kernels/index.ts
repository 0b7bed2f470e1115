import { KernelTable } from '../../shared/kernel.js';
import type { RvvKernel } from '../kernel.js';
import { argKernels } from './arg.js';
import { castKernels } from './cast.js';
import { convKernels } from './conv.js';
import { convTransposeKernels } from './conv-transpose.js';
import { elementwiseKernels } from './elementwise.js';
import { gatherElementsKernels } from './gather.js';
import { gemmKernels } from './gemm.js';
import { lrnKernels } from './lrn.js';
import { movementKernels } from './movement.js';
import { normKernels } from './norm.js';
import { onnxQuantizationKernels } from './onnx-quantization.js';
import { onnxQuantizationMatmulKernels } from './onnx-quantization-matmul.js';
import { poolKernels } from './pool.js';
import { resizeKernels } from './resize.js';
import { reduceKernels } from './reduce.js';
import { rowKernels } from './rows.js';
import { qconvKernels } from './quantized-conv.js';
import { qelementwiseKernels } from './quantized-elementwise.js';

/** Every rvv kernel family by the ops it claims. */
export const RVV_KERNELS = new KernelTable<RvvKernel>('rvv', [convKernels, gemmKernels, elementwiseKernels, poolKernels, rowKernels, movementKernels, qconvKernels, qelementwiseKernels, lrnKernels, convTransposeKernels, resizeKernels, argKernels, castKernels, gatherElementsKernels, normKernels, onnxQuantizationKernels, onnxQuantizationMatmulKernels, reduceKernels]);

export const rvvKernelFor = (op: string): RvvKernel | undefined => RVV_KERNELS.kernelFor(op);

export const rvvOps = (): string[] => RVV_KERNELS.ops();
