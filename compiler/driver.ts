import type { Graph, Node } from '../ir/index.js';
import { formatTimings, runPipeline, type PassTiming } from '../passes/manager.js';
import type { OptLevel } from '../passes/pipelines.js';
import { PASSES } from '../passes/registry.js';
import type { Artifact, Target } from '../targets/index.js';
import { referenceEvaluate } from '../targets/reference/index.js';
import { targetEntry } from './targets/registry.js';
import { checkSupported, unsupportedBy } from '../targets/shared/compilable.js';

/**
 * The compile driver: optimize a graph with the target's pipeline (or the user's), check that the target
 * supports every node (all problems reported at once), then generate the artifact.
 */
export interface OptimizeOptions {
  target?: string;
  /** Optimization level for the target's standard pipeline; default 2. */
  optLevel?: OptLevel;
  /** A pipeline string that replaces the target's. */
  passes?: string;
  verifyEach?: boolean;
  printAfter?: readonly string[] | 'all';
  timePasses?: boolean;
  /** Where --print-after and --time-passes output goes (default stderr). */
  print?: (text: string) => void;
}

export interface OptimizeResult {
  graph: Graph;
  target: Target;
  pipeline: string;
  timings: PassTiming[];
  reports: Map<string, unknown>;
}

/** Runs the pipeline in place on the graph. */
export function optimize(graph: Graph, options: OptimizeOptions = {}): OptimizeResult {
  const target = targetEntry(options.target ?? 'reference').target;
  const pipeline = options.passes ?? target.pipeline(options.optLevel ?? 2);
  const print = options.print ?? ((text: string) => void process.stderr.write(text));
  const { timings, reports } = runPipeline(graph, pipeline, PASSES, {
    verifyEach: options.verifyEach,
    printAfter: options.printAfter,
    print,
    evaluate: referenceEvaluate,
  });
  if (options.timePasses) print(`pass timings (${target.name}):\n${formatTimings(timings)}`);
  return { graph, target, pipeline, timings, reports };
}

/** Nodes the target cannot compile, with reasons. */
export function unsupportedNodes(graph: Graph, target: Target): { node: Node; reason: string }[] {
  return unsupportedBy(graph, (node) => target.check(node));
}

export interface CompileResult extends OptimizeResult {
  artifact: Artifact;
}

/** Optimizes the graph for the target and generates its artifact. */
export function compileGraph(graph: Graph, options: OptimizeOptions & { targetOptions?: Record<string, unknown> } = {}): CompileResult {
  const result = optimize(graph, options);
  checkSupported(graph, result.target.name, (node) => result.target.check(node));
  return { ...result, artifact: result.target.compile(graph, options.targetOptions ?? {}) };
}
