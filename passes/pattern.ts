import { EdgecError, inferNodeTypes, Node, Value, type Attributes, type Graph, type Tensor } from '../ir/index.js';
import { NodeOrder } from './node-order.js';
import { addConstant, eraseNodes, moveGraphOutput, NameAllocator, pruneConstants } from './rewriter.js';
import { UseLists } from './use-lists.js';
import { Worklist } from './worklist.js';

/**
 * Local rewrites as patterns, run by one greedy worklist driver to a fixed point (MLIR's greedy pattern rewrite
 * driver). A pattern looks at a root node and its neighbourhood; when it matches it rewrites through the
 * PatternRewriter, which keeps the graph typed, ordered and named, and keeps use-lists (value -> reading nodes)
 * exact as it creates, replaces and erases nodes, so no query or edit rescans the graph.
 */
export interface RewritePattern {
  readonly name: string;
  /** Ops the root node may have; the driver only offers those. */
  readonly roots: readonly string[];
  /** Rewrites at `root` and returns true, or returns false without touching the graph. */
  rewrite(root: Node, rewriter: PatternRewriter): boolean;
}

/**
 * A value that lost a reader may let its remaining readers match (a pattern testing for one reader, or two: x
 * read by Sigmoid and Mul for SiLU); they are revisited when at most this many remain. Past that, no pattern
 * here cares, and revisiting every reader of a weight shared by hundreds of MatMuls would cost O(readers) per edit.
 */
const FEW_READERS = 2;

export class PatternRewriter {
  // Built on first use: a pass whose patterns never match pays for none of them.
  private names: NameAllocator | null = null;
  private orderOrNull: NodeOrder | null = null;
  private uses: UseLists | null = null;
  private outputs: Set<Value>;
  private edits = 0;
  /** Node the rewrite is anchored at: new nodes go right before it, so operands stay defined before use. */
  anchor: Node | null = null;
  /** Told of every node whose neighbourhood an edit changed (the driver revisits them). */
  onTouched: (node: Node) => void = () => {};
  /** Told of every node that may have lost its last reader (the driver erases dead nodes). */
  onMaybeDead: (node: Node) => void = () => {};

  constructor(readonly graph: Graph) {
    this.outputs = new Set(graph.outputs);
  }

  /** Nodes reading `value`, in graph order. */
  users(value: Value): Node[] {
    return this.useLists().users(value) as Node[];
  }

  /** Whether `value` is read only by `node` and is not a graph output (so `node` may absorb its producer). */
  hasSingleUse(value: Value, node: Node): boolean {
    return this.useLists().readsOnly(value, node) && !this.outputs.has(value);
  }

  /** Whether `node` is still in the graph (it is gone once erased); O(1), unlike `graph.nodes.includes`. */
  contains(node: Node): boolean {
    return this.orderOrNull ? this.orderOrNull.has(node) : true;
  }

  /** Whether the rewriter has edited operands or nodes since it was made or reloaded (until then `graph.nodes` is exact). */
  get edited(): boolean {
    return this.edits > 0;
  }

  freshName(base: string): string {
    return this.nameAllocator().fresh(base);
  }

  constant(base: string, data: Tensor): Value {
    return addConstant(this.graph, this.nameAllocator(), base, data);
  }

  /** Creates a typed node right before the anchor and returns its outputs. */
  create(op: string, inputs: (Value | null)[], attrs: Attributes = {}, options: { name?: string; outputs?: string[] } = {}): Value[] {
    const outputNames = options.outputs ?? [`${options.name ?? op.toLowerCase()}`];
    const outputs = outputNames.map((n) => new Value(this.freshName(n), { dtype: 'f32', shape: [] }));
    const node = new Node(op, inputs, outputs, attrs, options.name ?? '');
    const types = inferNodeTypes(node);
    outputs.forEach((v, i) => (v.type = types[i]!));
    if (!this.anchor) throw new EdgecError('VERIFY', 'PatternRewriter.create called outside a rewrite');
    this.edits++;
    this.order.insertBefore(node, this.anchor);
    this.useLists().addReads(node);
    this.onTouched(node);
    // The producers of its operands gained a reader.
    for (const v of inputs) if (v?.producer) this.onTouched(v.producer);
    return outputs;
  }

  /**
   * Replaces the node's outputs by `values` (one per output; null leaves that output alone) and erases the node
   * when none of its outputs is used any more.
   */
  replace(node: Node, values: (Value | null)[]): void {
    let keep = false;
    node.outputs.forEach((out, i) => {
      const v = values[i];
      if (v === null || v === undefined) {
        keep ||= this.useLists().count(out) > 0 || this.outputs.has(out);
        return;
      }
      if (!this.replaceAllUses(out, v)) keep = true;
    });
    if (!keep) this.erase(node);
  }

  erase(node: Node): void {
    if (!this.order.has(node)) return;
    this.edits++;
    this.order.remove(node);
    for (const v of this.useLists().removeReads(node)) this.lostReader(v);
  }

  /** Makes operand `index` of `node` read `value`, keeping the use-lists exact (instead of writing `node.inputs`). */
  setOperand(node: Node, index: number, value: Value | null): void {
    const from = node.inputs[index] ?? null;
    this.edits++;
    this.useLists().setOperand(node, index, value);
    this.onTouched(node);
    if (from) this.lostReader(from);
    if (value?.producer) this.onTouched(value.producer);
  }

  /**
   * Says that the graph's operands were edited behind the rewriter's back: the use-lists are rebuilt (O(n)) before
   * the next query, and every node is checked for death after the sweep. Prefer `setOperand`, which costs O(1).
   */
  invalidate(): void {
    this.edits++;
    this.uses = null;
    // Which nodes lost their last reader is unknown: the clean-up after the sweep looks at every node.
    for (const node of this.order.toArray()) this.onMaybeDead(node);
  }

  /** The node order, as `graph.nodes` must read once the driver is done (it writes it back after every sweep). */
  nodes(): Node[] {
    return this.orderOrNull ? this.orderOrNull.toArray() : this.graph.nodes;
  }

  /** The use-lists, for checking them against a recomputation. */
  useLists(): UseLists {
    if (!this.uses) {
      const order = this.order;
      this.uses = new UseLists(order.toArray(), (a, b) => order.compare(a, b));
    }
    return this.uses;
  }

  /** Forgets what it built from `graph.nodes`, after someone else edited them (the driver's first clean-up). */
  reload(): void {
    this.orderOrNull = null;
    this.uses = null;
    this.outputs = new Set(this.graph.outputs);
    this.edits = 0;
  }

  private get order(): NodeOrder {
    return (this.orderOrNull ??= new NodeOrder(this.graph.nodes));
  }

  private nameAllocator(): NameAllocator {
    return (this.names ??= new NameAllocator(this.graph));
  }

  /** Every reader of `from` reads `to`; a graph output moves too unless it is pinned (see moveGraphOutput). */
  private replaceAllUses(from: Value, to: Value): boolean {
    this.edits++;
    for (const reader of this.useLists().replaceAllUses(from, to)) this.onTouched(reader);
    if (to.producer) this.onTouched(to.producer);
    if (from.producer) this.lostReader(from);
    if (!this.outputs.has(from)) return true;
    const moved = moveGraphOutput(this.graph, from, to);
    if (moved) this.outputs = new Set(this.graph.outputs);
    return moved;
  }

  /** `v` lost a reader: its producer may be dead or absorbable, and its few remaining readers may now match. */
  private lostReader(v: Value): void {
    const readers = this.useLists().count(v);
    if (v.producer) {
      this.onTouched(v.producer);
      if (readers === 0) this.onMaybeDead(v.producer);
    }
    if (readers > 0 && readers <= FEW_READERS) for (const r of this.useLists().users(v)) this.onTouched(r);
  }

  /**
   * Erases `candidates` that are dead (no output read, none a graph output), then the producers that become dead
   * in turn; returns how many were erased. Starting from every node whose outputs lost their last reader, this
   * finds every dead node, as a graph is acyclic.
   */
  eraseDead(candidates: Iterable<Node>): number {
    const stack = [...candidates];
    let erased = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (!this.order.has(node) || node.outputs.some((v) => this.useLists().count(v) > 0 || this.outputs.has(v))) continue;
      this.order.remove(node);
      erased++;
      for (const v of this.useLists().removeReads(node)) {
        this.lostReader(v);
        if (v.producer && this.useLists().count(v) === 0) stack.push(v.producer);
      }
    }
    return erased;
  }
}

export interface GreedyOptions {
  /** Sweeps that change the graph before giving up on a fixed point. */
  maxIterations?: number;
}

/**
 * Applies patterns greedily until none applies; nodes whose outputs become unused are erased and constants
 * nobody reads are dropped. Returns whether anything changed.
 *
 * Worklist driver: the first sweep offers every node, in graph order. A rewrite puts the nodes whose
 * neighbourhood it changed back on the worklist (the readers of replaced values, the producers of operands that
 * gained or lost a reader, the remaining readers of a value left with few, the nodes it created): those after the
 * current node in graph order are offered in this sweep, the others (and new nodes) in the next, again in graph
 * order. At the end of each sweep dead nodes are erased (what they read goes on the worklist too) and
 * `graph.nodes` is written back. When a sweep of the worklist changes nothing, one more sweep offers every node,
 * for patterns that look further than one step (fold-transposes looks up to 8 nodes down a chain); the fixed
 * point is reached when that sweep changes nothing either. Each sweep costs O(nodes offered), each edit
 * O(reads it touches).
 */
export function applyPatternsGreedily(graph: Graph, patterns: readonly RewritePattern[], options: GreedyOptions = {}): boolean {
  const byRoot = new Map<string, RewritePattern[]>();
  for (const p of patterns) for (const op of p.roots) byRoot.set(op, [...(byRoot.get(op) ?? []), p]);
  const rewriter = new PatternRewriter(graph);
  const maxIterations = options.maxIterations ?? 20;
  // Only nodes some pattern may root at are ever offered.
  const worklist = new Worklist((node) => byRoot.has(node.op));
  const maybeDead = new Set<Node>();
  rewriter.onTouched = (node) => worklist.push(node);
  rewriter.onMaybeDead = (node) => maybeDead.add(node);

  let changedEver = false;
  let changingSweeps = 0;
  let everyNode = true;
  let firstSweep = true;
  // What a liveness walk found read when the first sweep changed nothing: it also tells which constants are read.
  let liveWhenUntouched: Set<Value> | undefined;
  try {
    for (;;) {
      worklist.startSweep(graph.nodes, everyNode);
      let changed = false;
      for (let node = worklist.next(); node; node = worklist.next()) {
        if (!rewriter.contains(node)) continue;
        for (const pattern of byRoot.get(node.op) ?? []) {
          rewriter.anchor = node;
          if (pattern.rewrite(node, rewriter)) {
            changed = true;
            break;
          }
        }
      }
      rewriter.anchor = null;
      worklist.endSweep();
      let nextEveryNode = !changed;
      if (firstSweep && !rewriter.edited) {
        // Nothing matched: graph.nodes is exact, and one liveness walk erases what was dead on arrival. The
        // rewriter rebuilds what it knew, and the next sweep offers every node again.
        const { live, dead } = liveness(graph);
        if (dead.length > 0) {
          eraseNodes(graph, dead);
          changed = true;
          nextEveryNode = true;
          rewriter.reload();
        } else {
          liveWhenUntouched = live;
        }
      } else {
        if (firstSweep) {
          // Dead on arrival: erased with what the rewrites left dead.
          for (const node of rewriter.nodes()) if (node.outputs.every((v) => rewriter.useLists().count(v) === 0)) maybeDead.add(node);
        }
        if (rewriter.eraseDead(maybeDead) > 0) changed = true;
        graph.nodes = rewriter.nodes();
      }
      maybeDead.clear();
      firstSweep = false;
      if (changed) {
        changedEver = true;
        if (++changingSweeps >= maxIterations) break;
        everyNode = nextEveryNode;
      } else if (everyNode) {
        break;
      } else {
        everyNode = true;
      }
    }
  } finally {
    rewriter.anchor = null;
    graph.nodes = rewriter.nodes();
  }
  if (changedEver || !liveWhenUntouched) pruneConstants(graph);
  else graph.constants = graph.constants.filter((c) => liveWhenUntouched.has(c));
  return changedEver;
}

/** Erases nodes none of whose outputs is used or is a graph output (all IR ops are free of side effects). */
export function eraseDeadNodes(graph: Graph): boolean {
  const { dead } = liveness(graph);
  eraseNodes(graph, dead);
  return dead.length > 0;
}

/** Values read by live nodes or output by the graph, and the nodes that are dead, by one walk from the outputs. */
function liveness(graph: Graph): { live: Set<Value>; dead: Node[] } {
  const live = new Set<Value>(graph.outputs);
  const dead: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (node.outputs.some((v) => live.has(v))) {
      for (const v of node.inputs) if (v) live.add(v);
    } else {
      dead.push(node);
    }
  }
  return { live, dead };
}
