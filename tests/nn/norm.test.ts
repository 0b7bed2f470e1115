import { describe, expect, it } from 'vitest';
import { EdgecError } from '../../ir/index.js';
import { run1, runOp, t, nums } from './run-op.js';

describe('BatchNormalization', () => {
  const x = t([1, 2, 1, 2], [1, 2, 3, 4]);
  const operands = [x, t([2], [1, 2]), t([2], [0, 1]), t([2], [1, 3]), t([2], [3, 0.25])];

  it('normalizes each channel with its running statistics', () => {
    const y = run1('BatchNormalization', operands, { epsilon: 1 });
    expect(y[0]).toBeCloseTo(0, 6);
    expect(y[1]).toBeCloseTo(0.5, 6);
    expect(y[2]).toBeCloseTo(1, 6);
    expect(y[3]).toBeCloseTo(1 + 2 / Math.sqrt(1.25), 5);
  });

  it('rejects training mode as an unsupported feature', () => {
    try {
      runOp('BatchNormalization', operands, { training_mode: 1 });
      expect.unreachable();
    } catch (e) {
      expect((e as EdgecError).code).toBe('UNSUPPORTED_FEATURE');
      expect((e as EdgecError).message).toMatch(/training_mode/);
    }
  });
});

describe('InstanceNormalization', () => {
  it('normalizes each (n, c) plane', () => {
    const y = run1('InstanceNormalization', [t([1, 1, 2], [1, 3]), t([1], [2]), t([1], [1])], { epsilon: 0 });
    expect(y).toEqual([-1, 3]);
  });
});

describe('LayerNormalization', () => {
  const x = t([2, 2], [1, 3, 2, 6]);

  it('normalizes the trailing dims and returns Mean and InvStdDev', () => {
    const { values, types } = runOp('LayerNormalization', [x, t([2], [1, 2]), t([2], [0, 1])], { epsilon: 0 }, 3);
    expect(nums(values[0]!)).toEqual([-1, 3, -1, 3]);
    expect(types[1]!.shape).toEqual([2, 1]);
    expect(nums(values[1]!)).toEqual([2, 4]);
    expect(nums(values[2]!)).toEqual([1, 0.5]);
  });

  it('normalizes from axis 0 with a full-shape scale', () => {
    const y = run1('LayerNormalization', [x, t([2, 2], [1, 1, 1, 1])], { axis: 0, epsilon: 0 });
    const sd = Math.sqrt(3.5);
    [-2 / sd, 0, -1 / sd, 3 / sd].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
  });
});

describe('Softmax and LogSoftmax', () => {
  it('normalize along the last axis by default', () => {
    const y = run1('Softmax', [t([3], [1, 2, 3])]);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    [1, 2, 3].forEach((v, i) => expect(y[i]).toBeCloseTo(Math.exp(v) / z, 6));
    const l = run1('LogSoftmax', [t([3], [1, 2, 3])]);
    [1, 2, 3].forEach((v, i) => expect(l[i]).toBeCloseTo(v - Math.log(z), 5));
  });

  it('normalize along a given axis only (opset 13, no flattening)', () => {
    const y = run1('Softmax', [t([2, 2], [0, 0, Math.log(3), 0])], { axis: 0 });
    [0.25, 0.5, 0.75, 0.5].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
  });

  it('stay finite for large inputs', () => {
    expect(run1('Softmax', [t([2], [10000, 10000])])).toEqual([0.5, 0.5]);
  });
});
