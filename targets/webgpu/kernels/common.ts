import { isStaticShape, type Node } from '../../../ir/index.js';

/** The first operand or result that is not f32 with a static shape, as a reason; null when all are. */
export function needsStaticF32(node: Node, operands: readonly number[] | 'all' = 'all'): string | null {
  const inputs = operands === 'all' ? node.inputs : operands.map((i) => node.inputs[i] ?? null);
  for (const v of [...inputs, ...node.outputs]) {
    if (!v) continue;
    if (!isStaticShape(v.type.shape)) return `%${v.name} has a symbolic shape; the webgpu target needs static shapes`;
    if (v.type.dtype !== 'f32') return `the webgpu ${node.op} kernel handles f32 only (%${v.name} is ${v.type.dtype})`;
  }
  return null;
}

/** Reason when some operand or result has a symbolic shape. */
export function needsStaticShapes(node: Node): string | null {
  for (const v of [...node.inputs, ...node.outputs]) {
    if (v && !isStaticShape(v.type.shape)) return `%${v.name} has a symbolic shape; the webgpu target needs static shapes`;
  }
  return null;
}

/** Reason when a node has more results in use than the kernel computes (e.g. MaxPool's Indices). */
export function onlyFirstOutput(node: Node): string | null {
  return node.outputs.length > 1 ? `${node.op} with ${node.outputs.length} results is not supported (only the first)` : null;
}
