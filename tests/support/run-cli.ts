import { runCli } from '../../compiler/cli/cli.js';

/** Runs the edgec CLI in process and captures what it prints (yargs' help goes through console.log). */
export async function captureCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const log = console.log;
  console.log = (...a: unknown[]) => void (out += a.join(' ') + '\n');
  try {
    const code = await runCli(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
    return { code, out, err };
  } finally {
    console.log = log;
  }
}
