import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError } from '../../../ir/index.js';
import { benchModel, benchTargets, PRECISIONS, type Precision } from '../../bench/engine.js';
import { findTargetEntry } from '../../targets/registry.js';
import { stderrProgress } from '../../progress.js';
import { benchHtml } from '../../bench/report-html.js';
import { benchNotes, benchTable, profileTable } from '../../bench/table.js';
import { parseInputShapes } from '../../feeds.js';
import { parseBindFlags } from '../../onnx/index.js';
import { readSigningKey } from '../../provenance/keys.js';
import type { CliIO } from '../io.js';

export interface BenchArgs {
  model: string;
  targets: string;
  quant: string;
  vlen: number;
  runs: number;
  warmup: number;
  seed: number;
  calibrate: string;
  'input-shape': string[];
  bind: string[];
  'profile-runs': number;
  html?: string;
  markdown: boolean;
  json: boolean;
  quiet: boolean;
  contract?: string;
  'sign-key'?: string;
}

export function benchBuilder(y: Argv): Argv<BenchArgs> {
  return y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
    .option('targets', { type: 'string', default: 'wasm,ort-web,ort-node', describe: `comma-separated, of ${benchTargets().join(', ')}` })
    .option('quant', { type: 'string', default: 'fp32', describe: 'precisions: fp32, int8 or fp32,int8 (int8: quantized with synthetic calibration)' })
    .option('vlen', { type: 'number', default: 256, describe: 'rvv: the VLEN qemu emulates for instruction counts (128, 256, 512)' })
    .option('runs', { type: 'number', default: 20, describe: 'timed runs per contender (interleaved)' })
    .option('warmup', { type: 'number', default: 5, describe: 'warm-up rounds before timing (and at least 500 ms)' })
    .option('seed', { type: 'number', default: 42, describe: 'seed of the benchmark input' })
    .option('calibrate', { type: 'string', default: 'synthetic:4', describe: 'int8 calibration data: synthetic:N seeded random inputs' })
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'fix an input shape: name=1,3,224,224' })
    .option('bind', { type: 'string', array: true, default: [] as string[], describe: 'fix an input to a constant at compile time: name=16000, name=1,2,3 or name=value.npy' })
    .option('profile-runs', { type: 'number', default: 10, describe: 'runs of the wasm profiling build for the per-kernel breakdown (0: none)' })
    .option('contract', { type: 'string', describe: 'model contract (JSON or YAML) sealed into every artifact, as for edgec compile' })
    .option('sign-key', { type: 'string', describe: 'Ed25519 private key (.pem from edgec keygen) to sign every artifact\'s seal with' })
    .option('html', { type: 'string', describe: 'write a self-contained HTML report with charts to this file' })
    .option('markdown', { type: 'boolean', default: false, describe: 'print the table as markdown (README-ready)' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar' })
    .epilog('Exit 1 when a contender\'s outputs differ from the reference (or none could be measured); contenders that cannot compile or run here are reported with their error code.')
    .example('$0 bench model.onnx', 'edgec wasm against onnxruntime-web and onnxruntime-node, fp32')
    .example('$0 bench model.onnx --targets wasm,rvv,webgpu,ort-node,ort-web --quant fp32,int8 --vlen 256 --html report.html', 'every target and precision, with an HTML report')
    .example('$0 bench model.onnx --runs 50 --json > bench.json', 'more runs, as JSON for scripts') as Argv<BenchArgs>;
}

function list<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length > 0 || items.length === 0) throw new EdgecError('USAGE', `--${flag} takes a comma-separated list of ${allowed.join(', ')}; got '${text}'`);
  return [...new Set(items)] as T[];
}

function positiveInteger(flag: string, n: number, min: number): number {
  if (!Number.isInteger(n) || n < min) throw new EdgecError('USAGE', `--${flag} must be an integer >= ${min}, got ${n}`);
  return n;
}

function calibrationCount(spec: string): number {
  const m = /^synthetic:([0-9]+)$/.exec(spec);
  if (!m || Number(m[1]) < 1) throw new EdgecError('USAGE', `--calibrate must look like synthetic:N (N >= 1), got '${spec}'`);
  return Number(m[1]);
}

export async function benchCommand(args: BenchArgs, io: CliIO): Promise<number> {
  const targets = list('targets', args.targets, benchTargets());
  const precisions = list<Precision>('quant', args.quant, PRECISIONS);
  if (![128, 256, 512].includes(args.vlen)) throw new EdgecError('USAGE', `--vlen must be 128, 256 or 512, got ${args.vlen}`);
  const report = await benchModel({
    model: args.model,
    targets,
    precisions,
    inputShapes: parseInputShapes(args['input-shape']),
    bind: parseBindFlags(args.bind),
    runs: positiveInteger('runs', args.runs, 1),
    warmup: positiveInteger('warmup', args.warmup, 0),
    seed: positiveInteger('seed', args.seed, 0),
    calibrate: calibrationCount(args.calibrate),
    vlen: args.vlen,
    profileRuns: positiveInteger('profile-runs', args['profile-runs'], 0),
    contract: args.contract,
    signingKey: args['sign-key'] === undefined ? undefined : readSigningKey(args['sign-key']),
    progress: stderrProgress(process.stderr, args.quiet || args.json),
  });
  if (args.html) {
    try {
      mkdirSync(dirname(args.html), { recursive: true });
      writeFileSync(args.html, benchHtml(report));
    } catch (e) {
      throw new EdgecError('IO', `cannot write the report: ${(e as Error).message}`, { file: args.html });
    }
  }
  // A wrong answer fails the run (exit 1), as does nothing measured at all; a contender that cannot compile or
  // run here (an unsupported op, a missing tool) is reported with its code and the others stand.
  const exit = report.contenders.some((r) => r.status === 'wrong') || report.contenders.every((r) => r.status !== 'ok') ? 1 : 0;
  if (args.json) {
    io.out(JSON.stringify(report, null, 2));
    return exit;
  }
  const style = args.markdown ? 'markdown' : 'plain';
  const macs = report.summary.macs === null ? '' : `, ${(report.summary.macs / 1e6).toFixed(0)} MMACs`;
  const how = [
    `median of ${args.runs} interleaved runs (ms)`,
    ...targets.flatMap((t) => findTargetEntry(t)?.bench?.note({ vlen: args.vlen }) ?? []),
  ];
  io.out(`${chalk.bold(args.model)}${macs}: ${how.join('; ')}; load ${report.machine.loadavg} on ${report.machine.cpus} cores`);
  io.out(benchTable(report, style));
  for (const note of benchNotes(report)) io.out(`  ${note}`);
  const profile = profileTable(report, 8, style);
  if (profile) io.out(`\n${profile}`);
  if (args.html) io.out(`\n${chalk.green('wrote')} ${args.html}`);
  return exit;
}
