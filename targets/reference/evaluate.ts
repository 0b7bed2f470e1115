import type { Node, Tensor } from '../../ir/index.js';
import { getKernel, kernelContext } from './kernels/index.js';

/**
 * Evaluates one node on the reference kernels: what constant folding uses to compute folded values, so that a
 * folded graph gives exactly what the unfolded one would on the oracle. undefined when there is no kernel.
 */
export function referenceEvaluate(node: Node, inputs: readonly (Tensor | null)[]): Tensor[] | undefined {
  const kernel = getKernel(node.op);
  return kernel ? kernel(inputs, kernelContext(node)) : undefined;
}
