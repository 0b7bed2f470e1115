/**
 * Interleaved timing: the contenders take turns (A B C A B C ...) after a common warm-up, so slow phases of a
 * shared machine hit every side alike and the ratio of medians stays meaningful even when absolute times drift.
 */
export interface Contender {
  name: string;
  /** One inference; awaited when it returns a promise. */
  run: () => unknown;
}

export interface TimingOptions {
  /** Warm-up rounds, at least... */
  warmup: number;
  /**
   * ...and warm-up goes on until this much time has passed (default 500 ms, at most 200 rounds): V8 first runs
   * wasm with its baseline compiler and swaps in optimized code only once a function has run enough, so a
   * fixed small count can leave a small model timed in baseline code.
   */
  warmupMs?: number;
  runs: number;
  /** Called after each timed round (for a progress bar); not inside a timed interval. */
  onRun?: (round: number) => void;
}

const MAX_WARMUP_ROUNDS = 200;

export async function timeInterleaved(contenders: readonly Contender[], options: TimingOptions): Promise<Map<string, number[]>> {
  const warmupEnd = performance.now() + (options.warmupMs ?? 500);
  for (let i = 0; contenders.length > 0 && (i < options.warmup || (performance.now() < warmupEnd && i < MAX_WARMUP_ROUNDS)); i++) {
    for (const c of contenders) {
      const r = c.run();
      if (r instanceof Promise) await r;
    }
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < options.runs; i++) {
    for (const c of contenders) {
      const start = performance.now();
      const r = c.run(); // a synchronous contender is not charged an await
      if (r instanceof Promise) await r;
      samples.get(c.name)!.push(performance.now() - start);
    }
    options.onRun?.(i);
  }
  return samples;
}

/** Times one synchronous function alone: warm-up, then `runs` samples in milliseconds. */
export function timeAlone(run: () => void, options: TimingOptions): number[] {
  const warmupEnd = performance.now() + (options.warmupMs ?? 500);
  for (let i = 0; i < options.warmup || (performance.now() < warmupEnd && i < MAX_WARMUP_ROUNDS); i++) run();
  const samples: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return samples;
}

