import type { Node } from '../../../ir/index.js';

/** The first of the operands (all, or those listed) and results that is not f32, as a reason; null when all are. */
export function needsF32(node: Node, operands: readonly number[] | 'all' = 'all'): string | null {
  const inputs = operands === 'all' ? node.inputs : operands.map((i) => node.inputs[i] ?? null);
  for (const v of [...inputs, ...node.outputs]) {
    if (v?.type.dtype === 'f64') return `f64 arithmetic cannot run on webgpu: WGSL has no 64-bit floats (%${v.name} is f64; Cast to f32 first)`;
    if (v && v.type.dtype !== 'f32') return `the webgpu ${node.op} kernel handles f32 only (%${v.name} is ${v.type.dtype})`;
  }
  return null;
}

/** Reason when a node has more results in use than the kernel computes (e.g. MaxPool's Indices). */
export function onlyFirstOutput(node: Node): string | null {
  return node.outputs.length > 1 ? `${node.op} with ${node.outputs.length} results is not supported (only the first)` : null;
}
