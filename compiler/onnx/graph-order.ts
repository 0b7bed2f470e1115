import { EdgecError } from '../../ir/index.js';
import type { NodeProto } from './proto.js';

/** How messages name an ONNX node: its name, else its first output, else its op type. */
export function nodeLabel(node: NodeProto): string {
  return node.name || (node.output ?? []).find((o) => o !== '') || node.opType || '';
}

/**
 * Checks the SSA rules of an ONNX graph (every value defined once, every read defined somewhere) and returns
 * the nodes in topological order. ONNX requires nodes to be sorted already; we sort anyway to be robust to
 * sloppy exporters, keeping the given order where it is valid. A real cycle is ONNX_INVALID naming a node on it.
 */
export function orderNodes(
  nodes: readonly NodeProto[],
  predefined: ReadonlyMap<string, string>,
  file?: string,
  /** Names a node reads besides its inputs (what its subgraphs read from this graph). */
  extraReads: (node: NodeProto) => readonly string[] = () => [],
): NodeProto[] {
  const reads = (node: NodeProto) => [...(node.input ?? []), ...extraReads(node)];
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const name of node.output ?? []) {
      if (name === '') continue;
      const before = predefined.get(name) ?? (producer.has(name) ? `node '${nodeLabel(nodes[producer.get(name)!]!)}'` : undefined);
      if (before !== undefined) {
        throw new EdgecError('ONNX_INVALID', `value '${name}' is defined twice: by ${before} and by this node`, {
          file,
          node: nodeLabel(node),
          op: node.opType ?? '',
        });
      }
      producer.set(name, i);
    }
  });
  for (const node of nodes) {
    for (const name of reads(node)) {
      if (name !== '' && !predefined.has(name) && !producer.has(name)) {
        throw new EdgecError('ONNX_INVALID', `input '${name}' is not defined by any node, graph input or initializer`, {
          file,
          node: nodeLabel(node),
          op: node.opType ?? '',
        });
      }
    }
  }

  // Dependencies on other nodes, by index.
  const deps = nodes.map((node) => {
    const set = new Set<number>();
    for (const name of reads(node)) {
      const p = name === '' ? undefined : producer.get(name);
      if (p !== undefined) set.add(p);
    }
    return set;
  });
  if (deps.every((set, i) => [...set].every((p) => p < i))) return [...nodes];

  const users: number[][] = nodes.map(() => []);
  const pending = deps.map((set) => set.size);
  deps.forEach((set, i) => set.forEach((p) => users[p]!.push(i)));
  const ready: number[] = [];
  pending.forEach((n, i) => {
    if (n === 0) ready.push(i);
  });
  const order: number[] = [];
  const emitted = new Uint8Array(nodes.length);
  for (let head = 0; head < ready.length; head++) {
    const i = ready[head]!;
    order.push(i);
    emitted[i] = 1;
    for (const u of users[i]!) if (--pending[u]! === 0) ready.push(u);
  }
  if (order.length < nodes.length) {
    // Walk back along unemitted producers from any stuck node until one repeats: that one is on a cycle.
    let at = emitted.indexOf(0);
    const seen = new Set<number>();
    while (!seen.has(at)) {
      seen.add(at);
      at = [...deps[at]!].find((p) => !emitted[p])!;
    }
    const node = nodes[at]!;
    throw new EdgecError('ONNX_INVALID', 'the graph has a cycle through this node', { file, node: nodeLabel(node), op: node.opType ?? '' });
  }
  return order.map((i) => nodes[i]!);
}
