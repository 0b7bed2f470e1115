import { cloneGraph, Graph, Node, Value, type Attributes } from '../ir/index.js';
import { addConstant, type NameAllocator } from './rewriter.js';
import { refreshTypes } from './util-types.js';

/**
 * Inlining a subgraph into the graph that holds it (fold-if takes a branch, unroll-loops copies a body once
 * per iteration). A subgraph is closed, so inlining is a renaming: its inputs and captures become the outer
 * values bound to them, its constants and nodes are copied under fresh names, and its outputs are whatever
 * its output values became. Subgraphs of copied nodes are deep-copied, so each copy owns its own.
 */
export interface Inlined {
  nodes: Node[];
  outputs: Value[];
}

/** Copies `sub` into `graph` (constants added, nodes returned for the caller to place) with `bindings` for its inputs then captures. */
export function inlineSubgraph(graph: Graph, names: NameAllocator, sub: Graph, bindings: readonly Value[], prefix: string): Inlined {
  const map = new Map<Value, Value>();
  [...sub.inputs, ...sub.captures].forEach((v, i) => map.set(v, bindings[i]!));
  for (const c of sub.constants) {
    const copy = addConstant(graph, names, `${prefix}${c.name}`, c.data!);
    if (c.quant) copy.quant = c.quant;
    map.set(c, copy);
  }
  const nodes = sub.nodes.map((n) => {
    const attrs: Attributes = {};
    for (const [k, v] of Object.entries(n.attrs)) attrs[k] = v instanceof Graph ? cloneGraph(v) : v;
    const outputs = n.outputs.map((o) => {
      const copy = new Value(names.fresh(`${prefix}${o.name}`), o.type);
      if (o.quant) copy.quant = o.quant;
      map.set(o, copy);
      return copy;
    });
    return new Node(n.op, n.inputs.map((v) => (v ? map.get(v)! : null)), outputs, attrs, n.name ? `${prefix}${n.name}` : '');
  });
  return { nodes, outputs: sub.outputs.map((v) => map.get(v)!) };
}

/**
 * Replaces each node for which `expand` gives straight-line code by that code, in place, then points the
 * readers of its outputs at the code's outputs and re-infers types. Returns how many nodes were replaced.
 */
export function expandNodes(graph: Graph, expand: (node: Node) => Inlined | undefined): number {
  const nodes: Node[] = [];
  const rebind: [Value, Value][] = [];
  let expanded = 0;
  for (const node of graph.nodes) {
    const made = expand(node);
    if (!made) {
      nodes.push(node);
      continue;
    }
    nodes.push(...made.nodes);
    node.outputs.forEach((out, i) => rebind.push([out, made.outputs[i]!]));
    expanded++;
  }
  graph.nodes = nodes;
  for (const [from, to] of rebind) {
    const identity = rebindValue(graph, from, to);
    if (identity) graph.nodes.push(identity);
  }
  if (expanded > 0) refreshTypes(graph);
  return expanded;
}

/**
 * Makes the readers of `from` read `to` instead. When `from` is a graph output that cannot move to `to` (a
 * graph input, a constant or another output), returns an Identity node that keeps producing `from`.
 */
function rebindValue(graph: Graph, from: Value, to: Value): Node | undefined {
  for (const node of graph.nodes) {
    node.inputs.forEach((v, i) => {
      if (v === from) node.inputs[i] = to;
    });
  }
  if (!graph.outputs.includes(from)) return undefined;
  if (to.producer === null || graph.outputs.includes(to)) return new Node('Identity', [to], [from]);
  to.name = from.name;
  graph.outputs = graph.outputs.map((v) => (v === from ? to : v));
  return undefined;
}
