/**
 * edgec-webgpu against onnxruntime-web's WebGPU backend, both in one headless Chromium page on the same adapter
 * (SwiftShader without a GPU), same inputs, interleaved (edgec, ort, edgec, ort ...) after warm-up; medians,
 * spreads, ratio and compute dispatches per run for each shared model. Outputs are checked against each other
 * and against the reference interpreter first.
 *
 *   npx tsc -p . && node dist/bench/webgpu.js [--models a,b] [--runs 20] [--warmup 2] [--json]
 *
 * Timing happens inside the page (performance.now around each awaited run, outputs read back to the CPU on
 * both sides), so Node <-> browser traffic is not measured. Dispatches are counted by wrapping
 * GPUComputePassEncoder.dispatchWorkgroups in the page. On SwiftShader absolute times mean little.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compileGraph } from '../compiler/driver.js';
import { prepareFeeds } from '../compiler/feeds.js';
import { importOnnxFile } from '../compiler/onnx/index.js';
import { runGraph } from '../targets/reference/index.js';
import { chromiumProblem, installEdgecPage, openBrowser } from '../tests/support/browser.js';
import { modelPath, SHARED_MODELS } from '../tests/support/shared.js';
import { checkOutputs, type Outputs } from '../compiler/bench/compare.js';
import { formatMs, formatRatio, formatSpread, formatTable } from '../compiler/bench/format.js';
import { summarize, type Summary } from '../compiler/bench/stats.js';

/** Page-side benchmark helpers (text, so no bundler touches it): ort-web's WebGPU session and the timing loop. */
const PAGE_BENCH = `
import * as ort from '/ort/ort.webgpu.bundle.min.mjs';
ort.env.wasm.wasmPaths = location.origin + '/ort/';
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
let dispatches = 0;
for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) {
  const original = GPUComputePassEncoder.prototype[name];
  GPUComputePassEncoder.prototype[name] = function (...args) { dispatches++; return original.apply(this, args); };
}
const sessions = new Map();
const feedsOf = new Map();
window.benchPage = {
  async ortLoad(name, url, feeds, shapes) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    sessions.set(name, await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] }));
    feedsOf.set(name, { feeds, shapes });
  },
  async ortRun(name) {
    const { feeds, shapes } = feedsOf.get(name);
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', new Float32Array(v), shapes[k])]));
    const out = await sessions.get(name).run(inputs);
    const result = {};
    for (const [k, t] of Object.entries(out)) result[k] = Array.from(await t.getData());
    return result;
  },
  async count(run) {
    dispatches = 0;
    await run();
    return dispatches;
  },
  async interleaved(name, runs, warmup) {
    const { feeds } = feedsOf.get(name);
    const typed = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Float32Array(v)]));
    const shapes = feedsOf.get(name).shapes;
    const session = sessions.get(name);
    const ortInputs = Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, new ort.Tensor('float32', v, shapes[k])]));
    const edgec = async () => { await window.edgecPage.runTyped(name, typed); };
    const peer = async () => { const out = await session.run(ortInputs); for (const t of Object.values(out)) await t.getData(); };
    const counts = { edgec: await this.count(edgec), ort: await this.count(peer) };
    for (let i = 0; i < warmup; i++) { await edgec(); await peer(); }
    const samples = { edgec: [], ort: [] };
    for (let i = 0; i < runs; i++) {
      let t = performance.now(); await edgec(); samples.edgec.push(performance.now() - t);
      t = performance.now(); await peer(); samples.ort.push(performance.now() - t);
    }
    return { samples, counts };
  },
  release(name) { sessions.get(name)?.release(); sessions.delete(name); },
};
`;

interface Row {
  model: string;
  edgec: Summary;
  ort: Summary;
  /** edgec median / ort median: below 1 means edgec is faster. */
  ratio: number;
  dispatches: { edgec: number; ort: number };
  /** max|diff| / max|ref| of each side against the reference interpreter, and of edgec against ort. */
  errors: { edgecVsReference: number; ortVsReference: number; edgecVsOrt: number };
  adapter: string;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
    },
  });
  const models = values.models ? values.models.split(',').map((s) => s.trim()) : [...SHARED_MODELS];
  for (const m of models) if (!(SHARED_MODELS as readonly string[]).includes(m)) throw new Error(`unknown model '${m}' (models: ${SHARED_MODELS.join(', ')})`);
  return { models: models as (typeof SHARED_MODELS)[number][], runs: Number(values.runs), warmup: Number(values.warmup), json: values.json! };
}

type PageApi = {
  edgecPage: { load(name: string, url: string): Promise<{ dispatches: number }>; run(name: string, feeds: Record<string, number[]>): Promise<Record<string, { data: number[] }>>; unload(name: string): void };
  benchPage: {
    ortLoad(name: string, url: string, feeds: Record<string, number[]>, shapes: Record<string, number[]>): Promise<void>;
    ortRun(name: string): Promise<Record<string, number[]>>;
    interleaved(name: string, runs: number, warmup: number): Promise<{ samples: { edgec: number[]; ort: number[] }; counts: { edgec: number; ort: number } }>;
    release(name: string): void;
  };
};

async function main(): Promise<void> {
  const options = parseOptions();
  const problem = chromiumProblem();
  if (problem) throw new Error(`the WebGPU benchmark needs ${problem}`);
  const session = await openBrowser();
  const rows: Row[] = [];
  try {
    await installEdgecPage(session);
    await session.page.addScriptTag({ type: 'module', content: PAGE_BENCH });
    await session.page.waitForFunction(() => 'benchPage' in window);
    const adapter = await session.page.evaluate(() => (window as unknown as { edgecPage: { adapter(): Promise<string> } }).edgecPage.adapter());
    for (const name of options.models) {
      const inputShapes = name === 'tiny_encoder' ? { input: [1, 32, 64] } : undefined;
      const original = importOnnxFile(modelPath(name), { inputShapes });
      const { feeds } = prepareFeeds(original, {}, 42);
      const expected = runGraph(original, feeds);
      const { artifact } = compileGraph(importOnnxFile(modelPath(name), { inputShapes }), { target: 'webgpu', print: () => {} });
      const bundleUrl = session.serve(`${name}.edgecgpu`, artifact.bytes);
      const onnxUrl = session.serve(`${name}.onnx`, readFileSync(modelPath(name)));
      const plain = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
      const shapes = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.shape]]));
      await session.page.evaluate(({ name, bundleUrl }) => (window as unknown as PageApi).edgecPage.load(name, bundleUrl), { name, bundleUrl });
      await session.page.evaluate(({ name, onnxUrl, plain, shapes }) => (window as unknown as PageApi).benchPage.ortLoad(name, onnxUrl, plain, shapes), { name, onnxUrl, plain, shapes });
      const edgecOut = await session.page.evaluate(({ name, plain }) => (window as unknown as PageApi).edgecPage.run(name, plain), { name, plain });
      const ortOut = await session.page.evaluate((name) => (window as unknown as PageApi).benchPage.ortRun(name), name);
      const asOutputs = (o: Record<string, { data: number[] } | number[]>): Outputs => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? v : v.data]));
      const reference: Outputs = Object.fromEntries(Object.entries(expected).map(([k, t]) => [k, t.data as ArrayLike<number>]));
      const errors = {
        edgecVsReference: checkOutputs(asOutputs(edgecOut), reference).error,
        ortVsReference: checkOutputs(asOutputs(ortOut), reference).error,
        edgecVsOrt: checkOutputs(asOutputs(edgecOut), asOutputs(ortOut)).error,
      };
      if (!(errors.edgecVsReference <= 1e-3 && errors.edgecVsOrt <= 1e-3)) throw new Error(`${name}: outputs disagree (${JSON.stringify(errors)}); not timing a wrong answer`);
      const { samples, counts } = await session.page.evaluate(({ name, runs, warmup }) => (window as unknown as PageApi).benchPage.interleaved(name, runs, warmup), { name, runs: options.runs, warmup: options.warmup });
      const [e, o] = [summarize(samples.edgec), summarize(samples.ort)];
      rows.push({ model: name, edgec: e, ort: o, ratio: e.median / o.median, dispatches: counts, errors, adapter });
      await session.page.evaluate((name) => {
        (window as unknown as PageApi).edgecPage.unload(name);
        (window as unknown as PageApi).benchPage.release(name);
      }, name);
      if (!options.json) process.stderr.write(`${name}: edgec ${formatMs(e.median)}, ort-web webgpu ${formatMs(o.median)}\n`);
    }
  } finally {
    await session.close();
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ runs: options.runs, warmup: options.warmup, rows }, null, 2)}\n`);
    return;
  }
  const columns = [
    { header: 'model' }, { header: 'edgec-webgpu', align: 'right' as const }, { header: 'spread' }, { header: 'ort-web webgpu', align: 'right' as const },
    { header: 'spread' }, { header: 'edgec / ort', align: 'right' as const }, { header: 'dispatches edgec / ort' }, { header: 'max err vs ref (edgec, ort)' },
  ];
  const table = rows.map((r) => [
    r.model, formatMs(r.edgec.median), formatSpread(r.edgec.min, r.edgec.max), formatMs(r.ort.median), formatSpread(r.ort.min, r.ort.max),
    formatRatio(r.ratio), `${r.dispatches.edgec} / ${r.dispatches.ort}`, `${r.errors.edgecVsReference.toExponential(1)}, ${r.errors.ortVsReference.toExponential(1)}`,
  ]);
  process.stdout.write(`adapter ${rows[0]?.adapter ?? '?'}; ${options.runs} interleaved runs after ${options.warmup} warm-up rounds; medians\n${formatTable(columns, table)}\n`);
}

await main();
