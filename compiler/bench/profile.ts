import { EdgecError, type Graph } from '../../ir/index.js';
import { load, type Feed, type LoadedModel, type Profiler } from '../../runtime/index.js';
import { wasmTarget } from '../../targets/wasm/index.js';
import { macsOf } from './macs.js';
import { gflops } from './stats.js';
import { timeAlone } from './timing.js';

/**
 * Per-node time of a profiling build (compiled with `profile: true`: the module calls profile_begin/end(node)
 * around every node). Deltas of performance.now() accumulate over runs. The profiling build is its own module
 * instance, used only here, so the hooks' cost never reaches the interleaved timing runs.
 */
export class NodeProfiler implements Profiler {
  readonly total: Float64Array;
  private readonly started: Float64Array;

  constructor(nodes: number) {
    this.total = new Float64Array(nodes);
    this.started = new Float64Array(nodes);
  }
  begin(node: number): void {
    this.started[node] = performance.now();
  }
  end(node: number): void {
    this.total[node] += performance.now() - this.started[node]!;
  }
  reset(): void {
    this.total.fill(0);
  }
}

export interface NodeTime {
  name: string;
  op: string;
  /** Milliseconds per run. */
  ms: number;
  /** Of the summed node time. */
  share: number;
  macs: number;
  /** Only for nodes that do MACs. */
  gflops?: number;
}

export interface OpTime {
  op: string;
  nodes: number;
  ms: number;
  share: number;
  macs: number;
  gflops?: number;
}

export interface ProfileReport {
  runs: number;
  /** Sum of node times per run (the hooks' own cost between nodes is not in it). */
  totalMs: number;
  byOp: OpTime[];
  /** Nodes, slowest first. */
  byNode: NodeTime[];
}

/** Turns accumulated totals into per-run times, by op and by node, slowest first. */
export function profileReport(nodes: readonly { name: string; op: string; macs: number }[], total: ArrayLike<number>, runs: number): ProfileReport {
  const perRun = nodes.map((n, i) => ({ ...n, ms: total[i]! / runs }));
  const totalMs = perRun.reduce((s, n) => s + n.ms, 0);
  const share = (ms: number) => (totalMs > 0 ? ms / totalMs : 0);
  const byNode: NodeTime[] = perRun
    .map((n) => ({ name: n.name, op: n.op, ms: n.ms, share: share(n.ms), macs: n.macs, ...(n.macs > 0 && n.ms > 0 ? { gflops: gflops(n.macs, n.ms) } : {}) }))
    .sort((a, b) => b.ms - a.ms);
  const ops = new Map<string, OpTime>();
  for (const n of perRun) {
    const o = ops.get(n.op) ?? { op: n.op, nodes: 0, ms: 0, share: 0, macs: 0 };
    o.nodes++;
    o.ms += n.ms;
    o.macs += n.macs;
    ops.set(n.op, o);
  }
  const byOp = [...ops.values()]
    .map((o) => ({ ...o, share: share(o.ms), ...(o.macs > 0 && o.ms > 0 ? { gflops: gflops(o.macs, o.ms) } : {}) }))
    .sort((a, b) => b.ms - a.ms);
  return { runs, totalMs, byOp, byNode };
}

/** A profiling build of the already optimized graph: a separate module whose hooks call `profiler`. */
export async function loadProfiled(optimized: Graph, profiler: Profiler): Promise<LoadedModel> {
  const artifact = wasmTarget.compile(optimized, { profile: true });
  const model = await load(artifact.bytes, { profiler });
  if (model.kind !== 'wasm') throw new EdgecError('RUNTIME', 'a wasm build loaded as another kind of artifact');
  return model;
}


/**
 * The per-node profile of the optimized graph's wasm build: a profiling build, warmed up as the timed module
 * is (so both run optimized code), then `runs` runs accumulated.
 */
export async function profileWasmBuild(optimized: Graph, feeds: Record<string, Feed>, options: { warmup: number; runs: number }): Promise<ProfileReport> {
  const profiler = new NodeProfiler(optimized.nodes.length);
  const model = await loadProfiled(optimized, profiler);
  timeAlone(() => model.run(feeds), { warmup: options.warmup, runs: 0 });
  profiler.reset();
  for (let i = 0; i < options.runs; i++) model.run(feeds);
  const nodes = (model.nodes ?? []).map((n, i) => ({ ...n, macs: macsOf(optimized.nodes[i]!) }));
  return profileReport(nodes, profiler.total, options.runs);
}
