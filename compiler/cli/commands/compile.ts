import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError } from '../../../ir/index.js';
import { BOARDS, boardNamed, type BoardProfile } from '../../../targets/boards.js';
import { compileGraph } from '../../driver.js';
import { targetEntries, targetEntry, targetNames } from '../../targets/registry.js';
import { loadModel, parseBindFlags, parseInputShapes, resolveFileBindings } from '../../index.js';
import { prepareContract, recordedOptions, sealCompileResult } from '../../provenance/compile-model.js';
import { isElf } from '../../../runtime/formats/elf.js';
import { elfSealDescriptor } from '../../../runtime/formats/elf-seal-note.js';
import { readSigningKey } from '../../provenance/keys.js';
import { formatBytes } from '../format.js';
import type { CliIO } from '../io.js';
import { optimizeOptionsFrom, withPipelineOptions, type PipelineArgs } from '../options.js';

/** The artifact's own file name inside an output folder (rvv: model.elf). */
const ARTIFACT_FILE_IN_FOLDER = 'model';

export interface CompileArgs extends PipelineArgs {
  model: string;
  target?: string;
  board?: string;
  output?: string;
  json: boolean;
  /** The targets' own flags (registry compileFlags: wasm's winograd). */
  [flag: string]: unknown;
  contract?: string;
  'sign-key'?: string;
}

/** Every registered target's own compile flags, in registry order. */
function withTargetFlags(y: Argv): Argv {
  let out = y;
  for (const entry of targetEntries()) for (const [flag, spec] of Object.entries(entry.compileFlags ?? {})) out = out.option(flag, { ...spec });
  return out;
}

export function compileBuilder(y: Argv): Argv<CompileArgs> {
  return withPipelineOptions(
    withTargetFlags(
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
        .option('target', { alias: 't', type: 'string', choices: targetNames(), describe: 'what to compile for (default: the board\'s target, else wasm)' })
        .option('board', { type: 'string', choices: [...BOARDS.keys()], describe: 'board profile: picks the target, the tuning; recorded in the seal' })
        .option('output', { alias: 'o', type: 'string', describe: 'artifact file (default: the model name with the target\'s extension); a folder for rvv (default: <model>-rvv/)' }),
    )
      .option('contract', { type: 'string', describe: 'model contract (JSON or YAML), merged over the model\'s metadata_props edgec.contract' })
      .option('sign-key', { type: 'string', describe: 'Ed25519 private key (.pem from edgec keygen) to sign the seal with' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' }),
  )
    .example('$0 compile model.onnx --target wasm -o model.wasm', 'a self-contained WebAssembly module')
    .example('$0 compile model.onnx -o model.wasm --contract contract.yaml --sign-key release.pem', 'sealed with a contract and signed')
    .example('$0 compile model.onnx --target rvv -o out/', 'RISC-V Vector: out/model.c, edgec_model.h, the object, the library and the sealed model.elf')
    .example('$0 compile vad.onnx --bind sr=16000 -o vad.wasm', 'input sr fixed to 16000: what depends on it folds away, and sr is no input of the artifact')
    .example('$0 compile model.onnx -t reference --print-after all -o model.ir', 'the optimized IR, printed after every pass') as Argv<CompileArgs>;
}

/** The target and board a build is for: --board picks the target unless --target names another. */
export function resolveTargetAndBoard(target: string | undefined, boardName: string | undefined, fallback = 'wasm'): { target: string; board: BoardProfile | null } {
  const board = boardName ? boardNamed(boardName) : null;
  if (board && target && target !== board.target) throw new EdgecError('USAGE', `board ${board.name} takes target ${board.target}, not ${target}`);
  return { target: target ?? board?.target ?? fallback, board };
}

export function compileCommand(args: CompileArgs, io: CliIO): number {
  const started = performance.now();
  const { target, board } = resolveTargetAndBoard(args.target, args.board);
  const startedOn = new Date();
  const inputShapes = parseInputShapes(args['input-shape']);
  const bound = resolveFileBindings(args.model, parseBindFlags(args.bind));
  const graph = loadModel(args.model, { inputShapes, bind: Object.fromEntries(bound) });
  const metadata = { ...graph.metadata };
  // Contract and key are checked before the (possibly long) compile, so their errors come first.
  const contract = prepareContract(metadata, { contract: args.contract, modelPath: args.model, target, board: board?.name ?? null });
  const signingKey = args['sign-key'] === undefined ? undefined : readSigningKey(args['sign-key']);
  const nodesBefore = graph.nodes.length;
  const targetOptions = targetEntry(target).options(args, board);
  const result = compileGraph(graph, { ...optimizeOptionsFrom(args, target, io.err), targetOptions });
  // An artifact with side files (rvv: sources, header, object, library) is written as a folder, `output`.
  const files = result.artifact.files;
  const modelStem = join(dirname(args.model), basename(args.model, extname(args.model)));
  const output = args.output ?? (files ? `${modelStem}-${target}` : modelStem + result.artifact.extension);
  const artifactFile = files ? join(output, ARTIFACT_FILE_IN_FOLDER + result.artifact.extension) : output;
  const sealContext = (artifactName: string) => ({
    modelPath: args.model,
    artifactName,
    board: board?.name ?? null,
    signingKey,
    startedOn,
    options: recordedOptions({ optLevel: args.O, passes: args.passes, inputShapes, bind: bound, targetOptions }),
  });
  const sealed = sealCompileResult(result, sealContext(basename(artifactFile)), contract, metadata);
  // Side files that can carry a seal of their own (rvv: the object, whose C source reserves the same ELF note).
  const sideFiles: Record<string, Uint8Array> = Object.fromEntries(Object.entries(files ?? {}).filter(([name]) => join(output, name) !== artifactFile));
  if (sealed) {
    for (const [name, data] of Object.entries(sideFiles)) {
      if (!name.endsWith('.o') || !isElf(data) || !elfSealDescriptor(data)) continue;
      const side = { ...result, artifact: { ...result.artifact, bytes: data } };
      sideFiles[name] = sealCompileResult(side, sealContext(name), contract, metadata)?.bytes ?? data;
    }
  }
  if (!sealed && (args.contract || signingKey)) {
    const sealedTargets = targetEntries().filter((e) => e.seal).map((e) => e.target.name);
    throw new EdgecError('USAGE', `the ${target} target's artifact cannot carry a seal; --contract and --sign-key apply to sealed targets (${sealedTargets.join(', ')})`);
  }
  const bytes = sealed?.bytes ?? result.artifact.bytes;
  const milliseconds = performance.now() - started;
  try {
    mkdirSync(files ? output : dirname(output), { recursive: true });
    for (const [name, data] of Object.entries(sideFiles)) writeFileSync(join(output, name), data);
    writeFileSync(artifactFile, bytes);
    // The rvv ELF is a program: executable, like a linker's output.
    if (files) chmodSync(artifactFile, 0o755);
  } catch (e) {
    throw new EdgecError('IO', `cannot write the artifact: ${(e as Error).message}`, { file: output });
  }
  const report = {
    model: args.model,
    target,
    board: board?.name ?? null,
    output,
    ...(files ? { artifactFile, files: Object.keys(files).sort() } : {}),
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
  io.out(`${chalk.green('compiled')} ${args.model} for ${target}${board ? ` (board ${board.name}, VLEN ${board.vlen})` : ''} -> ${artifactFile} (${formatBytes(report.bytes)}, ${report.milliseconds} ms)`);
  if (files) io.out(`  with ${Object.keys(files).filter((f) => join(output, f) !== artifactFile).sort().join(', ')} in ${output}`);
  io.out(`  nodes ${nodesBefore} -> ${result.graph.nodes.length} after ${result.pipeline ? `-O${args.O}` : 'no passes'}${args.passes ? ' (custom pipeline)' : ''}`);
  const memory = result.reports.get('plan-memory') as { arenaBytes: number; naiveBytes: number } | undefined;
  if (board?.preferInt8 && !result.graph.nodes.some((n) => n.op.startsWith('Q'))) {
    io.out(`  note: ${board.name} runs int8 models best; quantize first (edgec quantize) for its widening int8 MACs`);
  }
  if (memory) io.out(`  arena ${formatBytes(memory.arenaBytes)} (a buffer per value would take ${formatBytes(memory.naiveBytes)})`);
  if (sealed) {
    const contractNote = Object.keys(contract.contract).length ? 'with its contract' : 'no contract';
    io.out(`  sealed sha256 ${sealed.digest.slice(0, 16)}… (${sealed.keyid ? `signed by key ${sealed.keyid.slice(0, 16)}…` : 'unsigned'}, ${contractNote})`);
  }
  return 0;
}
