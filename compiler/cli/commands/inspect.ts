import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError } from '../../../ir/index.js';
import type { OptLevel } from '../../../passes/pipelines.js';
import { inspectModel, inspectSupport, parseInputShapes, type ModelSummary, type SupportMatrix } from '../../index.js';
import { targetNames } from '../../targets/registry.js';
import { formatBytes, formatCount, table } from '../format.js';
import type { CliIO } from '../io.js';

export interface InspectArgs {
  model: string;
  'input-shape': string[];
  target?: string;
  O: number;
  json: boolean;
}

export function inspectBuilder(y: Argv): Argv<InspectArgs> {
  return y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'fix an input shape: name=1,3,224,224' })
    .option('target', { alias: 't', type: 'string', choices: targetNames(), describe: 'show support for this target only (default: every target)' })
    .option('O', { type: 'number', default: 2, describe: 'optimization level of the target pipelines run before the support check: 0, 1 or 2' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
    .example('$0 inspect model.onnx', 'signature, op histogram, parameters, MACs, and which targets compile each op')
    .example('$0 inspect model.onnx -t rvv', 'support on one target, with the reason for each node it cannot compile')
    .example('$0 inspect tiny_encoder.onnx --input-shape input=1,32,64 --json', 'with a fixed batch, as JSON') as Argv<InspectArgs>;
}

export function inspectCommand(args: InspectArgs, io: CliIO): number {
  if (![0, 1, 2].includes(args.O)) throw new EdgecError('USAGE', `-O must be 0, 1 or 2, got ${args.O}`);
  const inputShapes = parseInputShapes(args['input-shape']);
  const summary = inspectModel(args.model, { inputShapes });
  const support = supportOf(args, inputShapes);
  if (args.json) {
    io.out(JSON.stringify({ ...summary, support }, null, 2));
    return 0;
  }
  io.out(renderSummary(args.model, summary));
  if (support) io.out(renderSupport(support));
  return 0;
}

/** The support matrix; null when edgec cannot import the model at all (its summary lists the ops why). */
function supportOf(args: InspectArgs, inputShapes: Record<string, number[]>): SupportMatrix | null {
  try {
    return inspectSupport(args.model, { inputShapes, optLevel: args.O as OptLevel, ...(args.target ? { targets: [args.target] } : {}) });
  } catch (e) {
    if (e instanceof EdgecError && e.code === 'UNSUPPORTED_OP') return null;
    throw e;
  }
}

function renderSupport(m: SupportMatrix): string {
  const names = m.targets.map((t) => t.target);
  const cell = (v: boolean | null) => (v === null ? chalk.red('error') : v ? chalk.green('yes') : chalk.yellow('no'));
  const out = ['', chalk.bold('support') + ` (each target's own check, after its -O${m.optLevel} pipeline)`];
  out.push(table([['op', 'count', ...names], ...m.ops.map((o) => [o.op, String(o.count), ...names.map((n) => cell(o.targets[n]!))])]));
  for (const t of m.targets) {
    if (t.problem) out.push(`  ${t.target}: ${t.problem}`);
    else if (t.unsupported.length > 0) {
      out.push(`  ${t.target} cannot compile ${t.unsupported.length} node${t.unsupported.length > 1 ? 's' : ''}:`);
      for (const u of t.unsupported) out.push(`    ${u.op} (node '${u.node}'): ${u.reason}`);
    }
  }
  const all = m.targets.filter((t) => t.compiles).map((t) => t.target);
  out.push(all.length === m.targets.length ? chalk.green(`every target shown compiles this model`) : `compiles on: ${all.join(', ') || 'none'}`);
  return out.join('\n');
}

function renderSummary(file: string, s: ModelSummary): string {
  const out: string[] = [];
  const meta = s.metadata;
  const producer = [meta['onnx.producer_name'], meta['onnx.producer_version']].filter(Boolean).join(' ');
  out.push(`${chalk.bold(file)}  graph ${s.name}${meta['onnx.opset'] ? `, opset ${meta['onnx.opset']}` : ''}${producer ? `, from ${producer}` : ''}`);
  out.push('', chalk.bold('inputs'), table(s.inputs.map((v) => [v.name, v.type])));
  out.push('', chalk.bold('outputs'), table(s.outputs.map((v) => [v.name, v.type])));
  out.push('', chalk.bold(`ops`) + ` (${s.nodes} nodes)`, table(Object.entries(s.ops).map(([op, n]) => [op, String(n)])));
  out.push('');
  out.push(
    table([
      ['parameters', `${formatCount(s.parameters)} (${formatBytes(s.parameterBytes)})`],
      ['constants', formatBytes(s.constantBytes)],
      ['MACs', s.macs !== null ? formatCount(s.macs) : s.unsupported.length > 0 ? 'unknown (unsupported ops)' : 'unknown (symbolic shapes: fix them with --input-shape)'],
    ], ''),
  );
  if (s.unsupported.length > 0) {
    out.push('', chalk.yellow('unsupported ops:'));
    for (const u of s.unsupported) out.push(`  ${u.op}: ${u.nodes.join(', ')}`);
  } else {
    out.push('', chalk.green('all ops supported'));
  }
  return out.join('\n');
}
