import { KernelTable } from '../../shared/kernel.js';
import type { WasmKernel } from '../kernel.js';
import { viewKernels } from './views.js';
import { elementwiseKernels } from './elementwise.js';
import { reduceKernels } from './reduce.js';
import { poolKernels } from './pool.js';
import { softmaxKernels } from './softmax.js';
import { normKernels } from './norm.js';
import { resizeKernels } from './resize.js';
import { convKernels } from './conv.js';
import { gemmKernels } from './gemm.js';
import { matmulKernels } from './matmul.js';
import { movementKernels } from './movement.js';
import { castKernels } from './cast.js';
import { convTransposeKernels } from './conv-transpose.js';
import { quantKernels } from './quant.js';
import { qopsKernels } from './qops.js';

/** Every wasm kernel family by the ops it claims. */
export const WASM_KERNELS = new KernelTable<WasmKernel>('wasm', [
  viewKernels,
  elementwiseKernels,
  reduceKernels,
  poolKernels,
  softmaxKernels,
  normKernels,
  resizeKernels,
  convKernels,
  gemmKernels,
  matmulKernels,
  movementKernels,
  castKernels,
  convTransposeKernels,
  quantKernels,
  qopsKernels,
]);

export const kernelFor = (op: string): WasmKernel | undefined => WASM_KERNELS.kernelFor(op);

export const wasmOps = (): string[] => WASM_KERNELS.ops();
