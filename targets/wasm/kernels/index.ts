import { KernelTable } from '../../shared/kernel.js';
import type { WasmKernel } from '../kernel.js';
import { viewKernels } from './movement/views.js';
import { elementwiseKernels } from './elementwise/elementwise.js';
import { reduceKernels } from './reduce/reduce.js';
import { poolKernels } from './pool/pool.js';
import { softmaxKernels } from './reduce/softmax.js';
import { normKernels } from './reduce/norm.js';
import { lrnKernels } from './reduce/lrn.js';
import { resizeKernels } from './resize/resize.js';
import { convKernels } from './conv/conv.js';
import { gemmKernels } from './gemm/gemm.js';
import { matmulKernels } from './gemm/matmul.js';
import { movementKernels } from './movement/movement.js';
import { castKernels } from './cast/cast.js';
import { convTransposeKernels } from './conv/conv-transpose.js';
import { quantKernels } from './onnx-quantization/onnx-quantization.js';
import { qopsKernels } from './quantized/quantized.js';
import { widenHalves } from './widen-halves.js';

/** Every wasm kernel family by the ops it claims (the f32-only float families also run f16/bf16 in f32: widen-halves.ts). */
export const WASM_KERNELS = new KernelTable<WasmKernel>('wasm', [
  viewKernels,
  elementwiseKernels,
  widenHalves(reduceKernels),
  widenHalves(poolKernels),
  widenHalves(softmaxKernels),
  widenHalves(normKernels),
  widenHalves(lrnKernels),
  widenHalves(resizeKernels),
  widenHalves(convKernels),
  widenHalves(gemmKernels),
  widenHalves(matmulKernels),
  movementKernels,
  castKernels,
  widenHalves(convTransposeKernels),
  quantKernels,
  qopsKernels,
]);

export const kernelFor = (op: string): WasmKernel | undefined => WASM_KERNELS.kernelFor(op);

export const wasmOps = (): string[] => WASM_KERNELS.ops();
