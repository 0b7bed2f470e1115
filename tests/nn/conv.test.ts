import { describe, expect, it } from 'vitest';
import { roundToDType } from '../../ir/index.js';
import { range, run1, runOp, t, nums } from './run-op.js';

describe('Conv', () => {
  const x5 = t([1, 1, 5, 5], range(25));
  const ones3 = t([1, 1, 3, 3], new Array(9).fill(1));

  it('computes a valid 2-D convolution, with and without bias', () => {
    const x = t([1, 1, 3, 3], range(9));
    const w = t([1, 1, 2, 2], [1, 1, 1, 1]);
    expect(run1('Conv', [x, w])).toEqual([8, 12, 20, 24]);
    expect(run1('Conv', [x, w, t([1], [1])])).toEqual([9, 13, 21, 25]);
  });

  it('applies explicit pads and strides (ONNX doc example)', () => {
    expect(run1('Conv', [x5, ones3], { pads: [1, 1, 1, 1], strides: [2, 2] })).toEqual([12, 27, 24, 63, 108, 81, 72, 117, 84]);
  });

  it('applies asymmetric pads', () => {
    // Pad one row on top only: rows -1..1 and 1..3 with stride 2, no column padding.
    const y = runOp('Conv', [x5, ones3], { pads: [1, 0, 0, 0], strides: [2, 2] });
    expect(y.values[0]!.shape).toEqual([1, 1, 2, 2]);
    expect(nums(y.values[0]!)).toEqual([21, 33, 99, 117]);
  });

  it('resolves auto_pad SAME_UPPER (odd pad at the end) and SAME_LOWER (at the start)', () => {
    const x = t([1, 1, 4], [1, 2, 3, 4]);
    const w = t([1, 1, 2], [1, 10]);
    expect(run1('Conv', [x, w], { auto_pad: 'SAME_UPPER' })).toEqual([21, 32, 43, 4]);
    expect(run1('Conv', [x, w], { auto_pad: 'SAME_LOWER' })).toEqual([10, 21, 32, 43]);
    expect(run1('Conv', [x5, ones3], { auto_pad: 'SAME_UPPER' }).slice(0, 5)).toEqual([12, 21, 27, 33, 24]);
    expect(run1('Conv', [x, w], { auto_pad: 'VALID' })).toEqual([21, 32, 43]);
  });

  it('dilates the kernel', () => {
    expect(run1('Conv', [t([1, 1, 5], [1, 2, 3, 4, 5]), t([1, 1, 2], [1, 1])], { dilations: [2] })).toEqual([4, 6, 8]);
  });

  it('convolves groups separately (depthwise and grouped)', () => {
    const depthwise = run1('Conv', [t([1, 2, 1, 2], [1, 2, 3, 4]), t([2, 1, 1, 1], [2, 10])], { group: 2 });
    expect(depthwise).toEqual([2, 4, 30, 40]);
    const grouped = run1('Conv', [t([1, 4, 1, 1], [1, 2, 3, 4]), t([2, 2, 1, 1], [1, 1, 1, -1])], { group: 2 });
    expect(grouped).toEqual([3, -1]);
  });

  it('handles 3-D convolution and batches', () => {
    expect(run1('Conv', [t([1, 1, 2, 2, 2], range(8)), t([1, 1, 2, 2, 2], new Array(8).fill(1))])).toEqual([28]);
    expect(run1('Conv', [t([2, 1, 1], [3, 4]), t([2, 1, 1], [1, 2])])).toEqual([3, 6, 4, 8]);
  });

  it('rounds f16 results to half precision', () => {
    const y = runOp('Conv', [t([1, 1, 1, 1], [1], 'f16'), t([1, 1, 1, 1], [1 / 3], 'f16')]).values[0]!;
    expect(y.dtype).toBe('f16');
    expect(y.data[0]).toBe(roundToDType('f16', 1 / 3));
  });
});

describe('ConvTranspose', () => {
  const x = t([1, 1, 3], [1, 2, 3]);
  const w = t([1, 1, 3], [1, 1, 1]);

  it('scatters each input through the kernel', () => {
    expect(run1('ConvTranspose', [x, w])).toEqual([1, 3, 6, 5, 3]);
    expect(run1('ConvTranspose', [x, w], { strides: [2] })).toEqual([1, 1, 3, 2, 5, 3, 3]);
  });

  it('crops pads, adds output_padding, honours output_shape', () => {
    expect(run1('ConvTranspose', [x, w], { strides: [2], pads: [1, 1] })).toEqual([1, 3, 2, 5, 3]);
    expect(run1('ConvTranspose', [x, w], { strides: [2], output_padding: [1] })).toEqual([1, 1, 3, 2, 5, 3, 3, 0]);
    expect(run1('ConvTranspose', [x, w], { strides: [2], output_shape: [5] })).toEqual([1, 3, 2, 5, 3]);
  });

  it('adds bias and handles groups (W is [C, M/group, k])', () => {
    expect(run1('ConvTranspose', [t([1, 2, 1], [1, 2]), t([2, 1, 1], [3, 4]), t([2], [1, 1])], { group: 2 })).toEqual([4, 9]);
    // Two output channels from one input channel: W [1, 2, 1].
    expect(run1('ConvTranspose', [t([1, 1, 2], [1, 2]), t([1, 2, 1], [1, -1])])).toEqual([1, 2, -1, -2]);
  });
});
