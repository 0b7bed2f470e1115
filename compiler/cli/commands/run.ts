import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError } from '../../../ir/index.js';
import { loadModel, parseInputFiles, parseInputShapes, prepareFeeds, runReference, writeTensorFile } from '../../index.js';
import { describeStats, tensorStats } from '../format.js';
import type { CliIO } from '../io.js';

export interface RunArgs {
  model: string;
  input: string[];
  'input-shape': string[];
  'output-dir'?: string;
  seed: number;
  target: string;
  json: boolean;
}

export const RUN_TARGETS = ['reference'] as const;

export function runBuilder(y: Argv): Argv<RunArgs> {
  return y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
    .option('input', { alias: 'i', type: 'string', array: true, default: [] as string[], describe: 'input data: name=file.npy or name=file.pb (others are random)' })
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'fix an input shape: name=1,3,224,224' })
    .option('output-dir', { alias: 'o', type: 'string', describe: 'write each output to <dir>/<name>.npy' })
    .option('seed', { type: 'number', default: 0, describe: 'seed for random inputs' })
    .option('target', { type: 'string', default: 'reference', choices: [...RUN_TARGETS], describe: 'where to run' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
    .example('$0 run model.onnx', 'run on seeded random inputs and summarize the outputs')
    .example('$0 run model.onnx -i input=x.npy -o out/', 'run on a .npy input, write outputs as .npy') as Argv<RunArgs>;
}

/** File name for an output: its value name with anything unsafe for a file name replaced. */
export function outputFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'output'}.npy`;
}

export function runCommand(args: RunArgs, io: CliIO): number {
  const graph = loadModel(args.model, { inputShapes: parseInputShapes(args['input-shape']) });
  const { feeds, sources } = prepareFeeds(graph, parseInputFiles(args.input), args.seed);
  const started = performance.now();
  const outputs = runReference(graph, feeds);
  const ms = performance.now() - started;
  const written: Record<string, string> = {};
  if (args['output-dir']) {
    try {
      mkdirSync(args['output-dir'], { recursive: true });
    } catch (e) {
      throw new EdgecError('IO', `cannot create output folder: ${(e as Error).message}`, { file: args['output-dir'] });
    }
    for (const [name, tensor] of Object.entries(outputs)) {
      const path = join(args['output-dir'], outputFileName(name));
      writeTensorFile(path, name, tensor);
      written[name] = path;
    }
  }
  const stats = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, tensorStats(t)]));
  if (args.json) {
    io.out(JSON.stringify({ model: args.model, target: args.target, milliseconds: ms, inputs: sources, outputs: stats, written }, null, 2));
    return 0;
  }
  io.out(`${chalk.bold(args.model)} on ${args.target} in ${ms.toFixed(1)} ms`);
  for (const [name, source] of Object.entries(sources)) io.out(`  input ${name}: ${source}`);
  for (const [name, s] of Object.entries(stats)) {
    io.out(describeStats(name, s));
    if (written[name]) io.out(`    written to ${written[name]}`);
  }
  return 0;
}
