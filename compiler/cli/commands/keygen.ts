import chalk from 'chalk';
import type { Argv } from 'yargs';
import { writeKeyPair } from '../../provenance/keys.js';
import type { CliIO } from '../io.js';

export interface KeygenArgs {
  output: string;
  json: boolean;
}

export function keygenBuilder(y: Argv): Argv<KeygenArgs> {
  return y
    .option('output', { alias: 'o', type: 'string', default: 'edgec-key', describe: 'key file stem: writes <stem>.pem (private, mode 0600) and <stem>.pub.pem' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
    .example('$0 keygen -o release', 'release.pem (keep secret) and release.pub.pem (publish)') as Argv<KeygenArgs>;
}

export function keygenCommand(args: KeygenArgs, io: CliIO): number {
  const written = writeKeyPair(args.output);
  if (args.json) {
    io.out(JSON.stringify(written, null, 2));
    return 0;
  }
  io.out(`${chalk.green('wrote')} ${written.privatePath} (private, PKCS#8, mode 0600) and ${written.publicPath} (public)`);
  io.out(`  keyid ${written.keyid}`);
  return 0;
}
