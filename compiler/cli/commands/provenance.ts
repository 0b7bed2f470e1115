import chalk from 'chalk';
import type { Argv } from 'yargs';
import type { Contract } from '../../../runtime/contract.js';
import type { ResourceDescriptor } from '../../../runtime/formats/seal-document.js';
import { readProvenance } from '../../provenance/verify.js';
import { verifyArtifact } from '../../provenance/verify.js';
import { table } from '../format.js';
import type { CliIO } from '../io.js';
import { describeSigning, readArtifact } from './verify.js';

export interface ProvenanceArgs {
  artifact: string;
  json: boolean;
}

export function provenanceBuilder(y: Argv): Argv<ProvenanceArgs> {
  return y
    .positional('artifact', { type: 'string', demandOption: true, describe: 'a compiled artifact (.wasm, rvv .elf, .edgecgpu)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the decoded statements as JSON' })
    .example('$0 provenance model.wasm', 'where the model came from, how it was built, and under which contract') as Argv<ProvenanceArgs>;
}

interface BuildDefinition {
  externalParameters?: { model?: string; target?: string; board?: string | null; options?: Record<string, unknown>; pipeline?: string; quantization?: unknown };
  resolvedDependencies?: ResourceDescriptor[];
}
interface RunDetails {
  builder?: { id?: string; version?: Record<string, string> };
  metadata?: { invocationId?: string; startedOn?: string; finishedOn?: string };
}

export async function provenanceCommand(args: ProvenanceArgs, io: CliIO): Promise<number> {
  const bytes = readArtifact(args.artifact);
  const record = readProvenance(bytes);
  const report = await verifyArtifact(bytes);
  if (args.json) {
    io.out(JSON.stringify({
      artifact: args.artifact, kind: record.kind, sealed: record.sealed, signed: report.signed, signers: report.signers,
      integrity: { digest: report.digest, ok: report.problems.length === 0 && record.sealed, problems: report.problems },
      provenance: record.provenance, contract: record.contract, aibom: record.aibom,
    }, null, 2));
    return 0;
  }
  if (!record.sealed) {
    io.out(`${chalk.bold(args.artifact)} (${record.kind}): ${chalk.yellow('no seal')} — nothing is known about where it came from`);
    return 0;
  }
  const build = (record.provenance?.predicate['buildDefinition'] ?? {}) as BuildDefinition;
  const run = (record.provenance?.predicate['runDetails'] ?? {}) as RunDetails;
  const params = build.externalParameters ?? {};
  const deps = build.resolvedDependencies ?? [];
  const role = (r: string) => deps.filter((d) => (d['annotations'] as { role?: string } | undefined)?.role === r);
  const rows: string[][] = [];
  const source = role('source-model')[0];
  rows.push(['source', `${source?.name ?? params.model ?? '?'}  sha256 ${source?.digest?.['sha256'] ?? '?'}`]);
  const tools = Object.entries(run.builder?.version ?? {}).map(([n, v]) => `${n} ${v}`).join(', ');
  rows.push(['build', `for ${params.target ?? '?'}${params.board ? ` (board ${params.board})` : ''} with ${tools || '?'}`]);
  rows.push(['', `options ${JSON.stringify(params.options ?? {})}`]);
  rows.push(['', `pipeline ${params.pipeline || '(none)'}`]);
  rows.push(['', `quantization ${params.quantization ? JSON.stringify(params.quantization) : 'none'}`]);
  rows.push(['', `builder ${run.builder?.id ?? '?'}, ${run.metadata?.finishedOn ?? '?'}`]);
  rows.push(['', `invocation ${run.metadata?.invocationId ?? '?'}`]);
  for (const c of role('contract')) rows.push(['', `contract source ${c.name}  sha256 ${c.digest?.['sha256'] ?? '?'}`]);
  rows.push(...contractRows(record.contract));
  const integrity = report.problems.length === 0 ? chalk.green('ok') : chalk.red(report.problems.map((p) => p.message).join('; '));
  rows.push(['seal', `${describeSigning(report, false)}; sha256 ${report.digest}`]);
  rows.push(['integrity', integrity]);
  io.out(`${chalk.bold(args.artifact)} (${record.kind})`);
  io.out(table(rows));
  return 0;
}

function contractRows(contract: Contract | null): string[][] {
  if (!contract || Object.keys(contract).length === 0) return [['contract', 'none']];
  const rows: string[][] = [];
  const line = (label: string, value: string | undefined) => value && rows.push([rows.length ? '' : 'contract', `${label} ${value}`]);
  line('license', contract.license);
  line('licensor', contract.licensor);
  line('permitted uses', contract.permittedUses?.join(', ') || (contract.permittedUses ? '(none)' : undefined));
  line('prohibited uses', contract.prohibitedUses?.join(', '));
  line('targets', contract.targets?.join(', '));
  if (contract.notBefore || contract.expires) line('valid', `${contract.notBefore ?? '…'} to ${contract.expires ?? '…'}`);
  line('attribution', contract.attribution);
  line('required signers', contract.requiredSigners?.join(', '));
  for (const d of contract.dataLineage ?? []) {
    rows.push([rows.some((r) => r[0] === 'lineage') ? '' : 'lineage', `${d.name}${d.digest ? `  ${d.digest}` : ''}${d.license ? `  (${d.license})` : ''}`]);
  }
  return rows;
}
