/**
 * The model benchmark: edgec (wasm target) against onnxruntime-web (wasm, SIMD, 1 thread) and onnxruntime-node
 * (CPU, 1 thread), in one process, on the same seeded input, interleaved, after checking every side's outputs
 * against onnxruntime-node with graph optimizations off. See docs in bench/README.md and
 * ../shared/docs/BENCHMARKS.md.
 *
 *   npx tsc -p . && node dist/bench/models.js [--models a,b] [--runs 20] [--warmup 5] [--json] [--markdown]
 *                                             [--no-profile] [--profile-runs 10] [--top 8] [--seed 42]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { prepareFeeds } from '../compiler/feeds.js';
import type { Graph, Tensor } from '../ir/index.js';
import { checkOutputs, type Check, type Outputs } from '../compiler/bench/compare.js';
import type { Feed } from '../runtime/index.js';
import { compileModel, importStatic, load, locateTrap, type UnsupportedOp } from './edgec.js';
import { formatBytes, formatMs, formatNumber, formatPercent, formatRatio, formatSpread, formatTable, type Cell } from '../compiler/bench/format.js';
import { graphMacs } from '../compiler/bench/macs.js';
import { paint, progress } from '../compiler/bench/paint.js';
import { ortNodePeer, ortWebPeer, type Peer } from '../compiler/bench/peers.js';
import { profileWasmBuild, type ProfileReport } from '../compiler/bench/profile.js';
import { DEFAULT_MODELS, resolveModel, SYNTHETIC } from './sources.js';
import { gflops, summarize, type Summary } from '../compiler/bench/stats.js';
import { timeInterleaved, type Contender } from '../compiler/bench/timing.js';

interface Side {
  /** ok: checked and timed; wrong: outputs differ from the oracle (not timed); failed: could not run at all. */
  status: 'ok' | 'wrong' | 'failed';
  problem?: string;
  /** max|diff| / max|ref| against the oracle. */
  error?: number;
  timing?: Summary;
  gflops?: number;
}

interface EdgecSide extends Side {
  stage?: 'import' | 'compile' | 'load' | 'run';
  importMs?: number;
  compileMs?: number;
  artifactBytes?: number;
  arenaBytes?: number;
  unsupported?: UnsupportedOp[];
}

interface ModelResult {
  model: string;
  macs: number;
  edgec: EdgecSide;
  ortWeb: Side;
  ortNode: Side;
  /** Ratios of medians; > 1 means edgec is slower. */
  ratios: { edgecOverWeb?: number; edgecOverNode?: number; webOverNode?: number };
  profile?: ProfileReport;
  /** A failure of the whole model (e.g. the oracle could not run it). */
  problem?: string;
}

interface Options {
  models: string[];
  runs: number;
  warmup: number;
  seed: number;
  profile: boolean;
  profileRuns: number;
  top: number;
  json: boolean;
  markdown: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      seed: { type: 'string', default: '42' },
      'no-profile': { type: 'boolean', default: false },
      'profile-runs': { type: 'string', default: '10' },
      top: { type: 'string', default: '8' },
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    const synthetic = Object.entries(SYNTHETIC).map(([k, v]) => `    ${k}: ${v.doc}`).join('\n');
    process.stdout.write(
      `usage: node dist/bench/models.js [--models a,b] [--runs 20] [--warmup 5] [--seed 42] [--json] [--markdown]\n` +
        `                                [--no-profile] [--profile-runs 10] [--top 8]\n` +
        `models: ${DEFAULT_MODELS.join(', ')} (default: all four), a path to an .onnx file, or a synthetic model:\n${synthetic}\n`,
    );
    process.exit(0);
  }
  const int = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${text}'`);
    return n;
  };
  return {
    models: values.models ? values.models.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_MODELS],
    runs: int('runs', values.runs!, 1),
    warmup: int('warmup', values.warmup!, 0),
    seed: int('seed', values.seed!, 0),
    profile: !values['no-profile'],
    profileRuns: int('profile-runs', values['profile-runs']!, 1),
    top: int('top', values.top!, 1),
    json: values.json!,
    markdown: values.markdown!,
  };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Runs one side once and checks it against the oracle; the side is timed only when this passes. */
async function firstRun(run: () => Outputs | Promise<Outputs>, expected: Outputs): Promise<{ check?: Check; problem?: string }> {
  try {
    return { check: checkOutputs(await run(), expected) };
  } catch (e) {
    return { problem: message(e) };
  }
}

function sideFrom(first: { check?: Check; problem?: string }): Side {
  if (!first.check) return { status: 'failed', problem: first.problem };
  if (!first.check.ok) return { status: 'wrong', error: first.check.error, problem: first.check.problem };
  return { status: 'ok', error: first.check.error };
}

async function benchmarkModel(spec: string, options: Options): Promise<ModelResult> {
  const source = resolveModel(spec);
  const name = source.name;
  const result: ModelResult = { model: name, macs: NaN, edgec: { status: 'failed' }, ortWeb: { status: 'failed' }, ortNode: { status: 'failed' }, ratios: {} };

  progress(`${name}: compiling with edgec for wasm`);
  const outcome = compileModel(source.bytes, name);
  let imported = outcome.ok ? outcome.build.imported : outcome.imported;
  if (!imported) {
    try {
      imported = importStatic(source.bytes, name);
    } catch {
      // the outcome already says why the import failed
    }
  }
  if (!imported) {
    result.edgec = { status: 'failed', stage: 'import', problem: outcome.ok ? undefined : outcome.reason };
    result.problem = 'edgec cannot import the model, so there are no seeded feeds to run the peers on';
    return result;
  }
  result.macs = graphMacs(imported);
  const feeds: Record<string, Tensor> = prepareFeeds(imported, {}, options.seed).feeds;

  progress(`${name}: reference outputs (onnxruntime-node, optimizations off)`);
  let expected: Outputs;
  const peers: Peer[] = [];
  try {
    const oracle = await ortNodePeer(source.bytes, feeds, { optimized: false });
    expected = await oracle.run();
    await oracle.release();
  } catch (e) {
    result.problem = `onnxruntime-node cannot run the model: ${message(e)}`;
    return result;
  }

  const contenders: Contender[] = [];
  // edgec
  if (outcome.ok) {
    const { build } = outcome;
    result.edgec = { status: 'failed', importMs: build.importMs, compileMs: build.compileMs, artifactBytes: build.bytes.length, arenaBytes: build.arenaBytes };
    try {
      const model = await load(build.bytes);
      const edgecFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: t.data, shape: t.shape }])) as Parameters<typeof model.run>[0];
      const first = await firstRun(() => model.run(edgecFeeds) as Outputs, expected);
      Object.assign(result.edgec, sideFrom(first), first.check ? {} : { stage: 'run' });
      if (!first.check) result.edgec.problem = (await locateTrap(build.optimized, edgecFeeds).catch(() => undefined)) ?? result.edgec.problem;
      if (result.edgec.status === 'ok') contenders.push({ name: 'edgec', run: () => model.run(edgecFeeds) });
    } catch (e) {
      Object.assign(result.edgec, { status: 'failed', stage: 'load', problem: message(e) });
    }
  } else {
    result.edgec = { status: 'failed', stage: outcome.stage, problem: outcome.reason, unsupported: outcome.unsupported };
  }
  // the peers
  for (const [key, make] of [
    ['ortWeb', () => ortWebPeer(source.bytes, feeds)],
    ['ortNode', () => ortNodePeer(source.bytes, feeds, { optimized: true })],
  ] as const) {
    try {
      const peer = await make();
      peers.push(peer);
      result[key] = sideFrom(await firstRun(() => peer.run(), expected));
      if (result[key].status === 'ok') contenders.push({ name: key, run: () => peer.run() });
    } catch (e) {
      result[key] = { status: 'failed', problem: message(e) };
    }
  }

  progress(`${name}: timing ${contenders.map((c) => c.name).join(', ')} (${options.warmup} warm-up + ${options.runs} interleaved runs)`);
  const samples = await timeInterleaved(contenders, { warmup: options.warmup, runs: options.runs });
  for (const [key, side] of [['edgec', result.edgec], ['ortWeb', result.ortWeb], ['ortNode', result.ortNode]] as const) {
    const s = samples.get(key);
    if (!s) continue;
    side.timing = summarize(s);
    if (result.macs > 0) side.gflops = gflops(result.macs, side.timing.median);
  }
  for (const p of peers) await p.release();
  const med = (s: Side) => s.timing?.median;
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a / b : undefined);
  result.ratios = {
    edgecOverWeb: ratio(med(result.edgec), med(result.ortWeb)),
    edgecOverNode: ratio(med(result.edgec), med(result.ortNode)),
    webOverNode: ratio(med(result.ortWeb), med(result.ortNode)),
  };

  if (options.profile && outcome.ok && result.edgec.status === 'ok') {
    progress(`${name}: per-node profile (separate profiling build, ${options.profileRuns} runs)`);
    try {
      result.profile = await profileModel(outcome.build.optimized, feeds, options);
    } catch (e) {
      progress(`${name}: profiling failed: ${message(e)}`);
    }
  }
  return result;
}

async function profileModel(optimized: Graph, feeds: Record<string, Tensor>, options: Options): Promise<ProfileReport> {
  const edgecFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.data])) as Record<string, Feed>;
  return profileWasmBuild(optimized, edgecFeeds, { warmup: options.warmup, runs: options.profileRuns });
}

// ------------------------------------------------------------------------------------------------------------
// Reporting

function timingCell(side: Side): Cell {
  if (side.timing) return { text: `${formatMs(side.timing.median)} [${formatSpread(side.timing.min, side.timing.max)}]` };
  return { text: side.status === 'wrong' ? 'WRONG' : 'n/a', tone: 'bad' };
}

function ratioCell(r: number | undefined): Cell {
  if (r === undefined) return { text: '—', tone: 'dim' };
  return { text: formatRatio(r), tone: r <= 1 ? 'good' : undefined };
}

function summaryTable(results: readonly ModelResult[], style: 'plain' | 'markdown'): string {
  const columns = [
    { header: 'model' },
    { header: 'MMACs', align: 'right' as const },
    { header: 'edgec ms [min-max]', align: 'right' as const },
    { header: 'p90', align: 'right' as const },
    { header: 'ort-web ms [min-max]', align: 'right' as const },
    { header: 'ort-node ms [min-max]', align: 'right' as const },
    { header: 'edgec/web', align: 'right' as const },
    { header: 'edgec/node', align: 'right' as const },
    { header: 'GFLOP/s', align: 'right' as const },
    { header: 'compile', align: 'right' as const },
    { header: 'wasm', align: 'right' as const },
    { header: 'arena', align: 'right' as const },
  ];
  const rows = results.map((r) => [
    r.model,
    formatNumber(r.macs / 1e6, 0),
    timingCell(r.edgec),
    r.edgec.timing ? formatMs(r.edgec.timing.p90) : '—',
    timingCell(r.ortWeb),
    timingCell(r.ortNode),
    ratioCell(r.ratios.edgecOverWeb),
    ratioCell(r.ratios.edgecOverNode),
    r.edgec.gflops !== undefined ? formatNumber(r.edgec.gflops) : '—',
    r.edgec.compileMs !== undefined ? `${formatMs(r.edgec.compileMs)} ms` : '—',
    r.edgec.artifactBytes !== undefined ? formatBytes(r.edgec.artifactBytes) : '—',
    r.edgec.arenaBytes !== undefined ? formatBytes(r.edgec.arenaBytes) : '—',
  ]);
  return formatTable(columns, rows, { style, paint });
}

function notes(results: readonly ModelResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.problem) lines.push(`${r.model}: ${r.problem}`);
    const e = r.edgec;
    if (e.status === 'wrong') lines.push(`${r.model}: edgec output is WRONG (${e.problem}); not timed`);
    else if (e.status === 'failed' && e.unsupported) {
      const detail = e.unsupported.map((u) => `${u.op} x${u.count} (${u.reasons.join('; ')})`).join(', ');
      lines.push(`${r.model}: edgec could not compile for wasm: ${detail}`);
    } else if (e.status === 'failed' && e.problem) lines.push(`${r.model}: edgec failed at ${e.stage ?? 'run'}: ${e.problem}`);
    for (const [label, side] of [['onnxruntime-web', r.ortWeb], ['onnxruntime-node', r.ortNode]] as const) {
      if (side.status === 'wrong') lines.push(`${r.model}: ${label} output differs from the oracle (${side.problem}); not timed`);
      else if (side.status === 'failed' && side.problem) lines.push(`${r.model}: ${label} failed: ${side.problem}`);
    }
  }
  return lines;
}

function profileTables(r: ModelResult, top: number, style: 'plain' | 'markdown'): string {
  const p = r.profile!;
  const gf = (x?: number) => (x !== undefined ? formatNumber(x) : '');
  const byOp = formatTable(
    [{ header: 'op' }, { header: 'nodes', align: 'right' }, { header: 'ms/run', align: 'right' }, { header: 'share', align: 'right' }, { header: 'GFLOP/s', align: 'right' }],
    p.byOp.slice(0, top).map((o) => [o.op, String(o.nodes), formatMs(o.ms), formatPercent(o.share), gf(o.gflops)]),
    { style, paint },
  );
  const byNode = formatTable(
    [{ header: 'node' }, { header: 'op' }, { header: 'ms/run', align: 'right' }, { header: 'share', align: 'right' }, { header: 'GFLOP/s', align: 'right' }],
    p.byNode.slice(0, top).map((n) => [n.name, n.op, formatMs(n.ms), formatPercent(n.share), gf(n.gflops)]),
    { style, paint },
  );
  const overhead = r.edgec.timing ? ` (unprofiled median ${formatMs(r.edgec.timing.median)} ms)` : '';
  return `${r.model}: edgec profile, ${p.runs} runs, nodes sum to ${formatMs(p.totalMs)} ms/run${overhead}\n${byOp}\n\n${byNode}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const results: ModelResult[] = [];
  for (const spec of options.models) {
    try {
      results.push(await benchmarkModel(spec, options));
    } catch (e) {
      // an unknown model name or an unexpected error: report it and go on with the others
      results.push({ model: spec, macs: NaN, edgec: { status: 'failed' }, ortWeb: { status: 'failed' }, ortNode: { status: 'failed' }, ratios: {}, problem: message(e) });
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ runs: options.runs, warmup: options.warmup, seed: options.seed, node: process.version, loadavg: loadavg(), results }, null, 2)}\n`);
    return;
  }
  const style = options.markdown ? 'markdown' : 'plain';
  const out: string[] = [
    `edgec (wasm) vs onnxruntime-web (wasm, SIMD, 1 thread) vs onnxruntime-node (CPU, 1 thread): median ms of ${options.runs} interleaved runs [min-max]; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    summaryTable(results, style),
  ];
  const n = notes(results);
  if (n.length) out.push('', ...n.map((l) => `- ${l}`));
  for (const r of results) if (r.profile) out.push('', profileTables(r, options.top, style));
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
