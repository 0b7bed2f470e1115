/**
 * Times every distinct convolution layer of resnet18 and mobilenet_v2 on the wasm target, each compiled alone
 * (a one-node graph with the layer's own weights), and prints GFLOP/s per layer and per layer type.
 *
 *   npx tsc -p . && node dist/bench/conv-layers.js [--runs 20] [--no-check] [--json] [--model resnet18]
 *
 * Each layer's output is compared with the reference interpreter first (a fast wrong answer is not a result).
 */
import { performance } from 'node:perf_hooks';
import { importOnnxFile } from '../compiler/onnx/index.js';
import { randomTensor, seededRandom } from '../compiler/io/random.js';
import { GraphBuilder, type Graph, type Node, type Tensor } from '../ir/index.js';
import { runPipeline } from '../passes/manager.js';
import { PASSES } from '../passes/registry.js';
import { runGraph } from '../targets/reference/index.js';
import { compileWasm } from '../targets/wasm/index.js';
import { convGeometry, type ConvGeometry } from '../targets/shared/conv-geometry.js';
import { isDepthwise } from '../targets/wasm/kernels/conv/depthwise.js';
import { useWinograd } from '../targets/wasm/kernels/conv/winograd.js';
import { sharedPath } from '../tests/support/shared.js';

interface Row {
  model: string;
  layer: string;
  kind: string;
  count: number;
  shape: string;
  mflop: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  gflops: number;
  error: number | null;
}

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 20) || 20;
const check = !args.includes('--no-check');
const json = args.includes('--json');
const onlyModel = args.includes('--model') ? args[args.indexOf('--model') + 1] : undefined;

function layerGraph(node: Node): Graph {
  const b = new GraphBuilder('layer');
  const [x, w, bias] = node.inputs;
  const xi = b.input('x', x!.type);
  const wc = b.constant('w', w!.data!);
  const bc = bias ? b.constant('b', bias.data!) : null;
  b.output(b.op('Conv', [xi, wc, bc], node.attrs, 'y'));
  return b.build();
}

function kindOf(g: ConvGeometry, winograd: boolean): string {
  if (isDepthwise(g)) return `depthwise ${g.KH}x${g.KW} s${g.SH}`;
  if (g.KH === 1 && g.KW === 1) return `1x1 s${g.SH}`;
  if (g.KH === 3 && g.KW === 3) return winograd && useWinograd(g) ? '3x3 winograd' : `3x3 direct s${g.SH}`;
  return `${g.KH}x${g.KW} s${g.SH}`;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeLayer(node: Node, winograd: boolean): Promise<{ times: number[]; error: number | null }> {
  const graph = layerGraph(node);
  const x = randomTensor('f32', graph.inputs[0]!.type.shape as number[], seededRandom(3));
  let expected: Tensor | undefined;
  if (check) expected = runGraph(layerGraph(node), { x })['y'];
  runPipeline(graph, 'plan-memory', PASSES);
  const artifact = compileWasm(graph, { winograd });
  const { instance } = await WebAssembly.instantiate(artifact.bytes as BufferSource, {});
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const run = instance.exports['run'] as () => void;
  const input = artifact.io.inputs[0]!;
  const output = artifact.io.outputs[0]!;
  new Float32Array(memory.buffer, input.offset, x.data.length).set(x.data as Float32Array);
  run();
  let error: number | null = null;
  if (expected) {
    const got = new Float32Array(memory.buffer, output.offset, expected.data.length);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < got.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[i]! - Number(expected.data[i])));
      maxRef = Math.max(maxRef, Math.abs(Number(expected.data[i])));
    }
    error = maxDiff / maxRef;
  }
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return { times, error };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const model of ['resnet18', 'mobilenet_v2']) {
    if (onlyModel && model !== onlyModel) continue;
    const graph = importOnnxFile(sharedPath('models', `${model}.onnx`));
    const distinct = new Map<string, { node: Node; count: number }>();
    for (const node of graph.nodes) {
      if (node.op !== 'Conv') continue;
      const key = JSON.stringify([node.inputs[0]!.type.shape, node.inputs[1]!.type.shape, node.attrs, !!node.inputs[2]]);
      const known = distinct.get(key);
      if (known) known.count++;
      else distinct.set(key, { node, count: 1 });
    }
    for (const { node, count } of distinct.values()) {
      const g = convGeometry(node) as ConvGeometry;
      const variants = g.KH === 3 && g.KW === 3 && useWinograd(g) && !isDepthwise(g) ? [true, false] : [true];
      for (const winograd of variants) {
        const { times, error } = await timeLayer(node, winograd);
        const mflop = (2 * g.batch * g.M * g.K * g.OH * g.OW) / 1e6;
        const med = median(times);
        rows.push({
          model,
          layer: node.label,
          kind: kindOf(g, winograd),
          count: winograd || variants.length === 1 ? count : 0,
          shape: `${g.C}x${g.H}x${g.W} -> ${g.M}x${g.OH}x${g.OW} k${g.KH} s${g.SH} g${g.group}`,
          mflop,
          medianMs: med,
          minMs: Math.min(...times),
          maxMs: Math.max(...times),
          gflops: mflop / med,
          error,
        });
      }
    }
  }
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  console.log(`${pad('model', 13)}${pad('kind', 18)}${pad('shape', 42)}${pad('n', 3)}${pad('MFLOP', 9)}${pad('ms (min-max)', 24)}${pad('GFLOP/s', 9)}rel.err`);
  for (const r of rows) {
    const spread = `${r.medianMs.toFixed(3)} (${r.minMs.toFixed(3)}-${r.maxMs.toFixed(3)})`;
    console.log(`${pad(r.model, 13)}${pad(r.kind, 18)}${pad(r.shape, 42)}${pad(r.count, 3)}${pad(r.mflop.toFixed(1), 9)}${pad(spread, 24)}${pad(r.gflops.toFixed(1), 9)}${r.error === null ? '-' : r.error.toExponential(1)}`);
  }
  console.log('\nper model and layer type (the default choice per layer; direct 3x3 rows with n = 0 are for comparison):');
  const groups = new Map<string, { ms: number; mflop: number }>();
  for (const r of rows) {
    if (r.count === 0) continue;
    const k = `${r.model} ${r.kind}`;
    const acc = groups.get(k) ?? { ms: 0, mflop: 0 };
    acc.ms += r.medianMs * r.count;
    acc.mflop += r.mflop * r.count;
    groups.set(k, acc);
  }
  for (const [k, v] of groups) console.log(`  ${pad(k, 36)} ${v.ms.toFixed(2).padStart(8)} ms  ${(v.mflop / v.ms).toFixed(1).padStart(6)} GFLOP/s (effective)`);
  for (const model of ['resnet18', 'mobilenet_v2']) {
    const total = rows.filter((r) => r.model === model && r.count > 0).reduce((s, r) => s + r.medianMs * r.count, 0);
    if (total > 0) console.log(`  ${model} conv total: ${total.toFixed(2)} ms`);
  }
}

await main();
