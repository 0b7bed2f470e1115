import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgecError, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { compileGraph, type CompileResult } from '../driver.js';
import { prepareFeeds, graphSignature, staticInputShapes } from '../feeds.js';
import { inspectModel, loadModel } from '../index.js';
import { compileModel, prepareContract, recordedOptions, sealCompileResult } from '../provenance/compile-model.js';
import { resolveFileBindings, type Bindings } from '../onnx/index.js';
import { cloneGraph, quantizeModel, syntheticInputs } from '../quantize/index.js';
import { checkOutputs, type Outputs } from './compare.js';
import { ortNodePeer, ortWebPeer, type Peer } from './peers.js';
import type { ProfileReport } from './profile.js';
import { NO_PROGRESS, stepCallback, type Progress } from '../progress.js';
import { summarize, type Summary } from './stats.js';
import { timeInterleaved, type Contender } from './timing.js';
import type { BenchPrepared, BenchSpec, TargetEntry } from '../targets/entry.js';
import { targetEntries, targetEntry } from '../targets/registry.js';

/**
 * The engine behind `edgec bench`: for each target and precision it compiles the model (sealed, as `edgec
 * compile` would), checks the result against the reference interpreter, then measures. In-process contenders
 * (wasm, webgpu through Dawn, onnxruntime-node, onnxruntime-web) are timed together, interleaved, in this
 * process; rvv is not timed (qemu's wall time says nothing about RVV speed) but counted: dynamic instructions at
 * one VLEN. A contender that fails or computes a wrong answer is reported with its reason and not measured;
 * the others go on.
 */
export const PRECISIONS = ['fp32', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The peers run the ONNX model as given: fp32 only. */
const PEERS = ['ort-node', 'ort-web'] as const;

/** A registered target with a bench spec (registry order), or a peer. */
export type BenchTarget = string;

/** What `--targets` may name: every registered target that is benchmarked, then the peers. */
export function benchTargets(): BenchTarget[] {
  return [...targetEntries().filter((e) => e.bench).map((e) => e.target.name), ...PEERS];
}

export interface BenchOptions {
  model: string;
  targets: readonly BenchTarget[];
  precisions: readonly Precision[];
  inputShapes?: Record<string, number[]>;
  /** Inputs fixed to constants at compile time (`--bind`); the peers, running the model as given, are fed them. */
  bind?: Bindings;
  runs: number;
  warmup: number;
  seed: number;
  /** Synthetic calibration inputs for int8. */
  calibrate: number;
  vlen: number;
  /** Runs of the wasm profiling build for the per-kernel breakdown (0: none). */
  profileRuns: number;
  /** Sealing as `edgec compile` does: a contract file and a signing key (Ed25519, from readSigningKey). */
  contract?: string;
  signingKey?: KeyObject;
  progress?: Progress;
}

export interface SealSummary {
  digest: string;
  signed: boolean;
  keyid: string | null;
  source: { name: string; sha256: string } | null;
  target: string | null;
  pipeline: string | null;
  builder: Record<string, string>;
  /** The contract's clauses as sealed ({} when the model has none). */
  contract: Record<string, unknown>;
}

export interface KernelShare {
  node: string;
  op: string;
  /** ms per run (timed targets) or instructions (rvv). */
  value: number;
  share: number;
}

export interface ContenderResult {
  target: BenchTarget;
  precision: Precision;
  /** ok: checked and measured; wrong: outputs differ from the reference (not measured); failed: did not run. */
  status: 'ok' | 'wrong' | 'failed';
  problem?: string;
  code?: string;
  check?: { against: 'reference' | 'reference int8 (bit-exact)'; error: number; rtol: number };
  latency?: Summary;
  /** Median of ort-web fp32 over this contender's median (> 1: faster than onnxruntime-web). */
  speedupVsOrtWeb?: number;
  instructions?: { vlen: number; total: number; kernels: KernelShare[] };
  compileMs?: number;
  artifactBytes?: number;
  arenaBytes?: number;
  seal?: SealSummary;
}

export interface BenchReport {
  model: string;
  summary: { nodes: number; ops: Record<string, number>; macs: number | null; parameters: number; parameterBytes: number };
  options: { runs: number; warmup: number; seed: number; calibrate: number; vlen: number };
  machine: { node: string; cpus: number; loadavg: number };
  /** How the in-process contenders were timed. */
  timing: string;
  contenders: ContenderResult[];
  /** Per-kernel time of the slowest timed edgec wasm contender, from its profiling build. */
  profile?: { target: BenchTarget; precision: Precision; report: ProfileReport };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const flat = (outputs: Record<string, Tensor>): Outputs => Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, t.data as ArrayLike<number>]));

/** A compiled, sealed edgec artifact and the optimized graph it came from. */
interface Build {
  bytes: Uint8Array;
  result: CompileResult;
  compileMs: number;
  seal: SealSummary | undefined;
}

function sealSummary(entry: TargetEntry, bytes: Uint8Array, digest: string, keyid: string | null): SealSummary {
  const record = entry.seal!.read(bytes);
  const predicate = record.provenance?.predicate as
    | { buildDefinition?: { externalParameters?: { target?: string; pipeline?: string }; resolvedDependencies?: { name?: string; digest?: Record<string, string>; annotations?: { role?: string } }[] }; runDetails?: { builder?: { version?: Record<string, string> } } }
    | undefined;
  const source = predicate?.buildDefinition?.resolvedDependencies?.find((d) => d.annotations?.role === 'source-model');
  return {
    digest,
    signed: keyid !== null,
    keyid,
    source: source ? { name: source.name ?? '?', sha256: source.digest?.['sha256'] ?? '?' } : null,
    target: predicate?.buildDefinition?.externalParameters?.target ?? null,
    pipeline: predicate?.buildDefinition?.externalParameters?.pipeline ?? null,
    builder: predicate?.runDetails?.builder?.version ?? {},
    contract: (record.contract ?? {}) as Record<string, unknown>,
  };
}

/** Compiles and seals: fp32 from the model file (compileModel, as `edgec compile`), int8 from the quantized graph. */
function build(model: string, entry: TargetEntry, inputShapes: Record<string, number[]>, bound: Map<string, Tensor>, int8: Graph | null, options: BenchOptions): Build {
  const { contract, signingKey, calibrate } = options;
  const started = performance.now();
  const target = entry.target.name;
  const targetOptions = { ...entry.bench!.options };
  if (!int8) {
    const compiled = compileModel(model, { target, inputShapes, bind: Object.fromEntries(bound), targetOptions, contract, signingKey });
    const compileMs = performance.now() - started;
    return { bytes: compiled.bytes, result: compiled, compileMs, seal: compiled.sealed ? sealSummary(entry, compiled.bytes, compiled.sealed.digest, compiled.sealed.keyid) : undefined };
  }
  const graph = cloneGraph(int8);
  const metadata = { ...graph.metadata };
  const resolved = prepareContract(metadata, { contract, modelPath: model, target });
  const result = compileGraph(graph, { target, targetOptions, print: () => {} });
  const recorded = { ...recordedOptions({ optLevel: 2, inputShapes, bind: bound, targetOptions }), quantization: `int8 minmax, synthetic:${calibrate}` };
  const sealed = sealCompileResult(result, { modelPath: model, options: recorded, signingKey }, resolved, metadata);
  const compileMs = performance.now() - started;
  const bytes = sealed?.bytes ?? result.artifact.bytes;
  return { bytes, result, compileMs, seal: sealed ? sealSummary(entry, bytes, sealed.digest, sealed.keyid) : undefined };
}

function arenaOf(result: CompileResult): number | undefined {
  const fromSummary = (result.artifact.summary as { arenaBytes?: number }).arenaBytes;
  if (typeof fromSummary === 'number') return fromSummary;
  return (result.reports.get('plan-memory') as { arenaBytes?: number } | undefined)?.arenaBytes;
}

/** Fills a result from a failure: EdgecErrors keep their code, so a missing tool reads as TOOL_MISSING. */
function failed(r: ContenderResult, e: unknown): void {
  r.status = 'failed';
  r.problem = message(e);
  if (e instanceof EdgecError) r.code = e.code;
}

function checked(r: ContenderResult, actual: Outputs, expected: Outputs, precision: Precision, rtol: number): boolean {
  const check = checkOutputs(actual, expected, precision === 'int8' ? 0 : rtol);
  r.check = { against: precision === 'int8' ? 'reference int8 (bit-exact)' : 'reference', error: check.error, rtol: precision === 'int8' ? 0 : rtol };
  if (!check.ok) {
    r.status = 'wrong';
    r.problem = check.problem;
    r.code = 'WRONG_OUTPUT';
  }
  return check.ok;
}

export async function benchModel(options: BenchOptions): Promise<BenchReport> {
  const progress = options.progress ?? NO_PROGRESS;
  const { model, targets, precisions } = options;
  // Compiled targets need static shapes: symbolic dims become 1, as in `edgec run`.
  const bound = resolveFileBindings(model, options.bind ?? {});
  const bind = Object.fromEntries(bound);
  const declared = loadModel(model, { inputShapes: options.inputShapes, bind });
  const inputShapes = staticInputShapes(graphSignature(declared), options.inputShapes ?? {}, {});
  const graph = loadModel(model, { inputShapes, bind });
  const summary = inspectModel(model, { inputShapes, bind });
  const feeds = prepareFeeds(graph, {}, options.seed).feeds;
  const peerFeeds = { ...feeds, ...bind };
  const onnx = new Uint8Array(readFileSync(model));

  const steps = targets.length * precisions.length;
  progress.start('reference outputs', 1);
  const expected: Record<Precision, Outputs | null> = { fp32: flat(runGraph(graph, feeds)), int8: null };
  progress.done();
  let int8: Graph | null = null;
  if (precisions.includes('int8')) {
    const calibration = syntheticInputs(graph, options.calibrate);
    int8 = quantizeModel(cloneGraph(graph), { calibration, method: 'minmax', progress: stepCallback(progress, `calibrating int8 on ${options.calibrate} synthetic inputs`) }).int8;
    expected.int8 = flat(runGraph(int8, feeds));
  }
  progress.start('compiling and checking', steps);

  const results: ContenderResult[] = [];
  const timed: { result: ContenderResult; contender: Contender; spec?: BenchSpec; profile?: BenchPrepared['profile'] }[] = [];
  const releases: (() => unknown)[] = [];
  let scratch: string | undefined;
  const memo = new Map<string, unknown>();
  const context = {
    feeds,
    vlen: options.vlen,
    progress,
    scratch: () => (scratch ??= mkdtempSync(join(tmpdir(), 'edgec-bench-'))),
    memo: <T>(key: string, make: () => T): T => {
      if (!memo.has(key)) memo.set(key, make());
      return memo.get(key) as T;
    },
  };
  try {
    for (const precision of precisions) {
      for (const target of targets) {
        const r: ContenderResult = { target, precision, status: 'ok' };
        progress.tick(`${target} ${precision}`);
        if ((PEERS as readonly string[]).includes(target)) {
          if (precision === 'int8') continue; // the peers run the model as given
          try {
            const peer: Peer = target === 'ort-web' ? await ortWebPeer(onnx, peerFeeds) : await ortNodePeer(onnx, peerFeeds, { optimized: true });
            releases.push(() => peer.release());
            if (checked(r, await peer.run(), expected.fp32!, 'fp32', 1e-4)) timed.push({ result: r, contender: { name: `${target}/${precision}`, run: () => peer.run() } });
          } catch (e) {
            failed(r, e);
          }
          results.push(r);
          continue;
        }
        try {
          const entry = targetEntry(target);
          const spec = entry.bench;
          if (!spec) throw new EdgecError('USAGE', `target ${target} is not benchmarked`);
          const b = build(model, entry, inputShapes, bound, precision === 'int8' ? int8 : null, options);
          Object.assign(r, { compileMs: b.compileMs, artifactBytes: b.bytes.length, arenaBytes: arenaOf(b.result), seal: b.seal });
          const prepared = await spec.prepare({ bytes: b.bytes, graph: b.result.graph, precision }, context);
          if (prepared.release) releases.push(prepared.release);
          if (checked(r, prepared.outputs, expected[precision]!, precision, spec.rtol)) {
            if (prepared.instructions) r.instructions = { vlen: options.vlen, ...prepared.instructions };
            const run = prepared.run;
            if (run) timed.push({ result: r, contender: { name: `${target}/${precision}`, run: () => run() }, spec, profile: prepared.profile });
          }
        } catch (e) {
          failed(r, e);
        }
        results.push(r);
      }
    }
    progress.done();

    // The CPU contenders are timed interleaved with each other; a target measured 'timed-alone' in a loop of
    // its own. Dawn's SwiftShader (the CPU Vulkan used without a GPU) runs its own worker threads, which compete
    // with the CPU contenders for the cores, and one of its runs lasts as long as hundreds of theirs, so sharing
    // rounds with it would measure SwiftShader's load rather than the contenders.
    const loopOf = (t: (typeof timed)[number]) => (t.spec?.measure === 'timed-alone' ? t.result.target : '');
    const loops = [...new Set(['', ...timed.map(loopOf)])];
    for (const group of loops.map((loop) => timed.filter((t) => loopOf(t) === loop))) {
      if (group.length === 0) continue;
      progress.start(`timing ${group.map((t) => t.contender.name).join(', ')}`, options.runs);
      const samples = await timeInterleaved(group.map((t) => t.contender), { warmup: options.warmup, runs: options.runs, onRun: () => progress.tick() });
      progress.done();
      for (const t of group) t.result.latency = summarize(samples.get(t.contender.name)!);
    }
  } finally {
    for (const release of releases) await release();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }

  const web = results.find((r) => r.target === 'ort-web' && r.latency)?.latency?.median;
  if (web !== undefined) for (const r of results) if (r.latency) r.speedupVsOrtWeb = web / r.latency.median;

  const report: BenchReport = {
    model,
    summary: { nodes: summary.nodes, ops: summary.ops, macs: summary.macs, parameters: summary.parameters, parameterBytes: summary.parameterBytes },
    options: { runs: options.runs, warmup: options.warmup, seed: options.seed, calibrate: options.calibrate, vlen: options.vlen },
    machine: { node: process.version, cpus: cpus().length, loadavg: Number(loadavg()[0]!.toFixed(2)) },
    timing: `wasm and the onnxruntime peers interleaved in one process, ${options.warmup} warm-up rounds (at least 500 ms) then ${options.runs} runs each; webgpu (Dawn) timed the same way in a loop of its own after them, as its CPU Vulkan's threads would load the others; rvv counted under qemu, not timed`,
    contenders: results,
  };

  // The per-kernel breakdown: the slowest timed build of a target with profiling builds (wasm), profiled in a
  // separate build so the hooks' cost never reached the timing above. (webgpu has no per-kernel hooks; rvv's
  // per-kernel counts are above.)
  const slowest = timed.filter((t) => t.profile && t.result.latency).sort((a, c) => c.result.latency!.median - a.result.latency!.median)[0];
  if (slowest && options.profileRuns > 0) {
    progress.start(`profiling ${slowest.contender.name}`, 1);
    try {
      report.profile = { target: slowest.result.target, precision: slowest.result.precision, report: await slowest.profile!({ warmup: options.warmup, runs: options.profileRuns }) };
    } catch (e) {
      report.profile = undefined;
      slowest.result.problem = `profiling failed: ${message(e)}`;
    }
    progress.done();
  }
  return report;
}
