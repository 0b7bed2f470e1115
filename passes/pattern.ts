import { EdgecError, inferNodeTypes, Node, Value, type Attributes, type Graph, type Tensor } from '../ir/index.js';
import { addConstant, eraseNodes, insertBefore, NameAllocator, pruneConstants, replaceAllUses } from './rewriter.js';

/**
 * Local rewrites as patterns, run by one greedy driver to a fixed point (in the spirit of MLIR's greedy pattern
 * rewrite driver). A pattern looks at a root node and its operands; when it matches it rewrites through the
 * PatternRewriter, which keeps the graph typed, ordered and named.
 */
export interface RewritePattern {
  readonly name: string;
  /** Ops the root node may have; the driver only offers those. */
  readonly roots: readonly string[];
  /** Rewrites at `root` and returns true, or returns false without touching the graph. */
  rewrite(root: Node, rewriter: PatternRewriter): boolean;
}

export class PatternRewriter {
  private usersCache: Map<Value, Node[]> | null = null;
  private readonly names: NameAllocator;
  /** Node the rewrite is anchored at: new nodes go right before it, so operands stay defined before use. */
  anchor: Node | null = null;

  constructor(readonly graph: Graph) {
    this.names = new NameAllocator(graph);
  }

  /** Nodes reading `value`, in graph order. */
  users(value: Value): Node[] {
    this.usersCache ??= this.graph.users();
    return this.usersCache.get(value) ?? [];
  }

  /** Whether `value` is read only by `node` and is not a graph output (so `node` may absorb its producer). */
  hasSingleUse(value: Value, node: Node): boolean {
    const users = this.users(value);
    return users.length === 1 && users[0] === node && !this.graph.outputs.includes(value);
  }

  freshName(base: string): string {
    return this.names.fresh(base);
  }

  constant(base: string, data: Tensor): Value {
    this.invalidate();
    return addConstant(this.graph, this.names, base, data);
  }

  /** Creates a typed node right before the anchor and returns its outputs. */
  create(op: string, inputs: (Value | null)[], attrs: Attributes = {}, options: { name?: string; outputs?: string[] } = {}): Value[] {
    const outputNames = options.outputs ?? [`${options.name ?? op.toLowerCase()}`];
    const outputs = outputNames.map((n) => new Value(this.names.fresh(n), { dtype: 'f32', shape: [] }));
    const node = new Node(op, inputs, outputs, attrs, options.name ?? '');
    const types = inferNodeTypes(node);
    outputs.forEach((v, i) => (v.type = types[i]!));
    if (!this.anchor) throw new EdgecError('VERIFY', 'PatternRewriter.create called outside a rewrite');
    insertBefore(this.graph, this.anchor, [node]);
    this.invalidate();
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
        keep ||= this.users(out).length > 0 || this.graph.outputs.includes(out);
        return;
      }
      if (!replaceAllUses(this.graph, out, v)) keep = true;
      this.invalidate();
    });
    if (!keep) this.erase(node);
  }

  erase(node: Node): void {
    eraseNodes(this.graph, [node]);
    this.invalidate();
  }

  invalidate(): void {
    this.usersCache = null;
  }
}

export interface GreedyOptions {
  /** Sweeps over the graph before giving up on a fixed point. */
  maxIterations?: number;
}

/**
 * Applies patterns greedily, sweeping the graph in order until no pattern applies. Nodes whose outputs become
 * unused are erased and constants nobody reads are dropped. Returns whether anything changed.
 */
export function applyPatternsGreedily(graph: Graph, patterns: readonly RewritePattern[], options: GreedyOptions = {}): boolean {
  const byRoot = new Map<string, RewritePattern[]>();
  for (const p of patterns) for (const op of p.roots) byRoot.set(op, [...(byRoot.get(op) ?? []), p]);
  const rewriter = new PatternRewriter(graph);
  const maxIterations = options.maxIterations ?? 20;
  let changedEver = false;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = false;
    for (const node of [...graph.nodes]) {
      if (!graph.nodes.includes(node)) continue;
      for (const pattern of byRoot.get(node.op) ?? []) {
        rewriter.anchor = node;
        if (pattern.rewrite(node, rewriter)) {
          changed = true;
          break;
        }
      }
    }
    rewriter.anchor = null;
    changed = eraseDeadNodes(graph) || changed;
    if (!changed) break;
    changedEver = true;
  }
  pruneConstants(graph);
  return changedEver;
}

/** Erases nodes none of whose outputs is used or is a graph output (all IR ops are free of side effects). */
export function eraseDeadNodes(graph: Graph): boolean {
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
  eraseNodes(graph, dead);
  return dead.length > 0;
}
