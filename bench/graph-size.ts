/**
 * How the -O2 pass pipeline scales with graph size. Builds synthetic graphs with the IR builder at several sizes
 * and prints, per graph shape and size, the time of every pass and of the whole pipeline (median of a few runs,
 * each on a freshly built graph), and the total per node, which stays flat when every pass is linear. Passes are
 * timed in CPU time of this process, so that other work on a shared machine does not count; the pipeline's
 * wall time is printed beside its CPU time.
 *
 *   npx tsc -p . && node dist/bench/graph-size.js [--sizes 1000,5000,20000,50000] [--shapes chain,transformer]
 *                                                  [--runs 3] [--target wasm] [--json]
 *
 * Two shapes:
 * - chain: MatMul -> Add(bias) -> Relu blocks in a line (fuse-matmul-add and fuse-activation fire in each).
 * - transformer: pre-norm blocks as exporters write them: layer normalization and GELU spelled out elementwise,
 *   attention with Shape -> Gather -> Unsqueeze -> Concat -> Reshape head splits, weights shared by every
 *   block (values read by hundreds of MatMuls), residual Adds (values read by several nodes).
 * The node count is the requested size rounded to whole blocks.
 */
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../compiler/io/random.js';
import { GraphBuilder, makeTensor, type Graph, type Value } from '../ir/index.js';
import { runPipeline } from '../passes/manager.js';
import { parsePipeline } from '../passes/pipeline.js';
import { PASSES } from '../passes/registry.js';
import { targetNamed } from '../targets/index.js';
import { referenceEvaluate } from '../targets/reference/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
const sizes = option('--sizes', '1000,5000,20000,50000').split(',').map(Number);
const shapes = option('--shapes', 'chain,transformer').split(',');
const runs = Math.max(1, Number(option('--runs', '3')) || 3);
const target = option('--target', 'wasm');
const json = args.includes('--json');

const SEQ = 8;
const MODEL = 16;
const HEADS = 2;
const HIDDEN = 32;

type Builder = (nodes: number) => Graph;

/** A constant f32 tensor of the given shape with seeded values in [-0.5, 0.5). */
function weights(b: GraphBuilder, name: string, shape: number[], random: () => number): Value {
  const n = shape.reduce((a, d) => a * d, 1);
  return b.constant(name, makeTensor('f32', shape, Float32Array.from({ length: n }, () => random() - 0.5)));
}

/**
 * b.op with a numbered name: the builder suffixes a taken name by trying _1, _2, ... in turn, which is quadratic
 * when thousands of nodes share a base name.
 */
function numbered(b: GraphBuilder): GraphBuilder['op'] {
  let count = 0;
  return (op, inputs, attrs = {}) => b.op(op, inputs, attrs, `${op.toLowerCase()}_${count++}`);
}

const i64 = (b: GraphBuilder, name: string, values: number[], shape = [values.length]): Value => b.constant(name, makeTensor('i64', shape, values));
const f32 = (b: GraphBuilder, name: string, value: number): Value => b.constant(name, makeTensor('f32', [], [value]));

/** MatMul -> Add -> Relu, repeated: 3 nodes per block. */
function chain(nodes: number): Graph {
  const random = seededRandom(1);
  const b = new GraphBuilder('chain');
  let x = b.input('x', { dtype: 'f32', shape: [4, MODEL] });
  const w = weights(b, 'w', [MODEL, MODEL], random);
  const bias = weights(b, 'bias', [MODEL], random);
  const op = numbered(b);
  for (let i = 0; i < Math.max(1, Math.round(nodes / 3)); i++) {
    x = op('Relu', [op('Add', [op('MatMul', [x, w]), bias])]);
  }
  b.output(x);
  return b.build();
}

/** One pre-norm transformer block per ~70 nodes; weights and shape constants are shared by every block. */
function transformer(nodes: number): Graph {
  const random = seededRandom(2);
  const b = new GraphBuilder('transformer');
  let x = b.input('x', { dtype: 'f32', shape: [1, SEQ, MODEL] });
  const headDim = MODEL / HEADS;
  const w = {
    q: weights(b, 'wq', [MODEL, MODEL], random),
    k: weights(b, 'wk', [MODEL, MODEL], random),
    v: weights(b, 'wv', [MODEL, MODEL], random),
    o: weights(b, 'wo', [MODEL, MODEL], random),
    up: weights(b, 'w_up', [MODEL, HIDDEN], random),
    down: weights(b, 'w_down', [HIDDEN, MODEL], random),
    bias: weights(b, 'bias', [MODEL], random),
    biasUp: weights(b, 'bias_up', [HIDDEN], random),
    gamma: weights(b, 'gamma', [MODEL], random),
    beta: weights(b, 'beta', [MODEL], random),
  };
  const c = {
    lastAxis: i64(b, 'last_axis', [-1]),
    zero: i64(b, 'zero', [0], []),
    axis0: i64(b, 'axis0', [0]),
    seq: i64(b, 'seq', [SEQ]),
    heads: i64(b, 'heads', [HEADS]),
    headDim: i64(b, 'head_dim', [headDim]),
    model: i64(b, 'model', [MODEL]),
    two: f32(b, 'two', 2),
    eps: f32(b, 'eps', 1e-5),
    scale: f32(b, 'scale', 1 / Math.sqrt(headDim)),
    sqrt2: f32(b, 'sqrt2', Math.SQRT2),
    one: f32(b, 'one', 1),
    half: f32(b, 'half', 0.5),
  };
  const op = numbered(b);
  const layerNorm = (v: Value): Value => {
    const mean = op('ReduceMean', [v, c.lastAxis]);
    const d = op('Sub', [v, mean]);
    const variance = op('ReduceMean', [op('Pow', [d, c.two]), c.lastAxis]);
    const n = op('Div', [d, op('Sqrt', [op('Add', [variance, c.eps])])]);
    return op('Add', [op('Mul', [n, w.gamma]), w.beta]);
  };
  /** [1, S, D] -> [1, H, S, D/H] with the batch read from the value's shape, as exporters write it. */
  const splitHeads = (v: Value): Value => {
    const batch = op('Unsqueeze', [op('Gather', [op('Shape', [v]), c.zero]), c.axis0]);
    const shape = op('Concat', [batch, c.seq, c.heads, c.headDim], { axis: 0 });
    return op('Transpose', [op('Reshape', [v, shape])], { perm: [0, 2, 1, 3] });
  };
  const mergeHeads = (v: Value): Value => {
    const t = op('Transpose', [v], { perm: [0, 2, 1, 3] });
    const batch = op('Unsqueeze', [op('Gather', [op('Shape', [t]), c.zero]), c.axis0]);
    return op('Reshape', [t, op('Concat', [batch, c.seq, c.model], { axis: 0 })]);
  };
  const linear = (v: Value, weight: Value, bias: Value): Value => op('Add', [op('MatMul', [v, weight]), bias]);
  const gelu = (v: Value): Value => {
    const erf = op('Erf', [op('Div', [v, c.sqrt2])]);
    return op('Mul', [op('Mul', [v, op('Add', [erf, c.one])]), c.half]);
  };
  const perBlock = 71;
  for (let i = 0; i < Math.max(1, Math.round(nodes / perBlock)); i++) {
    const h = layerNorm(x);
    const q = splitHeads(linear(h, w.q, w.bias));
    const k = splitHeads(linear(h, w.k, w.bias));
    const v = splitHeads(linear(h, w.v, w.bias));
    const scores = op('Mul', [op('MatMul', [q, op('Transpose', [k], { perm: [0, 1, 3, 2] })]), c.scale]);
    const attention = mergeHeads(op('MatMul', [op('Softmax', [scores], { axis: -1 }), v]));
    x = op('Add', [x, linear(attention, w.o, w.bias)]);
    const up = gelu(linear(layerNorm(x), w.up, w.biasUp));
    x = op('Add', [x, linear(up, w.down, w.bias)]);
  }
  b.output(x);
  return b.build();
}

const BUILDERS: Record<string, Builder> = { chain, transformer };

interface Measurement {
  shape: string;
  requested: number;
  nodes: number;
  nodesAfter: number;
  /** Median CPU time per pass, in pipeline order. */
  passes: { pass: string; ms: number }[];
  /** CPU time of the whole pipeline. */
  cpuMs: number;
  /** Wall time of the whole pipeline. */
  totalMs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** CPU time of this process in ms (user + system): other processes on a shared machine do not inflate it. */
const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Runs the target's -O2 pipeline one pass at a time (as runPipeline would run it whole) and times each pass in
 * CPU time; the total is the wall time of the whole pipeline.
 */
function measure(shape: string, requested: number): Measurement {
  const build = BUILDERS[shape];
  if (!build) throw new Error(`unknown shape '${shape}' (shapes: ${Object.keys(BUILDERS).join(', ')})`);
  const steps = parsePipeline(targetNamed(target).pipeline(2));
  const names = numberedNames(steps.map((s) => s.name));
  const perPass: number[][] = steps.map(() => []);
  const totals: number[] = [];
  const cpuTotals: number[] = [];
  let nodes = 0;
  let nodesAfter = 0;
  for (let run = 0; run < runs; run++) {
    const graph = build(requested);
    nodes = graph.nodes.length;
    const started = performance.now();
    const cpuStarted = cpuMs();
    steps.forEach((step, i) => {
      const before = cpuMs();
      runPipeline(graph, [step], PASSES, { evaluate: referenceEvaluate });
      perPass[i]!.push(cpuMs() - before);
    });
    cpuTotals.push(cpuMs() - cpuStarted);
    totals.push(performance.now() - started);
    nodesAfter = graph.nodes.length;
  }
  return {
    shape,
    requested,
    nodes,
    nodesAfter,
    passes: names.map((pass, i) => ({ pass, ms: median(perPass[i]!) })),
    cpuMs: median(cpuTotals),
    totalMs: median(totals),
  };
}

/** A pass that runs twice appears twice, numbered. */
function numberedNames(passes: string[]): string[] {
  const seen = new Map<string, number>();
  return passes.map((pass) => {
    const n = (seen.get(pass) ?? 0) + 1;
    seen.set(pass, n);
    return n > 1 ? `${pass} #${n}` : pass;
  });
}

function table(rows: Measurement[]): string {
  const header = ['pass', ...rows.map((r) => `${r.nodes} nodes`)];
  const body = rows[0]!.passes.map((p, i) => [p.pass, ...rows.map((r) => r.passes[i]!.ms.toFixed(1))]);
  body.push(['total, CPU (ms)', ...rows.map((r) => r.cpuMs.toFixed(1))]);
  body.push(['total, wall (ms)', ...rows.map((r) => r.totalMs.toFixed(1))]);
  body.push(['CPU per node (µs)', ...rows.map((r) => ((r.cpuMs * 1000) / r.nodes).toFixed(1))]);
  body.push(['nodes after', ...rows.map((r) => String(r.nodesAfter))]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|', ...body.map(line)].join('\n');
}

const results: Measurement[] = [];
for (const shape of shapes) {
  const rows: Measurement[] = [];
  for (const size of sizes) {
    process.stderr.write(`${shape} ${size} nodes: ${runs} run(s)...\n`);
    rows.push(measure(shape, size));
  }
  results.push(...rows);
  if (!json) process.stdout.write(`\n${shape} (-O2 pipeline of target ${target}; CPU ms per pass, median of ${runs} run${runs > 1 ? 's' : ''})\n\n${table(rows)}\n`);
}
if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
