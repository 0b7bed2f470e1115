import { readFileSync } from 'node:fs';
import chalk from 'chalk';
import type { Argv } from 'yargs';
import { EdgecError } from '../../../ir/index.js';
import { dateProblem } from '../../provenance/contract-schema.js';
import { verifyArtifact } from '../../provenance/verify.js';
import type { SealReport } from '../../../runtime/seal.js';
import type { CliIO } from '../io.js';

export interface VerifyArgs {
  artifact: string;
  key: string[];
  use?: string;
  now?: string;
  'require-signature': boolean;
  json: boolean;
}

export function verifyBuilder(y: Argv): Argv<VerifyArgs> {
  return y
    .positional('artifact', { type: 'string', demandOption: true, describe: 'a compiled artifact (.wasm, rvv .elf, .edgecgpu)' })
    .option('key', { alias: 'k', type: 'string', array: true, default: [] as string[], describe: 'trusted public key (.pub.pem); when given, a signature by one of them is required' })
    .option('use', { type: 'string', describe: 'intended use, checked against the contract (e.g. medical-diagnosis)' })
    .option('now', { type: 'string', describe: 'check the contract\'s validity at this date instead of now' })
    .option('require-signature', { type: 'boolean', default: false, describe: 'fail when the seal is not signed' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
    .example('$0 verify model.wasm --key release.pub.pem --use medical-diagnosis', 'exit 0 only if the seal holds, is signed by that key and allows the use') as Argv<VerifyArgs>;
}

export function readArtifact(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new EdgecError('IO', `cannot read: ${(e as Error).message}`, { file: path });
  }
}

/** One line on who signed, for verify and provenance. */
export function describeSigning(report: SealReport, keysGiven: boolean): string {
  if (!report.sealed) return 'no seal';
  if (!report.signed) return 'unsigned (the seal holds digests only)';
  if (report.trustedSigners.length) return `signed by trusted key ${report.trustedSigners.join(', ')}`;
  if (report.signers.length) return `signed by key ${report.signers.join(', ')}${keysGiven ? ' (not a trusted key)' : ' (valid; pass --key to check it is a key you trust)'}`;
  return 'signed, but no signature verifies';
}

export async function verifyCommand(args: VerifyArgs, io: CliIO): Promise<number> {
  let now: Date | undefined;
  if (args.now !== undefined) {
    const why = dateProblem(args.now);
    if (why) throw new EdgecError('USAGE', `--now '${args.now}': ${why}`);
    now = new Date(/^\d{4}-\d{2}-\d{2}$/.test(args.now) ? `${args.now}T00:00:00Z` : args.now);
  }
  const bytes = readArtifact(args.artifact);
  const report = await verifyArtifact(bytes, { trustedKeys: args.key, intendedUse: args.use, now, requireSignature: args['require-signature'] });
  const problems = [...report.problems];
  // verify's job is to vouch for a seal: an artifact without one fails even when nothing else was asked.
  if (!report.sealed && !problems.some((p) => p.code === 'SEAL_MISSING' || p.code === 'ARTIFACT_INVALID')) {
    problems.unshift({ code: 'SEAL_MISSING', clause: 'seal', message: 'the artifact has no seal (never sealed, or the seal was stripped)' });
  }
  const ok = problems.length === 0;
  if (args.json) {
    io.out(JSON.stringify({
      artifact: args.artifact, ok, kind: report.kind, sealed: report.sealed, digest: report.digest, sealedDigest: report.sealedDigest,
      changed: report.changed, signed: report.signed, signers: report.signers, trustedSigners: report.trustedSigners,
      use: args.use ?? null, problems,
    }, null, 2));
    return ok ? 0 : 1;
  }
  if (ok) {
    io.out(`${chalk.green('verified')} ${args.artifact}: ${describeSigning(report, args.key.length > 0)}`);
    io.out(`  sha256 ${report.digest} matches the seal`);
    if (report.contract && Object.keys(report.contract).length) io.out(`  contract holds${args.use ? ` for use '${args.use}'` : ''}${now ? ` on ${args.now}` : ''}`);
    return 0;
  }
  for (const p of problems) io.err(`${chalk.red('error')} [${p.code}] ${args.artifact}: ${p.message}`);
  return 1;
}
