/**
 * Progress for long work (compiling, calibrating, timing): a one-line bar redrawn on stderr, so stdout stays
 * clean for tables and --json. Only for a terminal: in a pipe, a file or CI log a redrawn line is noise, so
 * there (and with --quiet) nothing is written at all.
 */
export interface Progress {
  start(label: string, total: number): void;
  /** One step done; `label` replaces what the bar says it is doing. */
  tick(label?: string): void;
  done(): void;
}

export const NO_PROGRESS: Progress = { start() {}, tick() {}, done() {} };

const WIDTH = 24;

/** The bar's text for `done` of `total` steps: "[#########...............]  3/8  compiling wasm fp32". */
export function progressLine(label: string, done: number, total: number): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * WIDTH) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(done).padStart(String(total).length)}/${total}  ${label}`;
}

export function stderrProgress(stream: { isTTY?: boolean; columns?: number; write(s: string): unknown } = process.stderr, quiet = false): Progress {
  if (quiet || !stream.isTTY) return NO_PROGRESS;
  let label = '';
  let total = 0;
  let done = 0;
  let phase = '';
  const draw = () => {
    const line = progressLine(label ? `${phase}: ${label}` : phase, done, total);
    const width = (stream.columns ?? 100) - 1;
    stream.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
  };
  return {
    start(name, steps) {
      phase = name;
      label = '';
      total = steps;
      done = 0;
      draw();
    },
    tick(what) {
      done++;
      if (what !== undefined) label = what;
      draw();
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}

/** The `(done, total)` callback that quantizeModel's calibration takes, drawn on a Progress. */
export function stepCallback(progress: Progress, label: string): (done: number, total: number) => void {
  return (done, total) => {
    if (done === 1) progress.start(label, total);
    progress.tick();
    if (done === total) progress.done();
  };
}
