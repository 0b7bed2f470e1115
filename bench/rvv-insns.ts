// Dynamic instruction counts of the rvv target under qemu (TCG plugin), per model and per kernel:
//   node dist/bench/rvv-insns.js [--models resnet18,tiny_encoder] [--vlens 128,256,512] [--int8] [--kernels 8] [--json]
//
// Per model and VLEN: edgec's count, the count of plain C versions of the same kernels (bench/rvv-naive.ts,
// clang-19 -O3 -march=rv64gcv auto-vectorized), and the ideal bound MACs / (VLEN/32) for fp32 or
// MACs / (VLEN/8) for int8. Counts are exact and repeatable; qemu's wall time is not a measure of RVV speed.
// Every run's outputs are checked against the reference interpreter first (fp32 within 1e-4 relative, int8 exact).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optimize } from '../compiler/driver.js';
import { prepareFeeds } from '../compiler/feeds.js';
import { importOnnxFile } from '../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../compiler/quantize/index.js';
import type { Graph, Tensor } from '../ir/index.js';
import { runGraph } from '../targets/reference/index.js';
import { buildSources } from '../targets/rvv/build.js';
import { generateRvvSources, type RvvSources } from '../targets/rvv/compile.js';
import { rvvKernelFor } from '../targets/rvv/kernels/index.js';
import { sharedPath } from '../tests/support/shared.js';
import { buildCountPlugin, countInstructions } from '../compiler/bench/rvv-count.js';
import { formatNumber, formatTable, type Cell } from '../compiler/bench/format.js';
import { macsOf } from '../compiler/bench/macs.js';
import { paint, progress } from '../compiler/bench/paint.js';
import { naiveKernelFor } from './rvv-naive.js';

interface Args {
  models: string[];
  vlens: number[];
  int8: boolean;
  kernels: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  return {
    models: (value('--models') ?? 'mobilenet_v2,resnet18,squeezenet1_1,tiny_encoder').split(','),
    vlens: (value('--vlens') ?? '128,256,512').split(',').map(Number),
    int8: argv.includes('--int8'),
    kernels: Number(value('--kernels') ?? 6),
    json: argv.includes('--json'),
  };
}

/** max |a - b| / max |b| over the outputs (0 means bit-exact). */
function relativeError(actual: Record<string, Tensor>, expected: Record<string, Tensor>): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name]!;
    let diff = 0;
    let ref = 0;
    for (let i = 0; i < e.data.length; i++) {
      diff = Math.max(diff, Math.abs(Number(a.data[i]) - Number(e.data[i])));
      ref = Math.max(ref, Math.abs(Number(e.data[i])));
    }
    worst = Math.max(worst, ref === 0 ? diff : diff / ref);
  }
  return worst;
}

interface Row {
  model: string;
  precision: 'fp32' | 'int8';
  vlen: number;
  macs: number;
  edgec: number;
  plainC: number | null;
  ideal: number;
  edgecError: number;
  plainCError: number | null;
  kernels: { node: string; op: string; macs: number; edgec: number; plainC: number | null; ideal: number }[];
}

function prepare(name: string, int8: boolean): { graph: () => Graph; feeds: Record<string, Tensor>; expected: Record<string, Tensor> } {
  const inputShapes = name === 'tiny_encoder' ? { input: [1, 32, 64] } : undefined;
  const path = name.endsWith('.onnx') ? name : sharedPath('models', `${name}.onnx`);
  if (!int8) {
    const original = importOnnxFile(path, { inputShapes });
    const { feeds } = prepareFeeds(original, {}, 5);
    return { graph: () => importOnnxFile(path, { inputShapes }), feeds, expected: runGraph(original, feeds) };
  }
  const source = importOnnxFile(path, { inputShapes });
  const quantized = quantizeModel(source, { calibration: syntheticInputs(source, 1), method: 'minmax' }).int8;
  const feeds = syntheticInputs(source, 1, 12345)[0]!;
  return { graph: () => quantizeModel(importOnnxFile(path, { inputShapes }), { calibration: syntheticInputs(source, 1), method: 'minmax' }).int8, feeds, expected: runGraph(quantized, feeds) };
}

function measure(name: string, args: Args, dir: string, plugin: string): Row[] {
  const precision = args.int8 ? 'int8' : 'fp32';
  progress(`${name} (${precision}): compiling edgec and plain-C builds`);
  const { graph, feeds, expected } = prepare(name, args.int8);
  const g = graph();
  optimize(g, { target: 'rvv', print: () => {} });
  const builds = [{ tag: 'edgec', kernels: rvvKernelFor }, ...(args.int8 ? [] : [{ tag: 'plain-c', kernels: naiveKernelFor }])].map(({ tag, kernels }) => {
    const sources = generateRvvSources(g, kernels);
    return { tag, sources, files: buildSources(sources).files };
  });
  const macs = g.nodes.map((n) => macsOf(n));
  const totalMacs = macs.reduce((a, b) => a + b, 0);
  const lanes = (vlen: number) => (args.int8 ? vlen / 8 : vlen / 32);
  return args.vlens.map((vlen) => {
    const counts = builds.map((b) => {
      progress(`${name} ${b.tag} at VLEN ${vlen}`);
      const c = countInstructions(dir, plugin, `${name}-${b.tag}`, b.files['model.elf']!, b.sources, feeds, vlen);
      return { ...c, error: relativeError(c.outputs, expected) };
    });
    const [edgec, plain] = [counts[0]!, counts[1]];
    return {
      model: name,
      precision,
      vlen,
      macs: totalMacs,
      edgec: edgec.total,
      plainC: plain?.total ?? null,
      ideal: totalMacs / lanes(vlen),
      edgecError: edgec.error,
      plainCError: plain?.error ?? null,
      kernels: g.nodes.map((n, i) => ({ node: n.label, op: n.op, macs: macs[i]!, edgec: edgec.perNode[i]!, plainC: plain ? plain.perNode[i]! : null, ideal: macs[i]! / lanes(vlen) })),
    };
  });
}

const millions = (n: number) => `${formatNumber(n / 1e6, 1)} M`;
const ratio = (a: number, b: number) => `${formatNumber(a / b, 2)}x`;

function report(rows: Row[], args: Args): string {
  const tolerance = (r: Row) => (r.precision === 'int8' ? 0 : 1e-4);
  const table = formatTable(
    [
      { header: 'model' }, { header: 'prec' }, { header: 'VLEN', align: 'right' }, { header: 'edgec', align: 'right' }, { header: 'plain C', align: 'right' },
      { header: 'plain C / edgec', align: 'right' }, { header: 'ideal', align: 'right' }, { header: 'edgec / ideal', align: 'right' }, { header: 'check' },
    ],
    rows.map((r) => {
      const ok = r.edgecError <= tolerance(r) && (r.plainCError === null || r.plainCError <= Math.max(tolerance(r), 1e-4));
      const speedup: Cell | string = r.plainC === null ? '—' : { text: ratio(r.plainC, r.edgec), tone: r.plainC / r.edgec >= 4 ? 'good' : 'bad' };
      const bound: Cell = { text: ratio(r.edgec, r.ideal), tone: r.edgec / r.ideal <= 2 ? 'good' : 'dim' };
      return [r.model, r.precision, String(r.vlen), millions(r.edgec), r.plainC === null ? '—' : millions(r.plainC), speedup, millions(r.ideal), bound, { text: ok ? 'ok' : 'WRONG', tone: ok ? 'good' : 'bad' }];
    }),
    { paint },
  );
  const kernelTables = [...new Set(rows.map((r) => r.model))].map((model) => {
    const row = rows.find((r) => r.model === model && r.vlen === 256) ?? rows.find((r) => r.model === model)!;
    const top = [...row.kernels].sort((a, b) => b.edgec - a.edgec).slice(0, args.kernels);
    return `\n${model} at VLEN ${row.vlen}: the ${top.length} kernels with the most instructions\n` + formatTable(
      [{ header: 'node' }, { header: 'op' }, { header: 'MMACs', align: 'right' }, { header: 'edgec', align: 'right' }, { header: 'plain C', align: 'right' }, { header: 'ideal', align: 'right' }, { header: 'edgec / ideal', align: 'right' }],
      top.map((k) => [k.node, k.op, formatNumber(k.macs / 1e6, 1), millions(k.edgec), k.plainC === null ? '—' : millions(k.plainC), k.macs ? millions(k.ideal) : '—', k.macs ? ratio(k.edgec, k.ideal) : '—']),
      { paint },
    );
  });
  return [table, ...kernelTables].join('\n');
}

const args = parseArgs(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), 'edgec-rvv-insns-'));
try {
  const plugin = buildCountPlugin(dir);
  const rows = args.models.flatMap((m) => measure(m, args, dir, plugin));
  process.stdout.write(args.json ? `${JSON.stringify(rows, null, 2)}\n` : `${report(rows, args)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
