import chalk from 'chalk';
import yargs from 'yargs';
import { EdgecError } from '../../ir/index.js';
import { inspectBuilder, inspectCommand, type InspectArgs } from './commands/inspect.js';
import { compileBuilder, compileCommand, type CompileArgs } from './commands/compile.js';
import { runBuilder, runCommand, type RunArgs } from './commands/run.js';
import { keygenBuilder, keygenCommand, type KeygenArgs } from './commands/keygen.js';
import { verifyBuilder, verifyCommand, type VerifyArgs } from './commands/verify.js';
import { provenanceBuilder, provenanceCommand, type ProvenanceArgs } from './commands/provenance.js';
import { quantizeBuilder, quantizeCommand, type QuantizeArgs } from './commands/quantize.js';
import { benchBuilder, benchCommand, type BenchArgs } from './commands/bench.js';
import { processIO, type CliIO } from './io.js';

/** Exit codes (documented in the README). */
export const EXIT = { ok: 0, error: 1, usage: 2, internal: 3 } as const;

/**
 * Runs the edgec command line and resolves to its exit code. Errors print as one line with their code;
 * a stack trace only with --debug.
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = EXIT.ok;
  const debug = argv.includes('--debug');
  const guard = async (fn: () => number | Promise<number>) => {
    try {
      exitCode = await fn();
    } catch (e) {
      exitCode = reportError(e, io, debug);
    }
  };
  const parser = yargs([...argv])
    .scriptName('edgec')
    .usage('$0 <command> [options]\n\nCompile trained ONNX models into small, fast, sealed artifacts for edge hardware.')
    .command('inspect <model>', 'show a model: inputs, outputs, ops, parameters, MACs, unsupported ops', inspectBuilder, (a) =>
      guard(() => inspectCommand(a as unknown as InspectArgs, io)),
    )
    .command('compile <model>', 'compile a model into an artifact for a target', compileBuilder, (a) =>
      guard(() => compileCommand(a as unknown as CompileArgs, io)),
    )
    .command('run <model>', 'run a model (or a compiled artifact) and summarize its outputs', runBuilder, (a) =>
      guard(() => runCommand(a as unknown as RunArgs, io)),
    )
    .command('keygen', 'make an Ed25519 key pair for signing seals', keygenBuilder, (a) =>
      guard(() => keygenCommand(a as unknown as KeygenArgs, io)),
    )
    .command('verify <artifact>', 'check an artifact\'s seal, signature and contract (exit 0 only if all hold)', verifyBuilder, (a) =>
      guard(() => verifyCommand(a as unknown as VerifyArgs, io)),
    )
    .command('provenance <artifact>', 'show where an artifact came from: source model, build, contract, data lineage', provenanceBuilder, (a) =>
      guard(() => provenanceCommand(a as unknown as ProvenanceArgs, io)),
    )
    .command('quantize <model>', 'post-training int8 quantization: calibrate, write a QDQ ONNX model', quantizeBuilder, (a) =>
      guard(() => quantizeCommand(a as unknown as QuantizeArgs, io)),
    )
    .command('bench <model>', 'compile for each target, check against the reference, time (interleaved) and count; table, --json, --html', benchBuilder, (a) =>
      guard(() => benchCommand(a as unknown as BenchArgs, io)),
    )
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces of errors' })
    .example('$0 inspect model.onnx', 'what the model is: ops, parameters, MACs')
    .example('$0 keygen -o release && $0 compile model.onnx -t wasm -o model.wasm --sign-key release.pem', 'a signed, sealed WebAssembly artifact')
    .example('$0 verify model.wasm --key release.pub.pem', 'check its seal and signature')
    .example('$0 bench model.onnx --targets wasm,rvv,webgpu,ort-node,ort-web --quant fp32,int8 --html report.html', 'every target against the peers, with a report')
    .epilog('Every command that reports takes --json. Errors print as one line with a code: error [CODE] message.\nExit codes: 0 success; 1 an error or a failed check (a seal that does not verify, a wrong benchmark contender); 2 usage; 3 internal error.\nCommand help: edgec <command> --help')
    .demandCommand(1, 'name a command (edgec --help lists them)')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      io.err(`${chalk.red('error')} [USAGE] ${message}`);
      exitCode = EXIT.usage;
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    exitCode = reportError(e, io, debug);
  }
  return exitCode;
}

function reportError(e: unknown, io: CliIO, debug: boolean): number {
  if (e instanceof EdgecError) {
    io.err(`${chalk.red('error')} [${e.code}] ${e.message}`);
    if (debug && e.stack) io.err(e.stack);
    return e.code === 'USAGE' ? EXIT.usage : EXIT.error;
  }
  const err = e as Error;
  io.err(`${chalk.red('internal error')} ${err?.message ?? String(e)} (this is a bug in edgec; rerun with --debug for the stack)`);
  if (debug && err?.stack) io.err(err.stack);
  return EXIT.internal;
}
