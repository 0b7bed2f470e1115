import { Graph, Node, Value } from '../../ir/index.js';

/**
 * A structural copy of a graph: new values and nodes, constant data shared (passes replace constants rather
 * than write into them). The quantizer keeps the float graph while it builds QDQ and int8 variants of it.
 */
export function cloneGraph(graph: Graph): Graph {
  const map = new Map<Value, Value>();
  const copy = (v: Value): Value => {
    let c = map.get(v);
    if (!c) {
      c = new Value(v.name, { dtype: v.type.dtype, shape: [...v.type.shape] }, v.data);
      if (v.quant) c.quant = { scale: [...v.quant.scale], zeroPoint: [...v.quant.zeroPoint], ...(v.quant.axis === undefined ? {} : { axis: v.quant.axis }) };
      if (v.arenaOffset !== undefined) c.arenaOffset = v.arenaOffset;
      map.set(v, c);
    }
    return c;
  };
  const out = new Graph(graph.name, graph.inputs.map(copy), [], graph.constants.map(copy), [], { ...graph.metadata });
  for (const n of graph.nodes) {
    const attrs = Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as Node['attrs'];
    out.nodes.push(new Node(n.op, n.inputs.map((v) => (v ? copy(v) : null)), n.outputs.map(copy), attrs, n.name));
  }
  out.outputs = graph.outputs.map(copy);
  return out;
}
