import type { RvvKernel } from '../kernel.js';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { gemmKernels } from './gemm.js';
import { movementKernels } from './movement.js';
import { poolKernels } from './pool.js';
import { rowKernels } from './rows.js';
import { qconvKernels } from './qconv.js';
import { qelementwiseKernels } from './qelementwise.js';

/** Every rvv kernel family; each claims a set of IR ops. */
const FAMILIES: readonly RvvKernel[] = [convKernels, gemmKernels, elementwiseKernels, poolKernels, rowKernels, movementKernels, qconvKernels, qelementwiseKernels];

const BY_OP = new Map<string, RvvKernel>();
for (const family of FAMILIES) {
  for (const op of family.ops) {
    if (BY_OP.has(op)) throw new Error(`two rvv kernel families claim ${op}`);
    BY_OP.set(op, family);
  }
}

export function rvvKernelFor(op: string): RvvKernel | undefined {
  return BY_OP.get(op);
}

export function rvvOps(): string[] {
  return [...BY_OP.keys()].sort();
}
