/**
 * Activation range estimators for post-training calibration. Statistics are gathered in two sweeps over the
 * calibration data: min / max first, then a fixed-range histogram (so no bin is ever re-binned), from which
 * the `percentile` and `entropy` ranges are read.
 */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];

export const HISTOGRAM_BINS = 2048;

export class MinMax {
  min = Infinity;
  max = -Infinity;

  observe(data: ArrayLike<number>): void {
    let { min, max } = this;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    this.min = min;
    this.max = max;
  }
}

/** Counts over [lo, hi] in equal bins; values outside (none, when lo/hi come from MinMax) land in the end bins. */
export class Histogram {
  readonly counts: Float64Array;
  total = 0;
  /** Exact zeros seen (Relu outputs are half zeros; the entropy method leaves that spike out). */
  zeros = 0;

  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly bins = HISTOGRAM_BINS,
  ) {
    this.counts = new Float64Array(bins);
  }

  get binWidth(): number {
    return (this.hi - this.lo) / this.bins;
  }

  observe(data: ArrayLike<number>): void {
    const { lo, bins, counts } = this;
    const width = this.binWidth;
    if (!(width > 0)) {
      counts[0]! += data.length;
      this.total += data.length;
      return;
    }
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0) this.zeros++;
      let b = Math.floor((data[i]! - lo) / width);
      if (!(b >= 0)) b = 0;
      else if (b >= bins) b = bins - 1;
      counts[b]!++;
    }
    this.total += data.length;
  }

  /** The value below which a fraction `q` of the observations lie (linear within the bin). */
  quantile(q: number): number {
    const target = q * this.total;
    let seen = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = this.counts[b]!;
      if (seen + c >= target && c > 0) return this.lo + (b + (target - seen) / c) * this.binWidth;
      seen += c;
    }
    return this.hi;
  }
}

/** [min, max] as observed. */
export function minMaxRange(m: MinMax): [number, number] {
  return [m.min, m.max];
}

/** The central `percentile`% of the observations (e.g. 99.99 drops 0.005% on each side). */
export function percentileRange(h: Histogram, percentile: number): [number, number] {
  const tail = (100 - percentile) / 200;
  return [h.lo < 0 ? h.quantile(tail) : h.lo, h.hi > 0 ? h.quantile(1 - tail) : h.hi];
}

/**
 * KL-divergence calibration (TensorRT's entropy calibrator): over a histogram of |x| (or of x when it is
 * one-sided, e.g. after Relu), picks the clipping threshold whose quantization into `levels` bins loses the
 * least information (exact zeros left out), measured as KL(P || Q) between the clipped reference distribution P (outliers folded into
 * its last bin) and its quantized-then-expanded version Q.
 */
export function entropyRange(h: Histogram, levels = 256): [number, number] {
  const oneSided = h.lo >= 0;
  const absMax = Math.max(Math.abs(h.lo), Math.abs(h.hi));
  if (!(absMax > 0) || h.total === 0) return [h.lo, h.hi];
  // |x| histogram over [0, absMax] (for a one-sided histogram this is the histogram itself).
  const bins = h.bins;
  const abs = new Float64Array(bins);
  const width = absMax / bins;
  for (let b = 0; b < h.bins; b++) {
    const c = h.counts[b]!;
    if (c === 0) continue;
    const center = Math.abs(h.lo + (b + 0.5) * h.binWidth);
    abs[Math.min(bins - 1, Math.floor(center / width))]! += c;
  }
  // Skip the exact zeros (as NVIDIA's pytorch-quantization does): after a Relu they are half of all values and
  // their spike in the first bin would make clipping the real distribution look cheap.
  const zeroBin = Math.min(bins - 1, Math.floor(Math.abs(h.lo) / width));
  abs[zeroBin] = Math.max(0, abs[zeroBin]! - h.zeros);
  const target = oneSided ? levels : levels / 2;
  const threshold = klThreshold(abs, target);
  const t = (threshold + 0.5) * width;
  return oneSided ? [h.lo, Math.min(h.hi, t)] : [Math.max(h.lo, -t), Math.min(h.hi, t)];
}

/** The bin index i (threshold = bins [0, i]) minimizing KL(P || Q). */
function klThreshold(hist: Float64Array, target: number): number {
  const n = hist.length;
  if (n <= target) return n - 1;
  let best = n - 1;
  let bestKl = Infinity;
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + hist[i]!;
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = target; i <= n; i++) {
    // Reference distribution: the first i bins, with everything beyond folded into the last one.
    for (let j = 0; j < i; j++) p[j] = hist[j]!;
    p[i - 1]! += suffix[i]!;
    // Candidate: the i bins merged into `target` groups, each group's mass spread over its non-empty bins.
    q.fill(0, 0, i);
    const perGroup = i / target;
    for (let g = 0; g < target; g++) {
      const start = Math.floor(g * perGroup);
      const end = g === target - 1 ? i : Math.floor((g + 1) * perGroup);
      let mass = 0;
      let nonEmpty = 0;
      for (let j = start; j < end; j++) {
        mass += hist[j]!;
        if (hist[j]! > 0) nonEmpty++;
      }
      if (nonEmpty === 0) continue;
      for (let j = start; j < end; j++) if (hist[j]! > 0) q[j] = mass / nonEmpty;
    }
    const kl = divergence(p, q, i);
    if (kl < bestKl) {
      bestKl = kl;
      best = i - 1;
    }
  }
  return best;
}

function divergence(p: Float64Array, q: Float64Array, n: number): number {
  let ps = 0;
  let qs = 0;
  for (let j = 0; j < n; j++) {
    ps += p[j]!;
    qs += q[j]!;
  }
  if (ps === 0 || qs === 0) return Infinity;
  let kl = 0;
  for (let j = 0; j < n; j++) {
    const pj = p[j]! / ps;
    if (pj === 0) continue;
    const qj = q[j]! / qs;
    // A bin P has and Q lacks (the folded outliers) costs a large but finite amount, as in TensorRT's smoothing.
    kl += pj * Math.log(pj / (qj > 0 ? qj : 1e-12));
  }
  return kl;
}

/**
 * The range whose uniform quantization into `levels` steps has the least expected squared error over the
 * histogram: rounding noise (step²/12) for the values inside, (x − bound)² for the values clipped. Candidates
 * shrink the observed range (always holding 0, as the zero point must be exact) by a common factor, so an
 * asymmetric range keeps its shape. Exact zeros cost nothing (zero is exactly representable).
 */
export function mseRange(h: Histogram, levels = 256, candidates = 200): [number, number] {
  const lo = Math.min(h.lo, 0);
  const hi = Math.max(h.hi, 0);
  if (!(hi - lo > 0) || h.total === 0) return [h.lo, h.hi];
  const centers = new Float64Array(h.bins);
  for (let b = 0; b < h.bins; b++) centers[b] = h.lo + (b + 0.5) * h.binWidth;
  const zeroBin = h.lo <= 0 && h.hi >= 0 ? Math.min(h.bins - 1, Math.floor(-h.lo / h.binWidth)) : -1;
  let best = 1;
  let bestError = Infinity;
  for (let k = 0; k < candidates; k++) {
    const alpha = 1 - (k / candidates) * 0.9;
    const [a, z] = [lo * alpha, hi * alpha];
    const step = (z - a) / (levels - 1);
    let error = 0;
    for (let b = 0; b < h.bins; b++) {
      const c = b === zeroBin ? h.counts[b]! - h.zeros : h.counts[b]!;
      if (c <= 0) continue;
      const x = centers[b]!;
      if (x >= a && x <= z) error += (c * step * step) / 12;
      else error += c * (x < a ? a - x : x - z) ** 2;
    }
    if (error < bestError) {
      bestError = error;
      best = alpha;
    }
  }
  return [h.lo < 0 ? lo * best : h.lo, h.hi > 0 ? hi * best : h.hi];
}
