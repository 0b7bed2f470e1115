import type { Graph, Node, Tensor } from '../ir/index.js';

/** Options given to one pass in a pipeline string: `fold-constants{max-bytes=65536}`. */
export type PassOptions = Record<string, string>;

/**
 * A pass rewrites a graph in place and says whether it changed anything. It must be deterministic: it visits
 * nodes in graph order and never depends on the iteration order of maps keyed by names.
 */
export interface Pass {
  readonly name: string;
  readonly description: string;
  /** Option names the pass accepts, with their meaning (for help and for rejecting typos). */
  readonly options?: Record<string, string>;
  /**
   * The pass is about the model graph as a whole (its arena, its calibration), so it does not run inside
   * subgraphs; every other pass runs on each If/Loop/Scan subgraph too (passes/manager.ts).
   */
  readonly modelOnly?: boolean;
  run(graph: Graph, options: PassOptions, context: PassContext): boolean;
}

/** What passes may report besides the graph (e.g. plan-memory's arena size), keyed by pass name. */
export interface PassContext {
  readonly reports: Map<string, unknown>;
  /**
   * Computes a node's outputs from its operands' data (null for omitted operands), or undefined when it cannot.
   * Supplied by whoever runs the pipeline (e.g. the reference kernels): passes/ may not import targets/, so
   * constant folding borrows its arithmetic from here. Without it, nothing is folded by evaluation.
   */
  readonly evaluate?: (node: Node, inputs: readonly (Tensor | null)[]) => Tensor[] | undefined;
}
