import chalk from 'chalk';
import type { Tone } from './format.js';

/** Terminal colours for table cells; chalk emits none when stdout is not a TTY (files, pipes, CI logs). */
export function paint(tone: Tone, text: string): string {
  switch (tone) {
    case 'good':
      return chalk.green(text);
    case 'bad':
      return chalk.red(text);
    case 'dim':
      return chalk.dim(text);
    case 'head':
      return chalk.bold(text);
  }
}

/** Progress messages go to stderr, so `--json` output on stdout stays parseable. */
export function progress(message: string): void {
  process.stderr.write(`${chalk.dim(message)}\n`);
}
