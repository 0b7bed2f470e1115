import type { Node } from '../../ir/index.js';

/**
 * What every target checks of a view node (OpTraits.view) beyond moving operand 0's bytes to output 0. Only
 * inference Dropout has more to it: training mode is refused (as by the reference), and its optional mask output
 * is all true, which a target writes only if it says so (`fillsMask`).
 */
export function viewProblem(node: Node, { fillsMask }: { fillsMask: boolean }): string | null {
  if (node.op !== 'Dropout') return null;
  const training = node.inputs[2];
  if (training?.data && Number(training.data.data[0]) !== 0) return 'Dropout with training_mode = true is not supported (inference only)';
  const mask = node.outputs[1];
  if (mask && !fillsMask) return 'the Dropout mask output is not supported by this target (remove-identity drops an unused one)';
  return null;
}
