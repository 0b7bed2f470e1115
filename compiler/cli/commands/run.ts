import { mkdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError, type Graph, type Tensor } from '../../../ir/index.js';
import { BOARDS } from '../../../targets/boards.js';
import { resolveTargetAndBoard } from './compile.js';
import { compileGraph } from '../../driver.js';
import type { LoadedArtifact, TargetEntry, TargetSession } from '../../targets/entry.js';
import { targetEntry, targetForArtifact, targetNames } from '../../targets/registry.js';
import { graphSignature, parseInputFiles, parseInputShapes, prepareFeeds, readInputFiles, staticInputShapes } from '../../feeds.js';
import { loadModel, parseBindFlags, writeTensorFile } from '../../index.js';
import { describeStats, tensorStats } from '../format.js';
import type { CliIO } from '../io.js';
import { optimizeOptionsFrom, withPipelineOptions, type PipelineArgs } from '../options.js';

export interface RunArgs extends PipelineArgs {
  model: string;
  input: string[];
  'output-dir'?: string;
  seed: number;
  target?: string;
  board?: string;
  vlen?: number;
  json: boolean;
}

export function runBuilder(y: Argv): Argv<RunArgs> {
  return withPipelineOptions(
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model, compiled artifact (.wasm, rvv .elf, .edgecgpu) or IR text (.ir)' })
      .option('input', { alias: 'i', type: 'string', array: true, default: [] as string[], describe: 'input data: name=file.npy or name=file.pb (others are random)' })
      .option('output-dir', { alias: 'o', type: 'string', describe: 'write each output to <dir>/<name>.npy' })
      .option('seed', { type: 'number', default: 0, describe: 'seed for random inputs' })
      .option('target', { alias: 't', type: 'string', choices: targetNames(), describe: 'where to run an ONNX model (default: the board\'s target, else reference)' })
      .option('board', { type: 'string', choices: [...BOARDS.keys()], describe: 'board profile: its target, and its VLEN for qemu' })
      .option('vlen', { type: 'number', describe: 'rvv: the vector length qemu emulates (128, 256 or 512; default the board\'s, else 256)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' }),
  )
    .example('$0 run model.onnx', 'run on seeded random inputs on the reference interpreter')
    .example('$0 run model.onnx -t wasm -i input=x.npy -o out/', 'compile for wasm, run on x.npy, write outputs as .npy')
    .example('$0 run vad.onnx -t wasm --bind sr=16000', 'with input sr fixed to 16000 at compile time (not fed at run time)')
    .example('$0 run model.wasm', 'run a compiled artifact')
    .example('$0 run model.onnx -t rvv --vlen 512', 'compile for RISC-V Vector and run under qemu at VLEN 512')
    .example('$0 run out/model.elf --vlen 128', 'run a compiled rvv ELF under qemu')
    .example('$0 run model.edgecgpu', 'run a WebGPU bundle (in Node through Dawn; SwiftShader without a GPU)') as Argv<RunArgs>;
}

/** File name for an output: its value name with anything unsafe for a file name replaced. */
export function outputFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'output'}.npy`;
}

/**
 * Where the model runs: an artifact file goes to the target whose artifacts have its extension (.ir to the
 * reference); an ONNX model is compiled for the chosen target first, then opened the same way.
 */
async function prepareExecution(args: RunArgs, given: Record<string, Tensor>, io: CliIO): Promise<{ label: string; artifact: LoadedArtifact; session: TargetSession }> {
  const { target, board } = resolveTargetAndBoard(args.target, args.board, 'reference');
  const vlen = args.vlen ?? board?.vlen ?? 256;
  const artifactTarget = targetForArtifact(extname(args.model).toLowerCase());
  const bind = parseBindFlags(args.bind);
  if (artifactTarget) {
    if (Object.keys(bind).length > 0) throw new EdgecError('USAGE', `--bind applies when compiling an ONNX model; ${args.model} is compiled already (bind when compiling it)`, { file: args.model });
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(args.model);
    } catch (e) {
      throw new EdgecError('IO', `cannot read: ${(e as Error).message}`, { file: args.model });
    }
    return open(artifactTarget, vlen, bytes, { file: args.model });
  }
  const shapes = parseInputShapes(args['input-shape']);
  let graph = loadModel(args.model, { inputShapes: shapes, bind });
  // Compiled targets need static shapes: take symbolic dims from the given inputs, else 1.
  const fixed = staticInputShapes(graphSignature(graph), shapes, given);
  if (Object.keys(fixed).length > Object.keys(shapes).length) graph = loadModel(args.model, { inputShapes: fixed, bind });
  const entry = targetEntry(target);
  const compiled = compileGraph(graph, { ...optimizeOptionsFrom(args, target, io.err), targetOptions: entry.options({}, board) });
  return open(entry, vlen, compiled.artifact.bytes, { graph: compiled.graph });
}

async function open(entry: TargetEntry, vlen: number, bytes: Uint8Array, from: { graph?: Graph; file?: string }) {
  const session = await entry.session({ vlen });
  try {
    return { label: session.label, artifact: await session.open(bytes, from), session };
  } catch (e) {
    session.close();
    throw e;
  }
}

export async function runCommand(args: RunArgs, io: CliIO): Promise<number> {
  const files = parseInputFiles(args.input);
  const fed = Object.keys(files).filter((name) => name in parseBindFlags(args.bind));
  if (fed.length > 0) throw new EdgecError('USAGE', `${fed.map((n) => `'${n}'`).join(', ')} bound with --bind, so not an input to feed with -i`);
  const given = readInputFiles(files);
  const execution = await prepareExecution(args, given, io);
  const { feeds, sources } = prepareFeeds(execution.artifact.inputs, given, args.seed);
  for (const name of Object.keys(files)) sources[name] = files[name]!;
  const started = performance.now();
  let outputs: Record<string, Tensor>;
  try {
    outputs = await execution.artifact.run(feeds);
  } finally {
    execution.artifact.close();
    execution.session.close();
  }
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
    io.out(JSON.stringify({ model: args.model, target: execution.label, milliseconds: ms, inputs: sources, outputs: stats, written }, null, 2));
    return 0;
  }
  io.out(`${chalk.bold(args.model)} on ${execution.label} in ${ms.toFixed(1)} ms`);
  for (const [name, source] of Object.entries(sources)) io.out(`  input ${name}: ${source}`);
  for (const [name, s] of Object.entries(stats)) {
    io.out(describeStats(name, s));
    if (written[name]) io.out(`    written to ${written[name]}`);
  }
  return 0;
}
