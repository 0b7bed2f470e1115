import { EdgecError, getAttr, type AttrValue, type Node, type Tensor } from '../../../ir/index.js';

/**
 * A reference kernel computes one IR op with ONNX semantics. Kernels favour clarity over speed: they are the
 * numerical oracle for every other target and every pass.
 */
export interface KernelContext {
  readonly node: Node;
  /** The attribute's value, or its schema default. */
  attr<T extends AttrValue>(name: string): T;
  hasAttr(name: string): boolean;
  fail(message: string): never;
}

export type Kernel = (inputs: readonly (Tensor | null)[], ctx: KernelContext) => Tensor[];

const kernels = new Map<string, Kernel>();

export function registerKernels(table: Record<string, Kernel>): void {
  for (const [op, kernel] of Object.entries(table)) {
    if (kernels.has(op)) throw new Error(`reference kernel for ${op} registered twice`);
    kernels.set(op, kernel);
  }
}

export function getKernel(op: string): Kernel | undefined {
  return kernels.get(op);
}

export function kernelOps(): string[] {
  return [...kernels.keys()].sort();
}

export function kernelContext(node: Node): KernelContext {
  return {
    node,
    attr: <T extends AttrValue>(name: string) => getAttr<T>(node, name),
    hasAttr: (name) => node.attrs[name] !== undefined,
    fail: (message) => {
      throw new EdgecError('RUNTIME', message, { node: node.label, op: node.op });
    },
  };
}
