import { describe, expect, it } from 'vitest';
import { range, run1, runOp, t, nums } from './run-op.js';

describe('MaxPool', () => {
  const x = t([1, 1, 4, 4], range(16));

  it('takes window maxima and reports flat indices (row- or column-major)', () => {
    const { values, types } = runOp('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, 2);
    expect(nums(values[0]!)).toEqual([5, 7, 13, 15]);
    expect(types[1]!.dtype).toBe('i64');
    expect(nums(values[1]!)).toEqual([5, 7, 13, 15]);
    const colMajor = runOp('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, 2);
    expect(nums(colMajor.values[1]!)).toEqual([5, 13, 7, 15]);
  });

  it('counts batch and channel into the indices', () => {
    const y = runOp('MaxPool', [t([1, 2, 1, 2], [1, 5, 7, 3])], { kernel_shape: [1, 2] }, 2);
    expect(nums(y.values[0]!)).toEqual([5, 7]);
    expect(nums(y.values[1]!)).toEqual([1, 2]);
  });

  it('adds a partial window with ceil_mode', () => {
    const x1 = t([1, 1, 5], [1, 2, 3, 4, 5]);
    expect(run1('MaxPool', [x1], { kernel_shape: [2], strides: [2] })).toEqual([2, 4]);
    expect(run1('MaxPool', [x1], { kernel_shape: [2], strides: [2], ceil_mode: 1 })).toEqual([2, 4, 5]);
  });

  it('never takes a value from padding, and dilates', () => {
    expect(run1('MaxPool', [t([1, 1, 3], [-1, -2, -3])], { kernel_shape: [3], pads: [1, 1] })).toEqual([-1, -1, -2]);
    expect(run1('MaxPool', [t([1, 1, 5], [1, 2, 3, 4, 5])], { kernel_shape: [2], dilations: [2] })).toEqual([3, 4, 5]);
  });

  it('pools integer tensors', () => {
    const y = runOp('MaxPool', [t([1, 1, 3], [3, 200, 7], 'u8')], { kernel_shape: [2] }).values[0]!;
    expect(y.dtype).toBe('u8');
    expect(nums(y)).toEqual([200, 200]);
  });
});

describe('AveragePool', () => {
  it('excludes padding from the divisor unless count_include_pad', () => {
    const x = t([1, 1, 3], [1, 2, 3]);
    expect(run1('AveragePool', [x], { kernel_shape: [3], pads: [1, 1] })).toEqual([1.5, 2, 2.5]);
    const inc = run1('AveragePool', [x], { kernel_shape: [3], pads: [1, 1], count_include_pad: 1 });
    expect(inc[0]).toBeCloseTo(1, 6);
    expect(inc[2]).toBeCloseTo(5 / 3, 6);
  });

  it('does not count the ceil_mode overhang as padding', () => {
    const x = t([1, 1, 5], [1, 2, 3, 4, 5]);
    expect(run1('AveragePool', [x], { kernel_shape: [2], strides: [2], ceil_mode: 1, count_include_pad: 1 })).toEqual([1.5, 3.5, 5]);
  });

  it('averages 2-D windows with strides and SAME_UPPER padding', () => {
    const x = t([1, 1, 2, 2], [1, 2, 3, 4]);
    expect(run1('AveragePool', [x], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([2.5, 3, 3.5, 4]);
  });
});

describe('global pools', () => {
  const x = t([1, 2, 2], [1, 2, 3, 5]);
  it('reduce every spatial dim to 1', () => {
    const avg = runOp('GlobalAveragePool', [x]).values[0]!;
    expect([avg.shape, nums(avg)]).toEqual([[1, 2, 1], [1.5, 4]]);
    expect(run1('GlobalMaxPool', [x])).toEqual([2, 5]);
  });
});
