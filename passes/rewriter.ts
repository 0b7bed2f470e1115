import { Node, Value, type Graph } from '../ir/index.js';

/**
 * Graph surgery for passes: replacing uses, inserting and erasing nodes, keeping the graph in topological order
 * and the producer links intact. Every helper works in graph order so passes stay deterministic.
 */

/**
 * Makes every reader of `from` read `to` instead. A graph output keeps its name, which users rely on: `to` takes
 * the name over when it is an intermediate; when `to` is a graph input, a constant or another output, the output
 * cannot move and `from` stays (returns false, so the caller keeps its producer).
 */
export function replaceAllUses(graph: Graph, from: Value, to: Value): boolean {
  for (const node of graph.nodes) {
    node.inputs.forEach((v, i) => {
      if (v === from) node.inputs[i] = to;
    });
  }
  return moveGraphOutput(graph, from, to);
}

/**
 * The graph-output half of replaceAllUses, for callers that move the node operands themselves (through
 * use-lists): when `from` is a graph output, `to` takes its place and name, unless `to` is pinned (returns false).
 */
export function moveGraphOutput(graph: Graph, from: Value, to: Value): boolean {
  const outputAt = graph.outputs.indexOf(from);
  if (outputAt < 0) return true;
  const pinned = to.producer === null || graph.outputs.includes(to);
  if (pinned) return false;
  to.name = from.name;
  graph.outputs[outputAt] = to;
  return true;
}

/** Inserts nodes just before `anchor` (or at the end when anchor is not in the graph). */
export function insertBefore(graph: Graph, anchor: Node, nodes: Node[]): void {
  const at = graph.nodes.indexOf(anchor);
  graph.nodes.splice(at < 0 ? graph.nodes.length : at, 0, ...nodes);
}

/** Removes nodes from the graph (their outputs must be unused by then). */
export function eraseNodes(graph: Graph, nodes: Iterable<Node>): void {
  const doomed = new Set(nodes);
  if (doomed.size > 0) graph.nodes = graph.nodes.filter((n) => !doomed.has(n));
}

/** Names not yet used by any value of the graph, derived from a base name. */
export class NameAllocator {
  private readonly taken: Set<string>;

  constructor(graph: Graph) {
    this.taken = new Set(graph.valuesByName().keys());
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }
}

/** Adds a constant to the graph under a fresh name. */
export function addConstant(graph: Graph, names: NameAllocator, base: string, data: Value['data'] & object): Value {
  const v = new Value(names.fresh(base), { dtype: data.dtype, shape: [...data.shape] }, data);
  graph.constants.push(v);
  return v;
}

/** Drops constants nobody reads any more. */
export function pruneConstants(graph: Graph): number {
  const used = new Set<Value>(graph.outputs);
  // Only constants need remembering (far fewer set insertions than every operand).
  for (const n of graph.nodes) for (const v of n.inputs) if (v?.data) used.add(v);
  const before = graph.constants.length;
  graph.constants = graph.constants.filter((c) => used.has(c));
  return before - graph.constants.length;
}

export { Node, Value };
