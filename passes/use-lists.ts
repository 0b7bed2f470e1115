import type { Graph, Node, Value } from '../ir/index.js';

/**
 * Use-lists: for every value, the nodes reading it and how often each does (x * x reads x twice). Built once in
 * O(edges) and kept exact by the edits that change operands (adding or removing a node's reads, setting one
 * operand, moving every read of a value to another), each in time proportional to the reads it touches, so no
 * edit rescans the graph.
 *
 * `users` lists the readers in graph order, sorted on demand with the order the caller supplies and cached until
 * the value's readers change; `count` and `readsOnly` need no order and are O(1).
 */
export class UseLists {
  private readonly reads = new Map<Value, Map<Node, number>>();
  private readonly sorted = new Map<Value, Node[]>();

  /** `compare` orders nodes as the graph does (negative when the first comes first). */
  constructor(
    nodes: Iterable<Node>,
    private readonly compare: (a: Node, b: Node) => number,
  ) {
    for (const node of nodes) this.addReads(node);
  }

  /** Number of distinct nodes reading `v`. */
  count(v: Value): number {
    return this.reads.get(v)?.size ?? 0;
  }

  /** Whether `node` is the only node reading `v`. */
  readsOnly(v: Value, node: Node): boolean {
    const readers = this.reads.get(v);
    return readers !== undefined && readers.size === 1 && readers.has(node);
  }

  /** The nodes reading `v`, in graph order, each once. The caller must not modify the array. */
  users(v: Value): readonly Node[] {
    let list = this.sorted.get(v);
    if (!list) {
      list = [...(this.reads.get(v)?.keys() ?? [])].sort(this.compare);
      this.sorted.set(v, list);
    }
    return list;
  }

  /** Records the reads of a node entering the graph. */
  addReads(node: Node): void {
    for (const v of node.inputs) if (v) this.read(v, node, 1);
  }

  /** Forgets the reads of a node leaving the graph; returns the values it read, each once. */
  removeReads(node: Node): Value[] {
    const values: Value[] = [];
    for (const v of node.inputs) {
      if (!v) continue;
      if (!values.includes(v)) values.push(v);
      this.read(v, node, -1);
    }
    return values;
  }

  /** Makes operand `index` of `node` read `to`. */
  setOperand(node: Node, index: number, to: Value | null): void {
    const from = node.inputs[index] ?? null;
    if (from === to) return;
    if (from) this.read(from, node, -1);
    node.inputs[index] = to;
    if (to) this.read(to, node, 1);
  }

  /** Makes every reader of `from` read `to` instead; returns those readers (in no particular order). */
  replaceAllUses(from: Value, to: Value): Node[] {
    if (from === to) return [];
    const readers = [...(this.reads.get(from)?.keys() ?? [])];
    for (const node of readers) {
      node.inputs.forEach((v, i) => {
        if (v === from) node.inputs[i] = to;
      });
      this.read(to, node, this.reads.get(from)!.get(node)!);
    }
    this.reads.delete(from);
    this.sorted.delete(from);
    return readers;
  }

  private read(v: Value, node: Node, delta: number): void {
    let readers = this.reads.get(v);
    if (!readers) this.reads.set(v, (readers = new Map()));
    const n = (readers.get(node) ?? 0) + delta;
    const had = readers.has(node);
    if (n > 0) readers.set(node, n);
    else readers.delete(node);
    if (readers.size === 0) this.reads.delete(v);
    // Only a change in who reads (not in how often) reorders the cached list.
    if (had !== n > 0) this.sorted.delete(v);
  }
}

/**
 * Where use-lists disagree with a recomputation from the graph (`graph.users()`), or null when they agree: every
 * value read by the graph has exactly those readers in graph order, and no other value has readers.
 */
export function useListMismatch(uses: UseLists, graph: Graph): string | null {
  const truth = graph.users();
  const values = new Set<Value>(truth.keys());
  for (const node of graph.nodes) for (const v of node.outputs) values.add(v);
  for (const v of [...graph.inputs, ...graph.constants]) values.add(v);
  for (const v of values) {
    const expected = truth.get(v) ?? [];
    const actual = uses.users(v);
    if (expected.length !== actual.length || expected.some((n, i) => n !== actual[i])) {
      const names = (ns: readonly Node[]) => `[${ns.map((n) => n.label).join(', ')}]`;
      return `%${v.name}: use-lists say ${names(actual)}, the graph says ${names(expected)}`;
    }
  }
  return null;
}
