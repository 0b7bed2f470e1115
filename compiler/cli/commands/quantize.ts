import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError, printGraph, type Tensor } from '../../../ir/index.js';
import { runGraph } from '../../../targets/reference/index.js';
import { loadModel, parseInputShapes } from '../../index.js';
import { exportOnnx } from '../../onnx/export.js';
import { stderrProgress, stepCallback } from '../../progress.js';
import { argmax, BIAS_CORRECTION_SAMPLES, calibrationInputs, CALIBRATION_METHODS, prepareForQuantization, quantizeModel, SnrAccumulator, syntheticInputs, type CalibrationMethod } from '../../quantize/index.js';
import type { CliIO } from '../io.js';

export interface QuantizeArgs {
  model: string;
  output?: string;
  calibrate: string;
  method: string;
  percentile: number;
  activations: string;
  'bias-correction': number;
  'keep-float': string[];
  'auto-snr'?: number;
  'max-float-layers': number;
  ir?: string;
  check: number;
  'input-shape': string[];
  json: boolean;
  quiet: boolean;
}

export function quantizeBuilder(y: Argv): Argv<QuantizeArgs> {
  return y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file (float)' })
    .option('output', { alias: 'o', type: 'string', describe: 'QDQ ONNX file to write (default: <model>.int8.onnx)' })
    .option('calibrate', { type: 'string', default: 'synthetic:16', describe: 'calibration inputs: a folder of .npy/.pb files, or synthetic:N seeded N(0,1) inputs' })
    .option('method', { type: 'string', default: 'minmax', choices: [...CALIBRATION_METHODS], describe: 'activation range estimator' })
    .option('percentile', { type: 'number', default: 99.99, describe: 'for --method percentile: the central percentage kept' })
    .option('activations', { type: 'string', default: 'u8', choices: ['u8', 'i8'], describe: 'activation type (weights are int8 per output channel)' })
    .option('bias-correction', { type: 'number', default: BIAS_CORRECTION_SAMPLES, describe: 'correct the biases of quantized layers on this many calibration inputs (0: off)' })
    .option('keep-float', { type: 'string', array: true, default: [] as string[], describe: 'node names, output names or op types to keep in float' })
    .option('auto-snr', { type: 'number', describe: 'keep the worst layers in float until the output SNR (dB, on calibration inputs) reaches this' })
    .option('max-float-layers', { type: 'number', default: 8, describe: 'with --auto-snr: at most this many layers kept in float' })
    .option('ir', { type: 'string', describe: 'also write the int8 IR (text form) here' })
    .option('check', { type: 'number', default: 0, describe: 'compare int8 with float on N held-apart synthetic inputs (SNR, top-1)' })
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'fix an input shape: name=1,3,224,224' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar' })
    .example('$0 quantize model.onnx -o model.int8.onnx --calibrate synthetic:32 --method entropy', 'int8 QDQ model calibrated on 32 seeded inputs')
    .example('$0 quantize model.onnx --calibrate ./calib --keep-float /fc/Gemm --auto-snr 30', 'calibrate on files, mixed precision') as Argv<QuantizeArgs>;
}

export function quantizeCommand(args: QuantizeArgs, io: CliIO): number {
  const started = performance.now();
  const graph = prepareForQuantization(loadModel(args.model, { inputShapes: parseInputShapes(args['input-shape']) }));
  const calibration = calibrationInputs(graph, args.calibrate);
  const method = args.method as CalibrationMethod;
  const result = quantizeModel(graph, {
    calibration,
    method,
    percentile: args.percentile,
    activations: args.activations as 'u8' | 'i8',
    biasCorrection: args['bias-correction'],
    keepFloat: args['keep-float'],
    auto: args['auto-snr'] === undefined ? undefined : { targetSnr: args['auto-snr'], maxFloatLayers: args['max-float-layers'] },
    prepared: true,
    progress: stepCallback(stderrProgress(process.stderr, args.quiet || args.json), `calibrating (${method})`),
  });
  const output = args.output ?? join(dirname(args.model), `${basename(args.model, extname(args.model))}.int8.onnx`);
  write(output, exportOnnx(result.qdq));
  if (args.ir) write(args.ir, new TextEncoder().encode(printGraph(result.int8)));
  const ops: Record<string, number> = {};
  for (const n of result.int8.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const report: Record<string, unknown> = {
    model: args.model,
    output,
    method,
    calibration: { source: args.calibrate, samples: calibration.length },
    activations: args.activations,
    keptFloat: result.keptFloat,
    ops,
    auto: result.auto,
    milliseconds: Math.round(performance.now() - started),
  };
  if (args.check > 0) report['check'] = checkAccuracy(result.float, result.int8, args.check);
  if (args.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  io.out(`${chalk.green('quantized')} ${args.model} -> ${output} (${method}, ${calibration.length} calibration inputs, ${report['milliseconds']} ms)`);
  io.out(`  int8 ops: ${Object.entries(ops).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (result.keptFloat.length > 0) io.out(`  kept in float: ${result.keptFloat.join(', ')}`);
  for (const step of result.auto ?? []) io.out(`  auto: ${step.kept ? `keep ${step.kept} in float` : 'all int8'} -> output SNR ${step.snr.toFixed(2)} dB`);
  const check = report['check'] as { inputs: number; snrDb: number; top1: number } | undefined;
  if (check) io.out(`  vs float on ${check.inputs} held-apart inputs: SNR ${check.snrDb.toFixed(2)} dB, top-1 agreement ${(check.top1 * 100).toFixed(1)}%`);
  return 0;
}

function write(path: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  } catch (e) {
    throw new EdgecError('IO', `cannot write: ${(e as Error).message}`, { file: path });
  }
}

function checkAccuracy(float: Parameters<typeof runGraph>[0], int8: Parameters<typeof runGraph>[0], count: number): { inputs: number; snrDb: number; top1: number } {
  const snr = new SnrAccumulator();
  let agree = 0;
  for (const feeds of syntheticInputs(float, count, 500_000)) {
    const a: Tensor = Object.values(runGraph(float, feeds))[0]!;
    const b: Tensor = Object.values(runGraph(int8, feeds))[0]!;
    snr.add(a.data as Float32Array, b.data as Float32Array);
    if (argmax(a.data as Float32Array) === argmax(b.data as Float32Array)) agree++;
  }
  return { inputs: count, snrDb: snr.db, top1: agree / count };
}
