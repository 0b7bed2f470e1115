import { EdgecError, type Graph, type Node } from '../ir/index.js';
import type { OptLevel } from '../passes/pipelines.js';
import { optimize, unsupportedNodes } from './driver.js';
import { cloneGraph } from './quantize/clone.js';
import { targetEntry, targetNames } from './targets/registry.js';

/**
 * Which targets can compile a model, op by op, before compiling it. Each target decides with its own node check
 * (attributes, element types, shapes), applied to the graph it would compile: the imported graph (shapes made
 * static) after the target's pipeline at the chosen -O level. An unsupported node of that graph is mapped back
 * to the model's op it came from: the source node of the same name, else the one that produced its output
 * (fusions keep the anchor's name or the last output); a node that maps to neither counts under its own op.
 */

export interface TargetSupport {
  target: string;
  /** Whether the target compiles the whole model. */
  compiles: boolean;
  /** Why the target's pipeline itself failed (then no node was checked). */
  problem?: string;
  /** Every node the target cannot compile, with the model op it maps back to. */
  unsupported: { op: string; node: string; reason: string }[];
}

export interface OpSupport {
  op: string;
  /** Nodes of this op in the imported model. */
  count: number;
  /** Per target: true when it compiles every node of the op, false when not, null when its pipeline failed. */
  targets: Record<string, boolean | null>;
}

export interface SupportMatrix {
  optLevel: OptLevel;
  targets: TargetSupport[];
  ops: OpSupport[];
}

export interface SupportOptions {
  /** Registered targets to check (default: all, in registry order). */
  targets?: readonly string[];
  /** Optimization level of the pipelines run before the checks; default 2. */
  optLevel?: OptLevel;
}

/** The model's op for each node name and each output value name of the imported graph. */
function sourceOps(graph: Graph): { byNode: Map<string, string>; byOutput: Map<string, string> } {
  const byNode = new Map<string, string>();
  const byOutput = new Map<string, string>();
  for (const n of graph.nodes) {
    if (n.name) byNode.set(n.name, n.op);
    for (const v of n.outputs) byOutput.set(v.name, n.op);
  }
  return { byNode, byOutput };
}

function sourceOpOf(node: Node, sources: ReturnType<typeof sourceOps>): string {
  const named = node.name ? sources.byNode.get(node.name) : undefined;
  if (named) return named;
  for (const v of node.outputs) {
    const op = sources.byOutput.get(v.name);
    if (op) return op;
  }
  return node.op;
}

function checkTarget(graph: Graph, target: string, optLevel: OptLevel, sources: ReturnType<typeof sourceOps>): TargetSupport {
  const optimized = cloneGraph(graph);
  let result;
  try {
    result = optimize(optimized, { target, optLevel, print: () => {} });
  } catch (e) {
    if (!(e instanceof EdgecError)) throw e;
    return { target, compiles: false, problem: `${e.code}: ${e.message}`, unsupported: [] };
  }
  const unsupported = unsupportedNodes(optimized, result.target).map(({ node, reason }) => ({ op: sourceOpOf(node, sources), node: node.label, reason }));
  return { target, compiles: unsupported.length === 0, unsupported };
}

/** The support matrix of an imported graph whose input shapes are static. */
export function supportMatrix(graph: Graph, options: SupportOptions = {}): SupportMatrix {
  const optLevel = options.optLevel ?? 2;
  const names = options.targets ?? targetNames();
  for (const name of names) targetEntry(name);
  const sources = sourceOps(graph);
  const targets = names.map((name) => checkTarget(graph, name, optLevel, sources));
  const counts = new Map<string, number>();
  for (const n of graph.nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  for (const t of targets) for (const u of t.unsupported) if (!counts.has(u.op)) counts.set(u.op, 0);
  const ops = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, count]) => ({
      op,
      count,
      targets: Object.fromEntries(targets.map((t) => [t.target, t.problem ? null : !t.unsupported.some((u) => u.op === op)])),
    }));
  return { optLevel, targets, ops };
}
