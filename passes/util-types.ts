import { EdgecError, formatType, inferNodeTypes, sameType, type Graph } from '../ir/index.js';

/**
 * Re-infers every node's output types in graph order. Folding an operand into a constant (a Reshape target, a
 * Slice bound) lets inference see more, so the types downstream become more precise; the verifier requires
 * them to equal what inference gives. Returns whether any type changed.
 */
export function refreshTypes(graph: Graph): boolean {
  let changed = false;
  for (const node of graph.nodes) {
    const types = inferNodeTypes(node);
    node.outputs.forEach((out, i) => {
      const t = types[i]!;
      if (sameType(out.type, t)) return;
      // Inference only sharpens a type here; a different dtype or rank would mean a broken rewrite upstream.
      if (out.type.dtype !== t.dtype || out.type.shape.length !== t.shape.length) {
        throw new EdgecError('VERIFY', `%${out.name} changed type from ${formatType(out.type)} to ${formatType(t)} after a rewrite`, {
          node: node.label,
          op: node.op,
        });
      }
      out.type = t;
      changed = true;
    });
  }
  return changed;
}
