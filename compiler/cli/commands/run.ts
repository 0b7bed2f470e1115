import { mkdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError, isDType, parseGraph, type DType, type Graph, type Tensor } from '../../../ir/index.js';
import { fromArtifactView, toArtifactFeeds } from '../../io/artifact-io.js';
import { rvvIoTable, runRvvElf } from '../../io/rvv-io.js';
import { load, type SealedModel } from '../../../runtime/index.js';
import { isBundle } from '../../../runtime/webgpu-bundle.js';
import { nodeGpu } from '../../webgpu-node.js';
import { BOARDS } from '../../../targets/boards.js';
import { resolveTargetAndBoard } from './compile.js';
import { TARGETS } from '../../../targets/index.js';
import { runGraph } from '../../../targets/reference/index.js';
import { compileGraph } from '../../driver.js';
import { graphSignature, parseInputFiles, parseInputShapes, prepareFeeds, readInputFiles, staticInputShapes, type InputSignature } from '../../feeds.js';
import { loadModel, writeTensorFile } from '../../index.js';
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
      .option('target', { alias: 't', type: 'string', choices: [...TARGETS.keys()], describe: 'where to run an ONNX model (default: the board\'s target, else reference)' })
      .option('board', { type: 'string', choices: [...BOARDS.keys()], describe: 'board profile: its target, and its VLEN for qemu' })
      .option('vlen', { type: 'number', describe: 'rvv: the vector length qemu emulates (128, 256 or 512; default the board\'s, else 256)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' }),
  )
    .example('$0 run model.onnx', 'run on seeded random inputs on the reference interpreter')
    .example('$0 run model.onnx -t wasm -i input=x.npy -o out/', 'compile for wasm, run on x.npy, write outputs as .npy')
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

interface Execution {
  /** What ran: "reference", "wasm", ... */
  target: string;
  inputs: readonly InputSignature[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /** Releases what the execution holds (a GPU device). */
  close(): void;
}

/** A compiled artifact (wasm module or WebGPU bundle) run through the runtime; WebGPU through Dawn in Node. */
async function artifactExecution(bytes: Uint8Array): Promise<Execution> {
  const model = isBundle(bytes) ? await load(bytes, { gpu: await nodeGpu() }) : await load(bytes);
  const signature = (list: SealedModel['inputs']) =>
    list.map((t) => {
      if (!isDType(t.dtype)) throw new EdgecError('UNSUPPORTED_DTYPE', `artifact input '${t.name}' has element type ${t.dtype}`);
      return { name: t.name, dtype: t.dtype, shape: t.shape };
    });
  const outputs = signature(model.outputs);
  return {
    target: model.kind,
    inputs: signature(model.inputs),
    async run(feeds) {
      const views = await model.run(toArtifactFeeds(feeds));
      // Copy out of the module's memory: the views are overwritten by the next run.
      return Object.fromEntries(outputs.map((o) => [o.name, fromArtifactView(o.dtype, o.shape, views[o.name]!)]));
    },
    close: () => (model.kind === 'webgpu' ? model.destroy() : undefined),
  };
}

function rvvExecution(elf: Uint8Array, vlen: number, file?: string): Execution {
  const io = rvvIoTable(elf, file);
  return {
    target: `rvv (qemu, VLEN ${vlen})`,
    inputs: io.inputs.map((e) => ({ name: e.name, dtype: e.dtype as DType, shape: e.shape })),
    run: async (feeds) => runRvvElf(elf, feeds, vlen).outputs,
    close: () => {},
  };
}

function referenceExecution(graph: Graph): Execution {
  return { target: 'reference', inputs: graphSignature(graph), run: async (feeds) => runGraph(graph, feeds), close: () => {} };
}

async function prepareExecution(args: RunArgs, given: Record<string, Tensor>, io: CliIO): Promise<Execution> {
  const ext = extname(args.model).toLowerCase();
  const { target, board } = resolveTargetAndBoard(args.target, args.board, 'reference');
  const vlen = args.vlen ?? board?.vlen ?? 256;
  if (ext === '.wasm' || ext === '.ir' || ext === '.elf' || ext === '.edgecgpu') {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(args.model);
    } catch (e) {
      throw new EdgecError('IO', `cannot read: ${(e as Error).message}`, { file: args.model });
    }
    if (ext === '.elf') return rvvExecution(bytes, vlen, args.model);
    return ext === '.ir' ? referenceExecution(parseGraph(new TextDecoder().decode(bytes))) : artifactExecution(bytes);
  }
  const shapes = parseInputShapes(args['input-shape']);
  let graph = loadModel(args.model, { inputShapes: shapes });
  // Compiled targets need static shapes: take symbolic dims from the given inputs, else 1.
  const fixed = staticInputShapes(graphSignature(graph), shapes, given);
  if (Object.keys(fixed).length > Object.keys(shapes).length) graph = loadModel(args.model, { inputShapes: fixed });
  const compiled = compileGraph(graph, { ...optimizeOptionsFrom(args, target, io.err), targetOptions: target === 'rvv' ? { cflags: [...(board?.cflags ?? [])] } : {} });
  if (target === 'reference') return referenceExecution(compiled.graph);
  if (target === 'wasm' || target === 'webgpu') return artifactExecution(compiled.artifact.bytes);
  if (target === 'rvv') return rvvExecution(compiled.artifact.bytes, vlen);
  throw new EdgecError('USAGE', `running on target '${target}' is not supported`);
}

export async function runCommand(args: RunArgs, io: CliIO): Promise<number> {
  const given = readInputFiles(parseInputFiles(args.input));
  const files = parseInputFiles(args.input);
  const execution = await prepareExecution(args, given, io);
  const { feeds, sources } = prepareFeeds(execution.inputs, given, args.seed);
  for (const name of Object.keys(files)) sources[name] = files[name]!;
  const started = performance.now();
  let outputs: Record<string, Tensor>;
  try {
    outputs = await execution.run(feeds);
  } finally {
    execution.close();
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
    io.out(JSON.stringify({ model: args.model, target: execution.target, milliseconds: ms, inputs: sources, outputs: stats, written }, null, 2));
    return 0;
  }
  io.out(`${chalk.bold(args.model)} on ${execution.target} in ${ms.toFixed(1)} ms`);
  for (const [name, source] of Object.entries(sources)) io.out(`  input ${name}: ${source}`);
  for (const [name, s] of Object.entries(stats)) {
    io.out(describeStats(name, s));
    if (written[name]) io.out(`    written to ${written[name]}`);
  }
  return 0;
}
