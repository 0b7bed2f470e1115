import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError } from '../../../ir/index.js';
import { TARGETS } from '../../../targets/index.js';
import { compileGraph } from '../../driver.js';
import { loadModel, parseInputShapes } from '../../index.js';
import { prepareContract, recordedOptions, sealCompileResult } from '../../provenance/compile-model.js';
import { readSigningKey } from '../../provenance/keys.js';
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
  contract?: string;
  'sign-key'?: string;
}

export function compileBuilder(y: Argv): Argv<CompileArgs> {
  return withPipelineOptions(
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
      .option('target', { alias: 't', type: 'string', default: 'wasm', choices: [...TARGETS.keys()], describe: 'what to compile for' })
      .option('output', { alias: 'o', type: 'string', describe: 'artifact file (default: the model name with the target\'s extension)' })
      .option('relaxed-simd', { type: 'boolean', default: false, describe: 'wasm: allow relaxed-simd (faster; results may differ between engines)' })
      .option('winograd', { type: 'boolean', default: true, describe: 'wasm: Winograd convolution for 3x3 stride-1 layers (--no-winograd to disable)' })
      .option('contract', { type: 'string', describe: 'model contract (JSON or YAML), merged over the model\'s metadata_props edgec.contract' })
      .option('sign-key', { type: 'string', describe: 'Ed25519 private key (.pem from edgec keygen) to sign the seal with' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' }),
  )
    .example('$0 compile model.onnx --target wasm -o model.wasm', 'a self-contained WebAssembly module')
    .example('$0 compile model.onnx -o model.wasm --contract contract.yaml --sign-key release.pem', 'sealed with a contract and signed')
    .example('$0 compile model.onnx -t reference --print-after all -o model.ir', 'the optimized IR, printed after every pass') as Argv<CompileArgs>;
}

export function compileCommand(args: CompileArgs, io: CliIO): number {
  const started = performance.now();
  const startedOn = new Date();
  const inputShapes = parseInputShapes(args['input-shape']);
  const graph = loadModel(args.model, { inputShapes });
  const metadata = { ...graph.metadata };
  // Contract and key are checked before the (possibly long) compile, so their errors come first.
  const contract = prepareContract(metadata, { contract: args.contract, modelPath: args.model, target: args.target });
  const signingKey = args['sign-key'] === undefined ? undefined : readSigningKey(args['sign-key']);
  const nodesBefore = graph.nodes.length;
  // The wasm options mean nothing to other targets (and would be recorded in the seal as if they did).
  const targetOptions = args.target === 'wasm' ? { relaxedSimd: args['relaxed-simd'], winograd: args.winograd } : {};
  const result = compileGraph(graph, { ...optimizeOptionsFrom(args, args.target, io.err), targetOptions });
  const output = args.output ?? join(dirname(args.model), basename(args.model, extname(args.model)) + result.artifact.extension);
  const sealed = sealCompileResult(result, {
    modelPath: args.model,
    artifactName: basename(output),
    signingKey,
    startedOn,
    options: recordedOptions({ optLevel: args.O, passes: args.passes, inputShapes, targetOptions }),
  }, contract, metadata);
  if (!sealed && (args.contract || signingKey)) {
    throw new EdgecError('USAGE', `the ${args.target} target's artifact cannot carry a seal; --contract and --sign-key apply to sealed targets (wasm)`);
  }
  const bytes = sealed?.bytes ?? result.artifact.bytes;
  const milliseconds = performance.now() - started;
  try {
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, bytes);
  } catch (e) {
    throw new EdgecError('IO', `cannot write the artifact: ${(e as Error).message}`, { file: output });
  }
  const report = {
    model: args.model,
    target: args.target,
    output,
    bytes: bytes.length,
    milliseconds: Math.round(milliseconds),
    pipeline: result.pipeline,
    nodes: { before: nodesBefore, after: result.graph.nodes.length },
    artifact: result.artifact.summary,
    reports: Object.fromEntries(result.reports),
    seal: sealed ? { digest: sealed.digest, signed: sealed.keyid !== null, keyid: sealed.keyid, contract: Object.keys(contract.contract).length > 0 } : null,
  };
  if (args.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  io.out(`${chalk.green('compiled')} ${args.model} for ${args.target} -> ${output} (${formatBytes(report.bytes)}, ${report.milliseconds} ms)`);
  io.out(`  nodes ${nodesBefore} -> ${result.graph.nodes.length} after ${result.pipeline ? `-O${args.O}` : 'no passes'}${args.passes ? ' (custom pipeline)' : ''}`);
  const memory = result.reports.get('plan-memory') as { arenaBytes: number; naiveBytes: number } | undefined;
  if (memory) io.out(`  arena ${formatBytes(memory.arenaBytes)} (a buffer per value would take ${formatBytes(memory.naiveBytes)})`);
  if (sealed) {
    const contractNote = Object.keys(contract.contract).length ? 'with its contract' : 'no contract';
    io.out(`  sealed sha256 ${sealed.digest.slice(0, 16)}… (${sealed.keyid ? `signed by key ${sealed.keyid.slice(0, 16)}…` : 'unsigned'}, ${contractNote})`);
  }
  return 0;
}
