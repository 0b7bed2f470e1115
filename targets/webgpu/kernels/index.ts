import { KernelTable } from '../../shared/kernel.js';
import type { GpuKernel } from '../kernel.js';
import { castKernels } from './cast.js';
import { convKernels } from './conv.js';
import { convTransposeKernels } from './conv-transpose.js';
import { elementwiseKernels } from './elementwise.js';
import { int8Kernels } from './quantized.js';
import { lrnKernels } from './lrn.js';
import { matmulKernels } from './matmul.js';
import { movementKernels } from './movement.js';
import { onnxQuantizationKernels } from './onnx-quantization.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';
import { resizeKernels } from './resize.js';
import { rowKernels } from './rows.js';
import { selectKernels } from './select.js';

/** Every WebGPU kernel family by the ops it claims. */
export const WEBGPU_KERNELS = new KernelTable<GpuKernel>('webgpu', [elementwiseKernels, convKernels, matmulKernels, poolKernels, rowKernels, reduceKernels, movementKernels, int8Kernels, selectKernels, lrnKernels, convTransposeKernels, resizeKernels, castKernels, onnxQuantizationKernels]);

export const gpuKernelFor = (op: string): GpuKernel | undefined => WEBGPU_KERNELS.kernelFor(op);

export const webgpuOps = (): string[] => WEBGPU_KERNELS.ops();
