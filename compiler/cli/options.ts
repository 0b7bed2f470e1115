import type { Argv } from 'yargs';
import { EdgecError } from '../../ir/index.js';
import type { OptLevel } from '../../passes/pipelines.js';
import type { OptimizeOptions } from '../driver.js';

/** Flags shared by the commands that optimize a model (compile, run), so they read the same everywhere. */
export interface PipelineArgs {
  'input-shape': string[];
  bind: string[];
  O: number;
  passes?: string;
  'print-after': string[];
  'verify-each': boolean;
  'time-passes': boolean;
}

export function withPipelineOptions<T>(y: Argv<T>): Argv<T & PipelineArgs> {
  return y
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'fix an input shape: name=1,3,224,224' })
    .option('bind', { type: 'string', array: true, default: [] as string[], describe: 'fix an input to a constant: name=16000, name=1,2,3 or name=value.npy' })
    .option('O', { type: 'number', default: 2, describe: 'optimization level: 0 (as imported), 1 (cleanup), 2 (cleanup and fusion)' })
    .option('passes', { type: 'string', describe: 'pass pipeline replacing the target\'s, e.g. "fold-constants,fuse-conv-bn"' })
    .option('print-after', { type: 'string', array: true, default: [] as string[], describe: 'print the IR after these passes ("all" for every pass)' })
    .option('verify-each', { type: 'boolean', default: false, describe: 'run the IR verifier after every pass' })
    .option('time-passes', { type: 'boolean', default: false, describe: 'print the time each pass took' }) as Argv<T & PipelineArgs>;
}

export function optimizeOptionsFrom(args: PipelineArgs, target: string, print: (s: string) => void): OptimizeOptions {
  if (![0, 1, 2].includes(args.O)) throw new EdgecError('USAGE', `-O must be 0, 1 or 2, got ${args.O}`);
  const printAfter = args['print-after'].includes('all') ? 'all' : args['print-after'];
  return {
    target,
    optLevel: args.O as OptLevel,
    passes: args.passes,
    printAfter,
    verifyEach: args['verify-each'],
    timePasses: args['time-passes'],
    print,
  };
}
