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

/** Every wasm kernel family; each claims a set of IR ops. */
const FAMILIES: readonly WasmKernel[] = [
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
];

const BY_OP = new Map<string, WasmKernel>();
for (const family of FAMILIES) {
  for (const op of family.ops) {
    if (BY_OP.has(op)) throw new Error(`two wasm kernel families claim ${op}`);
    BY_OP.set(op, family);
  }
}

export function kernelFor(op: string): WasmKernel | undefined {
  return BY_OP.get(op);
}

export function wasmOps(): string[] {
  return [...BY_OP.keys()].sort();
}
