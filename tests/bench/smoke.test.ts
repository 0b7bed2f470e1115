import { describe, expect, it } from 'vitest';
import { checkOutputs } from '../../compiler/bench/compare.js';
import { formatBytes, formatMs, formatRatio, formatTable } from '../../compiler/bench/format.js';
import { profileReport } from '../../compiler/bench/profile.js';
import { gflops, median, percentile, summarize } from '../../compiler/bench/stats.js';

/** The benchmarks' pure helpers on fixed data (no timing is asserted anywhere). */
describe('bench statistics', () => {
  it('takes medians of odd and even counts, unsorted', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('interpolates percentiles between ranks like numpy', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 90)).toBeCloseTo(9.1, 12);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 100)).toBe(10);
  });

  it('summarizes samples into median, spread and p90', () => {
    expect(summarize([12, 10, 30, 11, 13])).toEqual({ runs: 5, median: 12, min: 10, max: 30, p90: expect.closeTo(23.2, 9) });
  });

  it('counts 2 FLOPs per MAC', () => {
    expect(gflops(1.82e9, 140)).toBeCloseTo(26, 0); // resnet18 on onnxruntime-web, BENCHMARKS.md
  });
});

describe('bench formatting', () => {
  it('formats milliseconds, ratios and bytes compactly', () => {
    expect([0.3124, 4.714, 32.94, 140.4].map(formatMs)).toEqual(['0.312', '4.71', '32.9', '140']);
    expect(formatMs(NaN)).toBe('—');
    expect(formatRatio(7.04)).toBe('7.04x');
    expect(formatBytes(245)).toBe('245 B');
    expect(formatBytes(46_800_000)).toBe('46.8 MB');
  });

  it('aligns a plain table, numbers to the right, without trailing spaces', () => {
    const table = formatTable([{ header: 'model' }, { header: 'ms', align: 'right' }], [['resnet18', '140'], ['tiny', { text: '2.8', tone: 'good' }]]);
    expect(table).toBe(['model      ms', '--------  ---', 'resnet18  140', 'tiny      2.8'].join('\n'));
  });

  it('applies colour after padding, so alignment holds', () => {
    const table = formatTable([{ header: 'a', align: 'right' }], [[{ text: '1', tone: 'bad' }], ['100']], { paint: (tone, t) => `<${tone}>${t}</>` });
    expect(table.split('\n')).toEqual(['<head>  a</>', '---', '<bad>  1</>', '100']);
  });

  it('writes a README-ready markdown table', () => {
    const table = formatTable([{ header: 'model' }, { header: 'ms', align: 'right' }], [['resnet18', '140']], { style: 'markdown' });
    expect(table).toBe(['| model    |  ms |', '| -------- | --: |', '| resnet18 | 140 |'].join('\n'));
  });
});

describe('bench output checks', () => {
  const expected = { y: new Float32Array([1, -2, 4]) };

  it('accepts differences up to 1e-4 of the largest reference value', () => {
    const check = checkOutputs({ y: new Float32Array([1, -2, 4.0003]) }, expected);
    expect(check.ok).toBe(true);
    expect(check.error).toBeCloseTo(0.0003 / 4, 6);
  });

  it('reports wrong values, missing outputs and size mismatches', () => {
    expect(checkOutputs({ y: new Float32Array([1, -2, 4.01]) }, expected)).toMatchObject({ ok: false, problem: expect.stringMatching(/max\|diff\|/) });
    expect(checkOutputs({}, expected)).toMatchObject({ ok: false, problem: "no output 'y'" });
    expect(checkOutputs({ y: new Float32Array(2) }, expected)).toMatchObject({ ok: false, problem: expect.stringMatching(/2 elements, expected 3/) });
    expect(checkOutputs({ y: new Float32Array([NaN, -2, 4]) }, expected).ok).toBe(false);
  });
});

describe('bench profile report', () => {
  it('turns accumulated node times into per-run times by op and node, slowest first', () => {
    const nodes = [
      { name: 'conv1', op: 'FusedConv', macs: 1e6 },
      { name: 'pool', op: 'MaxPool', macs: 0 },
      { name: 'conv2', op: 'FusedConv', macs: 3e6 },
    ];
    const report = profileReport(nodes, [2, 1, 7], 2); // ms summed over 2 runs
    expect(report.totalMs).toBe(5);
    expect(report.byNode.map((n) => n.name)).toEqual(['conv2', 'conv1', 'pool']);
    expect(report.byNode[0]).toMatchObject({ ms: 3.5, share: 0.7 });
    expect(report.byNode[0]!.gflops).toBeCloseTo(gflops(3e6, 3.5), 12);
    expect(report.byNode[2]!.gflops).toBeUndefined();
    expect(report.byOp).toMatchObject([{ op: 'FusedConv', nodes: 2, ms: 4.5, share: 0.9, macs: 4e6 }, { op: 'MaxPool', nodes: 1, ms: 0.5 }]);
  });
});
