import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../compiler/cli/cli.js';

// The CLI's promises to its users: every command shows examples in its help and reports as JSON on request,
// and the top-level help lists the commands and the exit codes.
const COMMANDS = ['inspect', 'compile', 'run', 'keygen', 'verify', 'provenance', 'quantize', 'bench'];

describe('edgec help', () => {
  // yargs prints help through console.log, not through the CLI's io object.
  const logs: string[] = [];
  const log = console.log;
  beforeEach(() => {
    logs.length = 0;
    console.log = (...a: unknown[]) => void logs.push(a.join(' '));
  });
  afterEach(() => {
    console.log = log;
  });
  const help = async (argv: string[]) => {
    expect(await runCli(argv, { out: (t) => void logs.push(t), err: (t) => void logs.push(t) })).toBe(0);
    return logs.splice(0).join('\n');
  };

  it('lists every command, examples and the exit codes', async () => {
    const text = await help(['--help']);
    for (const c of COMMANDS) expect(text).toMatch(new RegExp(`edgec ${c}`));
    expect(text).toMatch(/Examples:/);
    expect(text).toMatch(/Exit codes: 0 success; 1 .*; 2 usage; 3 internal error/s);
  });

  it('gives every command examples and --json', async () => {
    for (const c of COMMANDS) {
      const text = await help([c, '--help']);
      expect(text, c).toMatch(/Examples:/);
      expect(text, c).toMatch(/--json/);
    }
  });
});
