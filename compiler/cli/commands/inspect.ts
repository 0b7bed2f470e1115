import chalk from 'chalk';
import type { Argv } from 'yargs';
import { inspectModel, parseInputShapes, type ModelSummary } from '../../index.js';
import { formatBytes, formatCount, table } from '../format.js';
import type { CliIO } from '../io.js';

export interface InspectArgs {
  model: string;
  'input-shape': string[];
  json: boolean;
}

export function inspectBuilder(y: Argv): Argv<InspectArgs> {
  return y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'fix an input shape: name=1,3,224,224' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
    .example('$0 inspect model.onnx', 'signature, op histogram, parameters and MACs')
    .example('$0 inspect tiny_encoder.onnx --input-shape input=1,32,64 --json', 'with a fixed batch, as JSON') as Argv<InspectArgs>;
}

export function inspectCommand(args: InspectArgs, io: CliIO): number {
  const summary = inspectModel(args.model, { inputShapes: parseInputShapes(args['input-shape']) });
  io.out(args.json ? JSON.stringify(summary, null, 2) : renderSummary(args.model, summary));
  return 0;
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
