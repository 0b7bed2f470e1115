/**
 * Statistics of timing samples. Benchmarks report medians and spreads rather than means: on a shared, noisy
 * machine a few slow outliers (another process, a GC pause) would move a mean but not a median.
 */
export interface Summary {
  runs: number;
  median: number;
  min: number;
  max: number;
  p90: number;
}

/** The p-th percentile (0..100) of sorted values, interpolating linearly between ranks (numpy's default). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 100) return sorted[sorted.length - 1]!;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

const ascending = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

export function median(values: readonly number[]): number {
  return percentile(ascending(values), 50);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = ascending(samples);
  return {
    runs: sorted.length,
    median: percentile(sorted, 50),
    min: sorted.length ? sorted[0]! : NaN,
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    p90: percentile(sorted, 90),
  };
}

/** GFLOP/s of `macs` multiply-accumulates (2 FLOPs each) done in `ms` milliseconds. */
export function gflops(macs: number, ms: number): number {
  return (2 * macs) / (ms * 1e6);
}
