import type { GpuKernel } from '../kernel.js';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { int8Kernels } from './int8.js';
import { matmulKernels } from './matmul.js';
import { movementKernels } from './movement.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';
import { rowKernels } from './rows.js';
import { selectKernels } from './select.js';

/** Every WebGPU kernel family; each claims a set of IR ops. */
const FAMILIES: readonly GpuKernel[] = [elementwiseKernels, convKernels, matmulKernels, poolKernels, rowKernels, reduceKernels, movementKernels, int8Kernels, selectKernels];

const BY_OP = new Map<string, GpuKernel>();
for (const family of FAMILIES) {
  for (const op of family.ops) {
    if (BY_OP.has(op)) throw new Error(`two webgpu kernel families claim ${op}`);
    BY_OP.set(op, family);
  }
}

export const gpuKernelFor = (op: string): GpuKernel | undefined => BY_OP.get(op);

export const webgpuOps = (): string[] => [...BY_OP.keys()].sort();
