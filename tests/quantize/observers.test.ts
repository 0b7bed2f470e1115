import { describe, expect, it } from 'vitest';
import { entropyRange, Histogram, MinMax, minMaxRange, mseRange, percentileRange } from '../../compiler/quantize/index.js';
import { activationParams, quantizeScalar } from '../../passes/quantize-params.js';
import { seededRandom } from '../../compiler/io/random.js';

function gaussian(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
  return out;
}

function histogramOf(data: Float32Array): Histogram {
  const m = new MinMax();
  m.observe(data);
  const h = new Histogram(m.min, m.max);
  h.observe(data);
  return h;
}

describe('calibration range estimators', () => {
  it('minmax is the observed range across batches', () => {
    const m = new MinMax();
    m.observe([1, -2, 3]);
    m.observe([0.5, 7]);
    expect([m.min, m.max]).toEqual([-2, 7]);
  });

  it('percentile cuts the tails of a uniform distribution where expected', () => {
    const data = Float32Array.from({ length: 100001 }, (_, i) => i / 100000);
    const [lo, hi] = percentileRange(histogramOf(Float32Array.from(data, (x) => 2 * x - 1)), 99);
    expect(lo).toBeCloseTo(-0.99, 2);
    expect(hi).toBeCloseTo(0.99, 2);
    // One-sided data keeps its lower end.
    expect(percentileRange(histogramOf(data), 98)[0]).toBe(0);
  });

  it('percentile 99.99 of N(0,1) is about 3.9 sigma', () => {
    const [lo, hi] = percentileRange(histogramOf(gaussian(400000, 5)), 99.99);
    expect(hi).toBeGreaterThan(3.6);
    expect(hi).toBeLessThan(4.2);
    expect(lo).toBeLessThan(-3.6);
  });

  it('entropy clips a Gaussian between 3 and 4.5 sigma and keeps most of an exponential tail', () => {
    const g = histogramOf(gaussian(200000, 3));
    const [lo, hi] = entropyRange(g);
    expect(hi).toBeGreaterThan(3);
    expect(hi).toBeLessThan(4.5);
    expect(lo).toBeCloseTo(-hi, 6);
    const r = seededRandom(9);
    const exp = Float32Array.from({ length: 200000 }, () => -Math.log(Math.max(r(), 1e-12)));
    const [elo, ehi] = entropyRange(histogramOf(exp));
    expect(elo).toBeCloseTo(0, 3);
    expect(ehi).toBeGreaterThan(6);
  });

  it('entropy ignores the spike of exact zeros after a Relu', () => {
    const relu = Float32Array.from(gaussian(200000, 4), (x) => Math.max(0, x));
    const [, hi] = entropyRange(histogramOf(relu));
    expect(hi).toBeGreaterThan(2.8);
  });

  it('activation parameters cover the range (widened to 0) with 0 exactly representable', () => {
    expect(activationParams(0, 6, 'u8')).toEqual({ scale: [Math.fround(6 / 255)], zeroPoint: [0] });
    const p = activationParams(-1, 3, 'i8');
    expect(p.scale[0]).toBeCloseTo(4 / 255, 7);
    expect(p.zeroPoint[0]).toBe(Math.round(-128 + 1 / p.scale[0]!));
    expect(activationParams(2, 5, 'u8').zeroPoint[0]).toBe(0);
    expect(activationParams(0, 0, 'u8').scale[0]).toBeGreaterThan(0);
  });

  it('mse picks the range whose u8 quantization of the data has the least squared error', () => {
    const data = gaussian(200000, 9);
    const h = histogramOf(data);
    const errorOf = ([lo, hi]: [number, number]) => {
      const { scale, zeroPoint } = activationParams(lo, hi, 'u8');
      let e = 0;
      for (const x of data) e += (x - (quantizeScalar(x, scale[0]!, zeroPoint[0]!, 0, 255) - zeroPoint[0]!) * scale[0]!) ** 2;
      return e / data.length;
    };
    const m = new MinMax();
    m.observe(data);
    const mse = mseRange(h);
    // N(0,1) at 8 bits clips a little inside the observed extremes (about ±4.5 sigma for 200k samples).
    expect(mse[1]).toBeLessThan(m.max);
    expect(mse[1]).toBeGreaterThan(3);
    for (const other of [minMaxRange(m), percentileRange(h, 99.99), percentileRange(h, 99.9), entropyRange(h)]) expect(errorOf(mse)).toBeLessThanOrEqual(errorOf(other) * 1.001);
  });

  it('mse keeps a one-sided range one-sided and leaves exact zeros out of the error', () => {
    const relu = Float32Array.from(gaussian(100000, 13), (x) => Math.max(0, x));
    const [lo, hi] = mseRange(histogramOf(relu));
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(2.5);
  });
});
