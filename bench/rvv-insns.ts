// Dynamic instruction counts of the rvv target under qemu (TCG plugin), per model and per kernel:
//   node dist/bench/rvv-insns.js [--models resnet18,tiny_encoder] [--vlens 128,256,512] [--int8] [--kernels 8] [--json]
//
// Per model and VLEN: edgec's count, the count of plain C versions of the same kernels (bench/rvv-naive.ts,
// clang-19 -O3 -march=rv64gcv auto-vectorized), and the ideal bound MACs / (VLEN/32) for fp32 or
// MACs / (VLEN/8) for int8. Counts are exact and repeatable; qemu's wall time is not a measure of RVV speed.
// Every run's outputs are checked against the reference interpreter first (fp32 within 1e-4 relative, int8 exact).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optimize } from '../compiler/driver.js';
import { prepareFeeds } from '../compiler/feeds.js';
import { importOnnxFile } from '../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../compiler/quantize/index.js';
import { arrayFromBytes, arrayToBytes, type DType, type Graph, type Tensor } from '../ir/index.js';
import { runGraph } from '../targets/reference/index.js';
import { buildSources } from '../targets/rvv/build.js';
import { generateRvvSources, type RvvSources } from '../targets/rvv/compile.js';
import { rvvKernelFor } from '../targets/rvv/kernels/index.js';
import { qemuCpu, QEMU_DYNAMIC } from '../targets/rvv/qemu.js';
import { REPO_ROOT, sharedPath } from '../tests/support/shared.js';
import { formatNumber, formatTable, type Cell } from './format.js';
import { macsOf } from './macs.js';
import { paint, progress } from './paint.js';
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

/** Builds the counting plugin with the host C compiler (once per run of this benchmark). */
function buildPlugin(dir: string): string {
  const out = join(dir, 'libcount.so');
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, join(REPO_ROOT, 'bench', 'qemu-plugin', 'count.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the qemu plugin failed: ${r.stderr || r.error?.message}`);
  return out;
}

/** Address ranges of the node functions (index = node) and of the glue (index -1), from the ELF's symbols. */
function ranges(elfPath: string, nodes: RvvSources['nodes']): string {
  const r = spawnSync('riscv64-linux-gnu-nm', ['-S', '--defined-only', elfPath], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`nm failed: ${r.stderr}`);
  const index = new Map<string, number>(nodes.map((n, i) => [n.symbol, i]));
  for (const glue of ['edgec_model_run', 'main']) index.set(glue, -1);
  const lines: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const [addr, size, , name] = line.trim().split(/\s+/);
    if (!name || !size || !index.has(name)) continue;
    const start = BigInt(`0x${addr}`);
    lines.push(`${start.toString(16)} ${(start + BigInt(`0x${size}`)).toString(16)} ${index.get(name)}`);
  }
  return lines.join('\n') + '\n';
}

interface Count {
  total: number;
  perNode: number[];
  outputs: Record<string, Tensor>;
}

function countOnQemu(dir: string, plugin: string, tag: string, files: Record<string, Uint8Array>, sources: RvvSources, feeds: Record<string, Tensor>, vlen: number): Count {
  const elf = join(dir, `${tag}.elf`);
  writeFileSync(elf, files['model.elf']!, { mode: 0o755 });
  writeFileSync(`${elf}.ranges`, ranges(elf, sources.nodes));
  const inputs = sources.inputs.map((e, i) => {
    const path = join(dir, `${tag}.in${i}`);
    writeFileSync(path, arrayToBytes(e.dtype as DType, feeds[e.name]!.data));
    return path;
  });
  const outputs = sources.outputs.map((_, i) => join(dir, `${tag}.out${i}`));
  const counts = join(dir, `${tag}.counts`);
  const r = spawnSync(QEMU_DYNAMIC, ['-cpu', qemuCpu(vlen), '-plugin', `${plugin},ranges=${elf}.ranges,out=${counts}`, elf, ...inputs, ...outputs], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tag} failed under qemu at VLEN ${vlen}: ${r.stderr}`);
  const perNode = new Array<number>(sources.nodes.length).fill(0);
  let total = 0;
  for (const line of readFileSync(counts, 'utf8').split('\n')) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'total') total = Number(a);
    if (kind === 'range') perNode[Number(a)] = Number(b);
  }
  const out: Record<string, Tensor> = {};
  sources.outputs.forEach((e, i) => {
    out[e.name] = { dtype: e.dtype as DType, shape: e.shape, data: arrayFromBytes(e.dtype as DType, new Uint8Array(readFileSync(outputs[i]!))) } as Tensor;
  });
  return { total, perNode, outputs: out };
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
      const c = countOnQemu(dir, plugin, `${name}-${b.tag}`, b.files, b.sources, feeds, vlen);
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
  const plugin = buildPlugin(dir);
  const rows = args.models.flatMap((m) => measure(m, args, dir, plugin));
  process.stdout.write(args.json ? `${JSON.stringify(rows, null, 2)}\n` : `${report(rows, args)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
