import { describe, expect, it } from 'vitest';
import { run1, runOp, t, nums } from './run-op.js';

describe('Gemm', () => {
  const a = t([2, 3], [1, 2, 3, 4, 5, 6]);
  const b = t([3, 2], [1, 0, 0, 1, 1, 1]);

  it('multiplies, scales by alpha and adds beta * C broadcast from a row vector', () => {
    expect(run1('Gemm', [a, b])).toEqual([4, 5, 10, 11]);
    expect(run1('Gemm', [a, b, t([2], [10, 20])], { alpha: 2, beta: 0.5 })).toEqual([13, 20, 25, 32]);
  });

  it('broadcasts a scalar and a column C', () => {
    expect(run1('Gemm', [a, b, t([], [1])])).toEqual([5, 6, 11, 12]);
    expect(run1('Gemm', [a, b, t([2, 1], [1, 2])])).toEqual([5, 6, 12, 13]);
  });

  it('transposes A and B on request', () => {
    const aT = t([3, 2], [1, 4, 2, 5, 3, 6]);
    const bT = t([2, 3], [1, 0, 1, 0, 1, 1]);
    expect(run1('Gemm', [aT, b], { transA: 1 })).toEqual([4, 5, 10, 11]);
    expect(run1('Gemm', [a, bT], { transB: 1 })).toEqual([4, 5, 10, 11]);
    expect(run1('Gemm', [aT, bT], { transA: 1, transB: 1 })).toEqual([4, 5, 10, 11]);
  });
});

describe('MatMul', () => {
  it('treats 1-D operands as vectors and drops their promoted dim', () => {
    const dot = runOp('MatMul', [t([3], [1, 2, 3]), t([3], [4, 5, 6])]).values[0]!;
    expect(dot.shape).toEqual([]);
    expect(nums(dot)).toEqual([32]);
    const m = t([2, 2], [1, 2, 3, 4]);
    const mv = runOp('MatMul', [m, t([2], [1, 1])]).values[0]!;
    expect([mv.shape, nums(mv)]).toEqual([[2], [3, 7]]);
    const vm = runOp('MatMul', [t([2], [1, 1]), m]).values[0]!;
    expect([vm.shape, nums(vm)]).toEqual([[2], [4, 6]]);
  });

  it('broadcasts batch dims', () => {
    const y = runOp('MatMul', [t([2, 1, 2], [1, 2, 3, 4]), t([2, 1], [1, 1])]).values[0]!;
    expect([y.shape, nums(y)]).toEqual([[2, 1, 1], [3, 7]]);
    const z = runOp('MatMul', [t([2, 1, 1, 2], [1, 2, 3, 4]), t([3, 2, 1], [1, 0, 0, 1, 1, 1])]).values[0]!;
    expect([z.shape, nums(z)]).toEqual([[2, 3, 1, 1], [1, 2, 3, 3, 4, 7]]);
  });

  it('keeps large sums accurate (float64 accumulation)', () => {
    const n = 1000;
    const y = run1('MatMul', [t([1, n], new Array(n).fill(0.1)), t([n, 1], new Array(n).fill(0.1))]);
    expect(y[0]).toBeCloseTo(10, 4);
  });
});
