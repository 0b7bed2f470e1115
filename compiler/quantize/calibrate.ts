import type { Graph, Tensor, Value } from '../../ir/index.js';
import { runGraph, type Feeds } from '../../targets/reference/index.js';
import { entropyRange, Histogram, minMaxRange, MinMax, mseRange, percentileRange, type CalibrationMethod } from './observers.js';

/**
 * Calibration: runs the calibration inputs through the reference interpreter, observing every f32 activation
 * (graph inputs and node outputs), and turns the statistics into a range per value for a calibration method.
 */

export interface CalibrationStats {
  /** Per value name: observed min / max, and the histogram over exactly that range (when collected). */
  values: Map<string, { minMax: MinMax; histogram?: Histogram }>;
  samples: number;
}

export interface CalibrateOptions {
  /** Collect histograms too (a second sweep over the data); needed by `percentile` and `entropy`. */
  histograms?: boolean;
  /** Called after each input of each sweep: (done, total). */
  progress?: (done: number, total: number) => void;
}

const observable = (v: Value, t: Tensor) => t.dtype === 'f32' && !v.data;

export function collectStats(graph: Graph, inputs: readonly Feeds[], options: CalibrateOptions = {}): CalibrationStats {
  const values = new Map<string, { minMax: MinMax; histogram?: Histogram }>();
  const sweeps = options.histograms ? 2 : 1;
  const total = inputs.length * sweeps;
  let done = 0;
  for (const feeds of inputs) {
    runGraph(graph, feeds, {
      observe: (v, t) => {
        if (!observable(v, t)) return;
        let entry = values.get(v.name);
        if (!entry) values.set(v.name, (entry = { minMax: new MinMax() }));
        entry.minMax.observe(t.data as Float32Array);
      },
    });
    options.progress?.(++done, total);
  }
  if (options.histograms) {
    for (const entry of values.values()) entry.histogram = new Histogram(entry.minMax.min, entry.minMax.max);
    for (const feeds of inputs) {
      runGraph(graph, feeds, { observe: (v, t) => observable(v, t) && values.get(v.name)?.histogram?.observe(t.data as Float32Array) });
      options.progress?.(++done, total);
    }
  }
  return { values, samples: inputs.length };
}

export interface RangeOptions {
  method: CalibrationMethod;
  /** For `percentile`: the central percentage kept, default 99.99. */
  percentile?: number;
  /** For `entropy`: quantized levels of the activation dtype (256 for 8 bits). */
  levels?: number;
}

/** The calibrated [min, max] of every observed value. */
export function calibratedRanges(stats: CalibrationStats, options: RangeOptions): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  for (const [name, entry] of stats.values) {
    const { minMax, histogram } = entry;
    if (!Number.isFinite(minMax.min) || !Number.isFinite(minMax.max)) continue;
    if (options.method === 'minmax' || !histogram) ranges.set(name, minMaxRange(minMax));
    else if (options.method === 'percentile') ranges.set(name, percentileRange(histogram, options.percentile ?? 99.99));
    else if (options.method === 'mse') ranges.set(name, mseRange(histogram, options.levels ?? 256));
    else ranges.set(name, entropyRange(histogram, options.levels ?? 256));
  }
  return ranges;
}

