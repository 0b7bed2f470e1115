import { EdgecError, nestedGraphs, printGraph, verifyGraph, type Graph } from '../ir/index.js';
import type { Pass, PassContext } from './pass.js';
import { parsePipeline, type PipelineStep } from './pipeline.js';

export interface PipelineRunOptions {
  /** Run the IR verifier after every pass (always on in tests). */
  verifyEach?: boolean;
  /** Print the IR after these passes ('all' for every one). */
  printAfter?: readonly string[] | 'all';
  /** Where printed IR and timings go. */
  print?: (text: string) => void;
  /** How passes may evaluate a node on constant operands (see PassContext.evaluate). */
  evaluate?: PassContext['evaluate'];
}

export interface PassTiming {
  pass: string;
  milliseconds: number;
  changed: boolean;
  nodesAfter: number;
}

export interface PipelineResult {
  timings: PassTiming[];
  reports: Map<string, unknown>;
}

/**
 * Runs a pipeline of registered passes over the graph, in place. Unknown pass names and options are all
 * reported before anything runs. Each pass runs on every If/Loop/Scan subgraph too, innermost first (from a
 * worklist of the nested graphs, no recursion), then on the model graph, unless it is modelOnly. A subgraph is
 * closed (its outer reads are captures, see ir/graph.ts), so a pass treats it like any graph; it must keep its
 * inputs, captures and outputs, which the node holding it binds by position.
 */
export function runPipeline(
  graph: Graph,
  pipeline: string | readonly PipelineStep[],
  registry: ReadonlyMap<string, Pass>,
  options: PipelineRunOptions = {},
): PipelineResult {
  const steps = typeof pipeline === 'string' ? parsePipeline(pipeline) : pipeline;
  const problems: string[] = [];
  for (const step of steps) {
    const pass = registry.get(step.name);
    if (!pass) {
      problems.push(`unknown pass '${step.name}'`);
      continue;
    }
    for (const key of Object.keys(step.options)) {
      if (!pass.options || !(key in pass.options)) problems.push(`pass '${step.name}' has no option '${key}'`);
    }
  }
  if (problems.length > 0) {
    throw new EdgecError('USAGE', `${problems.join('; ')} (passes: ${[...registry.keys()].sort().join(', ')})`);
  }
  const context: PassContext = { reports: new Map(), evaluate: options.evaluate };
  const timings: PassTiming[] = [];
  const print = options.print ?? ((text: string) => process.stderr.write(text));
  for (const step of steps) {
    const pass = registry.get(step.name)!;
    const started = performance.now();
    const scopes = pass.modelOnly ? [graph] : nestedGraphs(graph).reverse();
    let changed = false;
    for (const scope of scopes) changed = pass.run(scope, step.options, context) || changed;
    const milliseconds = performance.now() - started;
    timings.push({ pass: step.name, milliseconds, changed, nodesAfter: graph.nodes.length });
    if (options.verifyEach) {
      try {
        verifyGraph(graph);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        throw new EdgecError('VERIFY', `after pass '${step.name}': ${message}`);
      }
    }
    const printAfter = options.printAfter;
    if (printAfter === 'all' || printAfter?.includes(step.name)) {
      print(`// ----- IR after ${step.name} -----\n${printGraph(graph, { elideAboveBytes: 256 })}`);
    }
  }
  return { timings, reports: context.reports };
}

/** A table of per-pass wall time, as `--time-passes` prints it. */
export function formatTimings(timings: readonly PassTiming[]): string {
  const total = timings.reduce((s, t) => s + t.milliseconds, 0);
  const width = Math.max(4, ...timings.map((t) => t.pass.length));
  const lines = timings.map(
    (t) => `  ${t.pass.padEnd(width)}  ${t.milliseconds.toFixed(2).padStart(9)} ms  ${t.changed ? 'changed' : '       '}  ${t.nodesAfter} nodes`,
  );
  lines.push(`  ${'total'.padEnd(width)}  ${total.toFixed(2).padStart(9)} ms`);
  return lines.join('\n') + '\n';
}
