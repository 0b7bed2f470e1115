import { Graph, Node, Value, type Attributes } from './graph.js';

/**
 * Subgraphs: a control-flow node (If, Loop, Scan) holds its branches or body as graph-valued attributes. Each
 * subgraph is closed: what it reads of enclosing graphs arrives through its captures (Graph.captures), which the
 * node receives as trailing operands. Nesting depth comes from the model, so every walk here uses an explicit
 * worklist, never recursion.
 */

/** The node's subgraphs with their attribute names, sorted by name. */
export function subgraphsOf(node: Node): [string, Graph][] {
  const out: [string, Graph][] = [];
  for (const name of Object.keys(node.attrs).sort()) {
    const v = node.attrs[name];
    if (v instanceof Graph) out.push([name, v]);
  }
  return out;
}

export function hasSubgraphs(node: Node): boolean {
  return Object.values(node.attrs).some((v) => v instanceof Graph);
}

/** How many trailing operands of the node are captures (the captures of its subgraphs; 0 without any). */
export function captureCount(node: Node): number {
  const first = subgraphsOf(node)[0];
  return first ? first[1].captures.length : 0;
}

/** The operands the node's op defines (If's condition, Loop's M, cond and initial values...), captures excluded. */
export function ownOperands(node: Node): (Value | null)[] {
  return node.inputs.slice(0, node.inputs.length - captureCount(node));
}

/** The operands bound to the node's subgraph captures, in capture order. */
export function captureOperands(node: Node): (Value | null)[] {
  return node.inputs.slice(node.inputs.length - captureCount(node));
}

/** Every graph nested in `root` (root included), outer before inner: each graph comes before its subgraphs. */
export function nestedGraphs(root: Graph): Graph[] {
  const order: Graph[] = [root];
  for (let head = 0; head < order.length; head++) {
    for (const node of order[head]!.nodes) for (const [, g] of subgraphsOf(node)) order.push(g);
  }
  return order;
}

/** Whether any node of the graph holds a subgraph. */
export function hasControlFlow(graph: Graph): boolean {
  return graph.nodes.some(hasSubgraphs);
}

function copyValue(v: Value): Value {
  const c = new Value(v.name, { dtype: v.type.dtype, shape: [...v.type.shape] }, v.data);
  if (v.quant) c.quant = { scale: [...v.quant.scale], zeroPoint: [...v.quant.zeroPoint], ...(v.quant.axis === undefined ? {} : { axis: v.quant.axis }) };
  if (v.arenaOffset !== undefined) c.arenaOffset = v.arenaOffset;
  return c;
}

/**
 * A deep copy of the graph: new values and nodes, subgraphs copied too (tensor data is shared: IR tensors are
 * never written in place). Uses of values outside the graph (there are none in a verified graph) stay shared.
 */
export function cloneGraph(root: Graph): Graph {
  const copyOf = (g: Graph) => new Graph(g.name, [], [], [], [], { ...g.metadata });
  const top = copyOf(root);
  const work: [Graph, Graph][] = [[root, top]];
  while (work.length > 0) {
    const [src, dst] = work.pop()!;
    const map = new Map<Value, Value>();
    const copy = (v: Value) => {
      let c = map.get(v);
      if (!c) map.set(v, (c = copyValue(v)));
      return c;
    };
    dst.inputs = src.inputs.map(copy);
    dst.captures = src.captures.map(copy);
    dst.constants = src.constants.map(copy);
    for (const n of src.nodes) {
      const attrs: Attributes = {};
      for (const [k, v] of Object.entries(n.attrs)) {
        if (v instanceof Graph) {
          const sub = copyOf(v);
          work.push([v, sub]);
          attrs[k] = sub;
        } else attrs[k] = Array.isArray(v) ? ([...v] as typeof v) : v;
      }
      dst.nodes.push(new Node(n.op, n.inputs.map((v) => (v ? copy(v) : null)), n.outputs.map(copy), attrs, n.name));
    }
    dst.outputs = src.outputs.map(copy);
  }
  return top;
}
