import type { Node } from '../ir/index.js';

/**
 * The greedy driver's worklist, in sweeps over the graph in graph order. Within a sweep nodes are taken by their
 * position at the start of the sweep (a binary min-heap of positions, so the order never depends on names or
 * hashing). A node pushed while the sweep is before it joins this sweep; a node the sweep has passed, or one
 * created during it (it has no position yet), waits for the next sweep, as in a sweep that walks a snapshot of
 * the node list. Push and take are O(log n); a sweep over every node is O(n).
 */
export class Worklist {
  private position = new Map<Node, number>();
  private nodes: readonly Node[] = [];
  private heap: number[] = [];
  private queued = new Uint8Array(0);
  private cursor = -1;
  private pending = new Set<Node>();

  /** `accepts` says which nodes are ever worth offering (the others are left out of every sweep). */
  constructor(private readonly accepts: (node: Node) => boolean) {}

  /** Starts a sweep over `nodes` (the graph's order now): every node, or those pushed for it since the last one. */
  startSweep(all: readonly Node[], everyNode: boolean): void {
    const nodes = all.filter(this.accepts);
    this.nodes = nodes;
    this.position = new Map(nodes.map((n, i) => [n, i]));
    this.queued = new Uint8Array(nodes.length);
    this.cursor = -1;
    if (everyNode) {
      // Ascending positions already form a min-heap.
      this.heap = nodes.map((_, i) => i);
      this.queued.fill(1);
    } else {
      this.heap = [];
      for (const node of this.pending) {
        const at = this.position.get(node);
        if (at !== undefined) this.enqueue(at);
      }
    }
    this.pending.clear();
  }

  /** The next node of the sweep, or undefined when the sweep is done. */
  next(): Node | undefined {
    if (this.heap.length === 0) return undefined;
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    this.cursor = top;
    return this.nodes[top];
  }

  push(node: Node): void {
    if (!this.accepts(node)) return;
    const at = this.position.get(node);
    if (at !== undefined && at > this.cursor) this.enqueue(at);
    else this.pending.add(node);
  }

  /** Ends the sweep: what is pushed from now on (by clean-up between sweeps) waits for the next one. */
  endSweep(): void {
    this.cursor = Infinity;
  }

  private enqueue(at: number): void {
    if (this.queued[at]) return;
    this.queued[at] = 1;
    const heap = this.heap;
    let i = heap.push(at) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = at;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const x = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1]! < heap[child]!) child++;
      if (heap[child]! >= x) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = x;
  }
}
