import type { WasmKernel } from '../kernel.js';
import { viewKernels } from './views.js';

/** Every wasm kernel family; each claims a set of IR ops. */
const FAMILIES: readonly WasmKernel[] = [viewKernels];

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
