/**
 * GEMM microbenchmark for the wasm target:
 *  (a) the SIMD128 arithmetic peak of this core (register-only mul+add chains, bench/peak.ts), and that of the
 *      int8 kernels' i32x4.dot_i16x8_s + add chains (in integer GOP/s, two per MAC, beside the GFLOP/s);
 *  (b) edgec's own GEMM: one MatMul / Gemm / 1x1 Conv node per size, compiled with the wasm target, checked against the
 *      reference interpreter, timed; GFLOP/s, fraction of the measured peak, and onnxruntime-web (wasm, SIMD,
 *      1 thread) on the same node, interleaved with edgec.
 *
 *   npx tsc -p . && node dist/bench/gemm.js [--sizes 64x3136x576,...] [--forms matmul,gemm] [--runs 20] [--json] [--markdown]
 *
 * A size MxNxK is a convolution seen as GEMM: M output channels (weight rows), N output positions, K the
 * reduction (Cin x kh x kw). The node computes Y[N,M] = X[N,K] · W with X the input and W a constant:
 * MatMul with W[K,M], or Gemm(transB=1) with W[M,K] (an FC layer: 1000x1x512 is resnet18's classifier); or
 * the same product as a 1x1 Conv of X[1,K,1,N] with W[M,K,1,1] (Y[1,M,1,N]), which goes through the conv kernels.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { compileGraph } from '../compiler/driver.js';
import { prepareFeeds } from '../compiler/feeds.js';
import { seededRandom } from '../compiler/io/random.js';
import { EdgecError, GraphBuilder, makeTensor, type Graph, type Tensor } from '../ir/index.js';
import { load } from '../runtime/index.js';
import { runGraph } from '../targets/reference/index.js';
import { attr, makeModel, node, rawF32 } from '../tests/compiler/onnx/make-model.js';
import { checkOutputs, type Outputs } from '../compiler/bench/compare.js';
import { formatMs, formatNumber, formatPercent, formatRatio, formatSpread, formatTable, type Cell } from '../compiler/bench/format.js';
import { paint, progress } from '../compiler/bench/paint.js';
import { buildPeakKernel, type PeakPattern } from './peak.js';
import { ortWebPeer } from '../compiler/bench/peers.js';
import { gflops, median, summarize, type Summary } from '../compiler/bench/stats.js';
import { timeInterleaved } from '../compiler/bench/timing.js';

const FORM_LABEL: Record<Form, string> = { matmul: 'MatMul', gemm: 'Gemm tB', conv1x1: 'Conv 1x1' };
/** Runs per peak kernel: on a busy machine the fastest of many is the closest to what the core can do. */
const PEAK_RUNS = 15;
const DEFAULT_SIZES = ['64x3136x576', '256x196x2304', '512x49x4608', '1000x1x512'];
type Form = 'matmul' | 'gemm' | 'conv1x1';

interface PeakResult {
  pattern: PeakPattern;
  chains: number;
  /** Of the median run, and of the fastest: the peak is a capability, so the fastest run is the figure used. */
  gflops: number;
  bestGflops: number;
}

interface GemmResult {
  size: string;
  form: Form;
  m: number;
  n: number;
  k: number;
  status: 'ok' | 'wrong' | 'failed';
  problem?: string;
  error?: number;
  compileMs?: number;
  edgec?: Summary;
  edgecGflops?: number;
  fractionOfPeak?: number;
  ortWeb?: Summary;
  ortWebGflops?: number;
  /** edgec median / ort-web median. */
  ratio?: number;
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: DEFAULT_SIZES.join(',') },
      forms: { type: 'string', default: 'matmul,gemm,conv1x1' },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      'peak-ms': { type: 'string', default: '50' },
      'no-peer': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
    },
  });
  const forms = values.forms!.split(',').map((f) => f.trim());
  for (const f of forms) if (!['matmul', 'gemm', 'conv1x1'].includes(f)) throw new Error(`--forms: '${f}' is not one of matmul, gemm, conv1x1`);
  const sizes = values.sizes!.split(',').map((s) => s.trim());
  for (const s of sizes) if (!/^\d+x\d+x\d+$/.test(s)) throw new Error(`--sizes: '${s}' must look like 64x3136x576 (M x N x K)`);
  return {
    sizes,
    forms: forms as Form[],
    runs: Math.max(1, Number(values.runs)),
    warmup: Math.max(0, Number(values.warmup)),
    peakMs: Math.max(10, Number(values['peak-ms'])),
    peer: !values['no-peer'],
    json: values.json!,
    markdown: values.markdown!,
  };
}

// ------------------------------------------------------------------------------------------------------------
// (a) peak

const PATTERN_LABEL: Record<PeakPattern, string> = { acc: 'f32 acc += x*s', chain: 'f32 v = v*s + c', dot: 'int8 v = v + dot(v, w)' };

async function measurePeak(pattern: PeakPattern, chains: number, targetMs: number): Promise<PeakResult> {
  const kernel = await buildPeakKernel(chains, pattern);
  // calibrate: grow the iteration count until one run takes about targetMs
  let iterations = 1000;
  for (;;) {
    const start = performance.now();
    kernel.run(iterations);
    const ms = performance.now() - start;
    if (ms >= targetMs / 4) {
      iterations = Math.max(1, Math.round((iterations * targetMs) / ms));
      break;
    }
    iterations *= 4;
  }
  const samples: number[] = [];
  for (let i = 0; i < PEAK_RUNS; i++) {
    const start = performance.now();
    kernel.run(iterations);
    samples.push(performance.now() - start);
  }
  const rate = (ms: number) => (iterations * kernel.opsPerIteration) / (ms * 1e6);
  return { pattern, chains, gflops: rate(median(samples)), bestGflops: rate(Math.min(...samples)) };
}

// ------------------------------------------------------------------------------------------------------------
// (b) edgec GEMM

function weights(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => (random() * 2 - 1) / 8);
}

function gemmGraph(form: Form, m: number, n: number, k: number): Graph {
  const b = new GraphBuilder(`${form}_${m}x${n}x${k}`);
  if (form === 'conv1x1') {
    const x = b.input('x', { dtype: 'f32', shape: [1, k, 1, n] });
    const w = b.constant('w', makeTensor('f32', [m, k, 1, 1], weights(k * m, 3)));
    b.output(b.op('Conv', [x, w, null], {}, 'y'));
    return b.build();
  }
  const x = b.input('x', { dtype: 'f32', shape: [n, k] });
  if (form === 'matmul') {
    const w = b.constant('w', makeTensor('f32', [k, m], weights(k * m, 3)));
    b.output(b.op('MatMul', [x, w], {}, 'y'));
  } else {
    const w = b.constant('w', makeTensor('f32', [m, k], weights(k * m, 3)));
    b.output(b.op('Gemm', [x, w, null], { transB: 1 }, 'y'));
  }
  return b.build();
}

/** The same node as an ONNX model, for onnxruntime-web. */
function gemmOnnx(form: Form, m: number, n: number, k: number): Uint8Array {
  const w = weights(k * m, 3);
  if (form === 'conv1x1') {
    return makeModel({
      inputs: [{ name: 'x', shape: [1, k, 1, n] }],
      outputs: ['y'],
      initializers: [rawF32('w', [m, k, 1, 1], w)],
      nodes: [node('Conv', ['x', 'w'], ['y'])],
    });
  }
  return makeModel({
    inputs: [{ name: 'x', shape: [n, k] }],
    outputs: ['y'],
    initializers: [rawF32('w', form === 'matmul' ? [k, m] : [m, k], w)],
    nodes: [form === 'matmul' ? node('MatMul', ['x', 'w'], ['y']) : node('Gemm', ['x', 'w'], ['y'], { transB: attr.int(1) })],
  });
}

async function benchmarkGemm(size: string, form: Form, options: ReturnType<typeof parseOptions>, peak: number): Promise<GemmResult> {
  const [m, n, k] = size.split('x').map(Number) as [number, number, number];
  const result: GemmResult = { size, form, m, n, k, status: 'failed' };
  const macs = m * n * k;
  const graph = gemmGraph(form, m, n, k);
  const feeds: Record<string, Tensor> = prepareFeeds(graph, {}, 5).feeds;
  const expected = runGraph(gemmGraph(form, m, n, k), feeds);
  const expectedOutputs: Outputs = Object.fromEntries(Object.entries(expected).map(([name, t]) => [name, t.data as ArrayLike<number>]));
  const contenders: { name: string; run: () => unknown }[] = [];
  try {
    const start = performance.now();
    const { artifact } = compileGraph(graph, { target: 'wasm' });
    result.compileMs = performance.now() - start;
    const model = await load(artifact.bytes);
    const input = { x: feeds.x!.data as Float32Array };
    const run = () => model.run(input) as Outputs;
    const check = checkOutputs(run(), expectedOutputs);
    result.error = check.error;
    result.status = check.ok ? 'ok' : 'wrong';
    result.problem = check.problem;
    if (check.ok) contenders.push({ name: 'edgec', run });
  } catch (e) {
    result.problem = e instanceof EdgecError && e.code === 'UNSUPPORTED_OP' ? e.message.replace(/^.*cannot compile [^:]*: /, '') : (e as Error).message;
  }
  // The peer is timed even when edgec cannot be, as the baseline to compare against.
  const peer = options.peer ? await ortWebPeer(gemmOnnx(form, m, n, k), feeds).catch(() => undefined) : undefined;
  if (peer && checkOutputs(await peer.run(), expectedOutputs).ok) contenders.push({ name: 'ortWeb', run: () => peer.run() });
  const samples = await timeInterleaved(contenders, { warmup: options.warmup, runs: options.runs });
  await peer?.release();
  const edgec = samples.get('edgec');
  if (edgec) {
    result.edgec = summarize(edgec);
    result.edgecGflops = gflops(macs, result.edgec.median);
    result.fractionOfPeak = result.edgecGflops / peak;
  }
  const web = samples.get('ortWeb');
  if (web) {
    result.ortWeb = summarize(web);
    result.ortWebGflops = gflops(macs, result.ortWeb.median);
    if (result.edgec) result.ratio = result.edgec.median / result.ortWeb.median;
  }
  return result;
}

// ------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const style = options.markdown ? 'markdown' : 'plain';
  progress('measuring the SIMD128 peak (register-only f32x4.mul + f32x4.add chains, and i32x4.dot_i16x8_s + add)');
  const peaks: PeakResult[] = [];
  for (const chains of [4, 6, 8]) peaks.push(await measurePeak('acc', chains, options.peakMs));
  for (const chains of [4, 6, 8, 10, 12]) peaks.push(await measurePeak('chain', chains, options.peakMs));
  for (const chains of [4, 8, 12, 14]) peaks.push(await measurePeak('dot', chains, options.peakMs));
  const best = (dot: boolean) => Math.max(...peaks.filter((p) => (p.pattern === 'dot') === dot).map((p) => p.bestGflops));
  const [peak, dotPeak] = [best(false), best(true)];

  const gemms: GemmResult[] = [];
  for (const size of options.sizes) {
    for (const form of options.forms) {
      progress(`${form} ${size}: compile, check, time`);
      gemms.push(await benchmarkGemm(size, form, options, peak));
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, loadavg: loadavg(), runs: options.runs, peak: { gflops: peak, int8Gops: dotPeak, kernels: peaks }, gemm: gemms }, null, 2)}\n`);
    return;
  }
  const peakTable = formatTable(
    [{ header: 'pattern' }, { header: 'chains', align: 'right' }, { header: 'G(FL)OP/s median', align: 'right' }, { header: 'best', align: 'right' }],
    peaks.map((p) => [
      PATTERN_LABEL[p.pattern],
      String(p.chains),
      formatNumber(p.gflops),
      { text: formatNumber(p.bestGflops), tone: p.bestGflops === peak || p.bestGflops === dotPeak ? 'good' : undefined } as Cell,
    ]),
    { style, paint },
  );
  const gemmTable = formatTable(
    [
      { header: 'MxNxK' },
      { header: 'node' },
      { header: 'edgec ms [min-max]', align: 'right' },
      { header: 'GFLOP/s', align: 'right' },
      { header: 'of peak', align: 'right' },
      { header: 'ort-web ms', align: 'right' },
      { header: 'GFLOP/s', align: 'right' },
      { header: 'edgec/web', align: 'right' },
    ],
    gemms.map((g) => [
      g.size,
      FORM_LABEL[g.form],
      g.edgec ? `${formatMs(g.edgec.median)} [${formatSpread(g.edgec.min, g.edgec.max)}]` : ({ text: g.status === 'wrong' ? 'WRONG' : 'n/a', tone: 'bad' } as Cell),
      g.edgecGflops !== undefined ? formatNumber(g.edgecGflops) : '—',
      g.fractionOfPeak !== undefined ? formatPercent(g.fractionOfPeak) : '—',
      g.ortWeb ? formatMs(g.ortWeb.median) : '—',
      g.ortWebGflops !== undefined ? formatNumber(g.ortWebGflops) : '—',
      g.ratio !== undefined ? ({ text: formatRatio(g.ratio), tone: g.ratio <= 1 ? 'good' : undefined } as Cell) : '—',
    ]),
    { style, paint },
  );
  const problems = gemms.filter((g) => g.problem).map((g) => `- ${g.form} ${g.size}: ${g.status === 'wrong' ? 'WRONG: ' : 'not compiled: '}${g.problem}`);
  const out = [
    `SIMD128 peak on this core (register-only kernel, fastest of ${PEAK_RUNS} runs): ${formatNumber(peak)} GFLOP/s f32, ${formatNumber(dotPeak)} GOP/s int8 dot products (${formatRatio(dotPeak / peak)}); load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    peakTable,
    '',
    `edgec GEMM on the wasm target, median of ${options.runs} runs interleaved with onnxruntime-web (1 thread)`,
    gemmTable,
    ...(problems.length ? ['', ...problems] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
