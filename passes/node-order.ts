import type { Node } from '../ir/index.js';

/**
 * The order of a graph's nodes while a rewrite driver edits it: a doubly linked list, so inserting before a node
 * and erasing one take O(1) instead of an O(n) splice of `graph.nodes`, and membership is a map lookup instead of
 * an O(n) `includes`.
 *
 * Every node carries a numeric key increasing along the list, so two nodes compare in O(1) (users are reported in
 * graph order). A node inserted between keys p < a gets (p + a) / 2; when the doubles between p and a run out
 * (after some 70 insertions into one gap) the whole list is renumbered, O(n) but rare, so insertion stays O(1)
 * amortized for the few nodes a rewrite inserts before each anchor.
 */
interface Link {
  prev: Node | null;
  next: Node | null;
  key: number;
}

/** Key spacing after renumbering: room for about 20 halvings before precision runs out as well. */
const GAP = 1 << 20;

export class NodeOrder {
  private readonly links = new Map<Node, Link>();
  private head: Node | null = null;
  private tail: Node | null = null;

  constructor(nodes: Iterable<Node>) {
    for (const node of nodes) this.insertBefore(node, null);
  }

  get size(): number {
    return this.links.size;
  }

  has(node: Node): boolean {
    return this.links.has(node);
  }

  /** Negative when `a` comes before `b` (both must be in the list). */
  compare(a: Node, b: Node): number {
    return this.links.get(a)!.key - this.links.get(b)!.key;
  }

  /** Inserts `node` right before `anchor`, or at the end when the anchor is null or not in the list. */
  insertBefore(node: Node, anchor: Node | null): void {
    const at = anchor ? this.links.get(anchor) : undefined;
    if (!at) {
      const last = this.tail ? this.links.get(this.tail)! : undefined;
      this.links.set(node, { prev: this.tail, next: null, key: last ? last.key + GAP : 0 });
      if (last) last.next = node;
      else this.head = node;
      this.tail = node;
      return;
    }
    const before = at.prev ? this.links.get(at.prev)! : undefined;
    let key = ((before ? before.key : at.key - 2 * GAP) + at.key) / 2;
    if (before && !(before.key < key && key < at.key)) {
      this.renumber();
      key = (before.key + at.key) / 2;
    }
    this.links.set(node, { prev: at.prev, next: anchor, key });
    if (before) before.next = node;
    else this.head = node;
    at.prev = node;
  }

  remove(node: Node): void {
    const link = this.links.get(node);
    if (!link) return;
    if (link.prev) this.links.get(link.prev)!.next = link.next;
    else this.head = link.next;
    if (link.next) this.links.get(link.next)!.prev = link.prev;
    else this.tail = link.prev;
    this.links.delete(node);
  }

  toArray(): Node[] {
    const nodes: Node[] = [];
    for (let n = this.head; n; n = this.links.get(n)!.next) nodes.push(n);
    return nodes;
  }

  private renumber(): void {
    let key = 0;
    for (let n = this.head; n; n = this.links.get(n)!.next) {
      this.links.get(n)!.key = key;
      key += GAP;
    }
  }
}
