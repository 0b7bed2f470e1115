import { describe, expect, it } from 'vitest';
import type { Attributes } from '../../ir/index.js';
import { runOp, t, values } from './run-op.js';

/** Deterministic pseudo-random integers in [lo, hi]. */
function ints(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + (s % (hi - lo + 1));
  });
}

/** A direct 2-D convolution written independently of the kernel: explicit pads, strides, dilations, groups. */
function naiveConv2d(
  x: number[], [n, c, h, w]: number[], wt: number[], [m, cg, kh, kw]: number[],
  { pads = [0, 0, 0, 0], strides = [1, 1], dilations = [1, 1], group = 1 }: { pads?: number[]; strides?: number[]; dilations?: number[]; group?: number },
): { shape: number[]; data: number[] } {
  const oh = Math.floor((h + pads[0]! + pads[2]! - dilations[0]! * (kh - 1) - 1) / strides[0]!) + 1;
  const ow = Math.floor((w + pads[1]! + pads[3]! - dilations[1]! * (kw - 1) - 1) / strides[1]!) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let o = 0; o < m; o++) {
      const g = Math.floor(o / (m / group));
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let acc = 0;
          for (let ci = 0; ci < cg; ci++)
            for (let a = 0; a < kh; a++)
              for (let bb = 0; bb < kw; bb++) {
                const y = i * strides[0]! - pads[0]! + a * dilations[0]!;
                const xx = j * strides[1]! - pads[1]! + bb * dilations[1]!;
                if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                acc += x[((b * c + g * cg + ci) * h + y) * w + xx]! * wt[((o * cg + ci) * kh + a) * kw + bb]!;
              }
          out.push(acc);
        }
    }
  return { shape: [n, m, oh, ow], data: out };
}

describe('ConvInteger', () => {
  it('sums 2x2 windows exactly', () => {
    const [y] = runOp('ConvInteger', [t('u8', [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), t('u8', [1, 1, 2, 2], [1, 1, 1, 1])]);
    expect(y!.dtype).toBe('i32');
    expect(y!.shape).toEqual([1, 1, 2, 2]);
    expect(values(y!)).toEqual([12, 16, 24, 28]);
  });

  it('subtracts zero points before padding, so the padding contributes zero', () => {
    // x - 1 = [[1, 2], [3, 4]] padded by 1; w - 2 = [[1]] per channel 0, [[-1]] for channel 1 (w_zp [1, 3]).
    const x = t('u8', [1, 1, 2, 2], [2, 3, 4, 5]);
    const w = t('u8', [2, 1, 1, 1], [2, 2]);
    const [y] = runOp('ConvInteger', [x, w, t('u8', [], [1]), t('u8', [2], [1, 3])], { pads: [1, 1, 1, 1] });
    expect(y!.shape).toEqual([1, 2, 4, 4]);
    expect(values(y!)).toEqual([
      0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, -1, -2, 0, 0, -3, -4, 0, 0, 0, 0, 0,
    ]);
  });

  const cases: { name: string; x: number[]; w: number[]; attrs: Attributes; naive: Parameters<typeof naiveConv2d>[4] }[] = [
    { name: 'stride 2, asymmetric pads', x: [1, 3, 7, 6], w: [4, 3, 3, 3], attrs: { strides: [2, 2], pads: [1, 0, 2, 1] }, naive: { strides: [2, 2], pads: [1, 0, 2, 1] } },
    { name: 'dilation 2', x: [2, 2, 6, 7], w: [3, 2, 2, 3], attrs: { dilations: [2, 2] }, naive: { dilations: [2, 2] } },
    { name: 'groups (depthwise)', x: [1, 4, 5, 5], w: [4, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] }, naive: { group: 4, pads: [1, 1, 1, 1] } },
    { name: 'two groups of two', x: [1, 4, 5, 4], w: [6, 2, 2, 2], attrs: { group: 2 }, naive: { group: 2 } },
    { name: 'SAME_UPPER, stride 2 (odd padding at the end)', x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, naive: { strides: [2, 2], pads: [0, 0, 1, 1] } },
    { name: 'SAME_LOWER, stride 2 (odd padding at the start)', x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] }, naive: { strides: [2, 2], pads: [1, 1, 0, 0] } },
  ];
  for (const c of cases) {
    it(`matches a direct convolution: ${c.name}`, () => {
      const xs = ints(c.x.reduce((a, b) => a * b), 0, 255, 7);
      const ws = ints(c.w.reduce((a, b) => a * b), -128, 127, 11);
      const [y] = runOp('ConvInteger', [t('u8', c.x, xs), t('i8', c.w, ws), t('u8', [], [128])], c.attrs);
      const expected = naiveConv2d(xs.map((v) => v - 128), c.x, ws, c.w, c.naive);
      expect(y!.shape).toEqual(expected.shape);
      expect(values(y!)).toEqual(expected.data);
    });
  }

  it('convolves 1-D signals', () => {
    const [y] = runOp('ConvInteger', [t('i8', [1, 1, 5], [1, -2, 3, -4, 5]), t('i8', [1, 1, 2], [1, 2])], { strides: [2] });
    expect(values(y!)).toEqual([1 - 4, 3 - 8]);
  });
});

describe('QLinearConv', () => {
  const x = t('u8', [1, 1, 2, 2], [10, 20, 30, 40]);
  const w = t('i8', [2, 1, 1, 1], [2, -3]);
  const quantParams = (bias?: number[]) => [
    x, t('f32', [], [0.5]), t('u8', [], [10]),
    w, t('f32', [2], [1, 0.25]), t('i8', [2], [0, 0]),
    t('f32', [], [1]), t('i8', [], [0]),
    bias ? t('i32', [2], bias) : null,
  ];

  it('requantizes per output channel with round half to even', () => {
    // x - zp = [0, 10, 20, 30]; channel 0: 2x * 0.5; channel 1: -3x * 0.125 = [0, -3.75, -7.5, -11.25]
    const [y] = runOp('QLinearConv', quantParams());
    expect(y!.dtype).toBe('i8');
    expect(values(y!)).toEqual([0, 10, 20, 30, 0, -4, -8, -11]);
  });

  it('adds the int32 bias to the accumulator before requantizing (ties: 0.5 -> 0, 10.5 -> 10, -3.25 -> -3)', () => {
    const [y] = runOp('QLinearConv', quantParams([1, 4]));
    expect(values(y!)).toEqual([0, 10, 20, 30, 0, -3, -7, -11]);
  });

  it('adds the output zero point and saturates', () => {
    const [y] = runOp('QLinearConv', [
      t('u8', [1, 1, 1, 3], [0, 100, 255]), t('f32', [], [1]), t('u8', [], [0]),
      t('u8', [1, 1, 1, 1], [3]), t('f32', [], [1]), t('u8', [], [1]),
      t('f32', [], [1]), t('u8', [], [50]),
    ]);
    expect(values(y!)).toEqual([50, 250, 255]);
  });

  it('requantizes in float32 like ONNX Runtime: 30 * (0.1 * 0.3 / 0.2) = 4.5 -> 4 (float64 would give 4.5000002 -> 5)', () => {
    // Expected values checked against onnxruntime-node 1.30 (QLinearConv and QLinearMatMul agree).
    const [y] = runOp('QLinearConv', [
      t('u8', [1, 1, 1, 3], [30, 70, 110]), t('f32', [], [0.1]), t('u8', [], [0]),
      t('u8', [1, 1, 1, 1], [1]), t('f32', [1], [0.3]), t('u8', [1], [0]),
      t('f32', [], [0.2]), t('u8', [], [0]),
    ]);
    expect(values(y!)).toEqual([4, 10, 16]);
  });
});
