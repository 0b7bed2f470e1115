import { EdgecError, isStaticShape, type Graph, type Node } from '../../ir/index.js';

/** Every node a target cannot compile, with the reason (`check` returns null for a supported node). */
export function unsupportedBy(graph: Graph, check: (node: Node) => string | null): { node: Node; reason: string }[] {
  return graph.nodes.flatMap((node) => {
    const reason = check(node);
    return reason ? [{ node, reason }] : [];
  });
}

/** Throws one UNSUPPORTED_OP error listing every node the target cannot compile (with node names), if any. */
export function checkSupported(graph: Graph, target: string, check: (node: Node) => string | null): void {
  const problems = unsupportedBy(graph, check);
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.node.op} (node '${p.node.label}'): ${p.reason}`).join('; ');
  throw new EdgecError('UNSUPPORTED_OP', `the ${target} target cannot compile ${problems.length} node${problems.length > 1 ? 's' : ''}: ${list}`);
}

/**
 * What a code-generating target checks before it makes any code: every node supported (all problems
 * listed at once, with node names), plan-memory has placed every value, and the I/O shapes are static.
 */
export function checkCompilable(graph: Graph, target: string, check: (node: Node) => string | null): void {
  checkSupported(graph, target, check);
  const unplaced = [...graph.inputs, ...graph.nodes.flatMap((n) => n.outputs)].filter((v) => v.arenaOffset === undefined);
  if (unplaced.length > 0) throw new EdgecError('VERIFY', `the ${target} target needs plan-memory to have run (%${unplaced[0]!.name} has no arena offset)`);
  for (const v of [...graph.inputs, ...graph.outputs]) {
    if (!isStaticShape(v.type.shape)) throw new EdgecError('BAD_SHAPE', `the ${target} target needs static shapes; fix %${v.name} with --input-shape`);
  }
}
