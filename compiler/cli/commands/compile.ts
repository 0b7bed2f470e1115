import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError } from '../../../ir/index.js';
import { TARGETS } from '../../../targets/index.js';
import { compileGraph } from '../../driver.js';
import { loadModel, parseInputShapes } from '../../index.js';
import { formatBytes } from '../format.js';
import type { CliIO } from '../io.js';
import { optimizeOptionsFrom, withPipelineOptions, type PipelineArgs } from '../options.js';

export interface CompileArgs extends PipelineArgs {
  model: string;
  target: string;
  output?: string;
  json: boolean;
  'relaxed-simd': boolean;
  winograd: boolean;
}

export function compileBuilder(y: Argv): Argv<CompileArgs> {
  return withPipelineOptions(
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
      .option('target', { alias: 't', type: 'string', default: 'wasm', choices: [...TARGETS.keys()], describe: 'what to compile for' })
      .option('output', { alias: 'o', type: 'string', describe: 'artifact file (default: the model name with the target\'s extension)' })
      .option('relaxed-simd', { type: 'boolean', default: false, describe: 'wasm: allow relaxed-simd (faster; results may differ between engines)' })
      .option('winograd', { type: 'boolean', default: true, describe: 'wasm: Winograd convolution for 3x3 stride-1 layers (--no-winograd to disable)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' }),
  )
    .example('$0 compile model.onnx --target wasm -o model.wasm', 'a self-contained WebAssembly module')
    .example('$0 compile model.onnx -t reference --print-after all -o model.ir', 'the optimized IR, printed after every pass') as Argv<CompileArgs>;
}

export function compileCommand(args: CompileArgs, io: CliIO): number {
  const started = performance.now();
  const graph = loadModel(args.model, { inputShapes: parseInputShapes(args['input-shape']) });
  const nodesBefore = graph.nodes.length;
  const result = compileGraph(graph, {
    ...optimizeOptionsFrom(args, args.target, io.err),
    targetOptions: { relaxedSimd: args['relaxed-simd'], winograd: args.winograd },
  });
  const milliseconds = performance.now() - started;
  const output = args.output ?? join(dirname(args.model), basename(args.model, extname(args.model)) + result.artifact.extension);
  try {
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, result.artifact.bytes);
  } catch (e) {
    throw new EdgecError('IO', `cannot write the artifact: ${(e as Error).message}`, { file: output });
  }
  const report = {
    model: args.model,
    target: args.target,
    output,
    bytes: result.artifact.bytes.length,
    milliseconds: Math.round(milliseconds),
    pipeline: result.pipeline,
    nodes: { before: nodesBefore, after: result.graph.nodes.length },
    artifact: result.artifact.summary,
    reports: Object.fromEntries(result.reports),
  };
  if (args.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  io.out(`${chalk.green('compiled')} ${args.model} for ${args.target} -> ${output} (${formatBytes(report.bytes)}, ${report.milliseconds} ms)`);
  io.out(`  nodes ${nodesBefore} -> ${result.graph.nodes.length} after ${result.pipeline ? `-O${args.O}` : 'no passes'}${args.passes ? ' (custom pipeline)' : ''}`);
  const memory = result.reports.get('plan-memory') as { arenaBytes: number; naiveBytes: number } | undefined;
  if (memory) io.out(`  arena ${formatBytes(memory.arenaBytes)} (a buffer per value would take ${formatBytes(memory.naiveBytes)})`);
  return 0;
}
