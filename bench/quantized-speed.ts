/**
 * int8 speed: edgec's int8 wasm build of a shared CNN against its fp32 wasm build and onnxruntime-web (fp32,
 * wasm SIMD, 1 thread), in one process, on the same seeded input, interleaved after warm-up. Before timing,
 * the int8 build must equal the reference interpreter's integer execution of the same quantized graph bit
 * for bit, and the fp32 build must match onnxruntime-node (the checks of bench/models.ts).
 *
 *   node dist/bench/quantized-speed.js [--models mobilenet_v2,resnet18,squeezenet1_1] [--runs 20] [--warmup 5]
 *                                  [--calibration 4] [--profile] [--top 8] [--json]
 *
 * Calibration here only fixes the quantization parameters (accuracy is bench/quantize-accuracy.ts's job), so a
 * few synthetic inputs suffice.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { compileGraph } from '../compiler/driver.js';
import { importOnnxFile } from '../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../compiler/quantize/index.js';
import type { Graph, Tensor } from '../ir/index.js';
import { runPipeline } from '../passes/manager.js';
import { PASSES } from '../passes/registry.js';
import { load, type Feed } from '../runtime/index.js';
import { referenceEvaluate, runGraph } from '../targets/reference/index.js';
import { wasmTarget } from '../targets/wasm/index.js';
import { modelPath } from '../tests/support/shared.js';
import { checkOutputs, type Outputs } from '../compiler/bench/compare.js';
import { formatMs, formatNumber, formatPercent, formatRatio, formatSpread, formatTable } from '../compiler/bench/format.js';
import { paint, progress } from '../compiler/bench/paint.js';
import { ortNodePeer, ortWebPeer } from '../compiler/bench/peers.js';
import { profileWasmBuild, type ProfileReport } from '../compiler/bench/profile.js';
import { summarize, type Summary } from '../compiler/bench/stats.js';
import { timeInterleaved } from '../compiler/bench/timing.js';

type Model = 'mobilenet_v2' | 'resnet18' | 'squeezenet1_1';

interface Row {
  model: string;
  int8: Summary;
  fp32: Summary;
  ortWeb: Summary;
  /** Ratios of medians. */
  int8OverFp32: number;
  int8OverWeb: number;
  fp32OverWeb: number;
  int8Bytes: number;
  fp32Bytes: number;
  profile?: ProfileReport;
}

function options() {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'mobilenet_v2,resnet18,squeezenet1_1' },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      calibration: { type: 'string', default: '4' },
      profile: { type: 'boolean', default: false },
      top: { type: 'string', default: '8' },
      json: { type: 'boolean', default: false },
    },
  });
  return {
    models: values.models!.split(',') as Model[],
    runs: Number(values.runs),
    warmup: Number(values.warmup),
    calibration: Number(values.calibration),
    profile: values.profile!,
    top: Number(values.top),
    json: values.json!,
  };
}

const flat = (outputs: Record<string, Tensor>): Outputs => Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, t.data as ArrayLike<number>]));
const feedsOf = (feeds: Record<string, Tensor>) => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.data])) as Record<string, Feed>;

/** The int8 graph of edgec quantize (calibrated on `count` synthetic inputs), planned for the wasm target. */
function int8Graph(model: Model, count: number): Graph {
  const graph = importOnnxFile(modelPath(model));
  const q = quantizeModel(graph, { calibration: syntheticInputs(graph, count), method: 'minmax' });
  return q.int8;
}

async function benchmark(model: Model, o: ReturnType<typeof options>): Promise<Row> {
  progress(`${model}: quantizing (${o.calibration} calibration inputs)`);
  const int8 = int8Graph(model, o.calibration);
  const feeds = syntheticInputs(int8, 1, 4242)[0]!;
  const expectedInt8 = flat(runGraph(int8, feeds));
  runPipeline(int8, 'plan-memory', PASSES, { evaluate: referenceEvaluate });
  const int8Bytes = wasmTarget.compile(int8, {}).bytes;
  progress(`${model}: compiling fp32`);
  const fp32Bytes = compileGraph(importOnnxFile(modelPath(model)), { target: 'wasm' }).artifact.bytes;
  const [int8Model, fp32Model] = [await load(int8Bytes), await load(fp32Bytes)];
  const onnx = new Uint8Array(readFileSync(modelPath(model)));
  const web = await ortWebPeer(onnx, feeds);
  const oracle = await ortNodePeer(onnx, feeds, { optimized: false });
  const expectedFp32 = await oracle.run();
  await oracle.release();

  const edgecFeeds = feedsOf(feeds);
  const int8Check = checkOutputs(await int8Model.run(edgecFeeds), expectedInt8, 0);
  if (!int8Check.ok) throw new Error(`${model}: int8 wasm differs from the reference's integer execution (${int8Check.problem})`);
  const fp32Check = checkOutputs(await fp32Model.run(edgecFeeds), expectedFp32);
  if (!fp32Check.ok) throw new Error(`${model}: fp32 wasm differs from onnxruntime-node (${fp32Check.problem})`);
  const webCheck = checkOutputs(await web.run(), expectedFp32);
  if (!webCheck.ok) throw new Error(`${model}: onnxruntime-web differs from onnxruntime-node (${webCheck.problem})`);

  progress(`${model}: timing ${o.runs} interleaved runs`);
  const samples = await timeInterleaved(
    [
      { name: 'int8', run: () => int8Model.run(edgecFeeds) },
      { name: 'fp32', run: () => fp32Model.run(edgecFeeds) },
      { name: 'web', run: () => web.run() },
    ],
    { warmup: o.warmup, runs: o.runs },
  );
  await web.release();
  const [i, f, w] = ['int8', 'fp32', 'web'].map((k) => summarize(samples.get(k)!)) as [Summary, Summary, Summary];
  const row: Row = {
    model,
    int8: i,
    fp32: f,
    ortWeb: w,
    int8OverFp32: i.median / f.median,
    int8OverWeb: i.median / w.median,
    fp32OverWeb: f.median / w.median,
    int8Bytes: int8Bytes.length,
    fp32Bytes: fp32Bytes.length,
  };
  if (o.profile) row.profile = await profileWasmBuild(int8, edgecFeeds, { warmup: o.warmup, runs: 10 });
  return row;
}

async function main(): Promise<void> {
  const o = options();
  const rows: Row[] = [];
  for (const model of o.models) rows.push(await benchmark(model, o));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ runs: o.runs, node: process.version, loadavg: loadavg(), rows }, null, 2)}\n`);
    return;
  }
  const cell = (s: Summary) => `${formatMs(s.median)} [${formatSpread(s.min, s.max)}]`;
  const table = formatTable(
    [
      { header: 'model' },
      { header: 'int8 wasm ms', align: 'right' },
      { header: 'fp32 wasm ms', align: 'right' },
      { header: 'ort-web fp32 ms', align: 'right' },
      { header: 'int8/fp32', align: 'right' },
      { header: 'int8/web', align: 'right' },
      { header: 'fp32/web', align: 'right' },
    ],
    rows.map((r) => [r.model, cell(r.int8), cell(r.fp32), cell(r.ortWeb), formatRatio(r.int8OverFp32), formatRatio(r.int8OverWeb), formatRatio(r.fp32OverWeb)]),
    { paint },
  );
  const out = [`edgec int8 vs edgec fp32 vs onnxruntime-web fp32 (wasm SIMD, 1 thread): median ms of ${o.runs} interleaved runs [min-max]; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`, table];
  for (const r of rows) {
    if (!r.profile) continue;
    const ops = formatTable(
      [{ header: 'op' }, { header: 'nodes', align: 'right' }, { header: 'ms/run', align: 'right' }, { header: 'share', align: 'right' }],
      r.profile.byOp.slice(0, o.top).map((x) => [x.op, String(x.nodes), formatMs(x.ms), formatPercent(x.share)]),
      { paint },
    );
    const nodes = formatTable(
      [{ header: 'node' }, { header: 'op' }, { header: 'ms/run', align: 'right' }, { header: 'share', align: 'right' }, { header: 'GOP/s', align: 'right' }],
      r.profile.byNode.slice(0, o.top).map((x) => [x.name, x.op, formatMs(x.ms), formatPercent(x.share), x.gflops !== undefined ? formatNumber(x.gflops) : '']),
      { paint },
    );
    out.push('', `${r.model} int8 profile (nodes sum to ${formatNumber(r.profile.totalMs, 2)} ms/run)`, ops, '', nodes);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
