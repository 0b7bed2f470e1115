import { describe, expect, it } from 'vitest';
import { EdgecError, type Tensor } from '../../ir/index.js';
import { c, fed, i64, inferOp, runOp, t, values } from './helpers.js';

// x = [[1, 2, 3], [4, 5, 6]]
const x = (): Tensor => t('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
const reduce = (op: string, axes: number[] | null, attrs: Record<string, number> = {}) =>
  runOp(op, axes ? [fed(x()), c(i64(...axes))] : [fed(x())], attrs);

describe('ReduceX', () => {
  it('sums over axes, keeping dims by default', () => {
    const { out, types } = reduce('ReduceSum', [1]);
    expect(types[0]!.shape).toEqual([2, 1]);
    expect(values(out[0]!)).toEqual([6, 15]);
    expect(values(reduce('ReduceSum', [-2], { keepdims: 0 }).out[0]!)).toEqual([5, 7, 9]);
  });
  it('reduces all axes when axes are omitted, unless noop_with_empty_axes', () => {
    const all = reduce('ReduceSum', null, { keepdims: 0 });
    expect(all.out[0]!.shape).toEqual([]);
    expect(values(all.out[0]!)).toEqual([21]);
    const noop = reduce('ReduceSum', null, { noop_with_empty_axes: 1 });
    expect(noop.types[0]!.shape).toEqual([2, 3]);
    expect(values(noop.out[0]!)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('computes each reduction', () => {
    const over1 = (op: string) => values(reduce(op, [1], { keepdims: 0 }).out[0]!);
    expect(over1('ReduceMean')).toEqual([2, 5]);
    expect(over1('ReduceMax')).toEqual([3, 6]);
    expect(over1('ReduceMin')).toEqual([1, 4]);
    expect(over1('ReduceProd')).toEqual([6, 120]);
    expect(over1('ReduceL1')).toEqual([6, 15]);
    expect(over1('ReduceSumSquare')).toEqual([14, 77]);
    expect(over1('ReduceL2')[0]).toBeCloseTo(Math.sqrt(14), 5);
    expect(over1('ReduceLogSum')[1]).toBeCloseTo(Math.log(15), 5);
    expect(over1('ReduceLogSumExp')[0]).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 5);
  });
  it('gives identities over an empty set', () => {
    const empty = t('f32', [2, 0], []);
    const r = (op: string) => values(runOp(op, [fed(empty), c(i64(1))], { keepdims: 0 }).out[0]!);
    expect(r('ReduceSum')).toEqual([0, 0]);
    expect(r('ReduceProd')).toEqual([1, 1]);
    expect(r('ReduceMax')).toEqual([-Infinity, -Infinity]);
    expect(r('ReduceMin')).toEqual([Infinity, Infinity]);
    expect(r('ReduceLogSumExp')).toEqual([-Infinity, -Infinity]);
    const ints = values(runOp('ReduceMax', [fed(t('i32', [0], [])), c(i64(0))], { keepdims: 0 }).out[0]!);
    expect(ints).toEqual([-2147483648]);
  });
  it('reduces bool with Max (any) and Min (all)', () => {
    const b = t('bool', [2, 2], [1, 0, 0, 0]);
    expect(values(runOp('ReduceMax', [fed(b), c(i64(1))], { keepdims: 0 }).out[0]!)).toEqual([1, 0]);
    expect(values(runOp('ReduceMin', [fed(b), c(i64(1))], { keepdims: 0 }).out[0]!)).toEqual([0, 0]);
  });
  it('sums and maxes int64 exactly', () => {
    const big = t('i64', [3], [2n ** 62n, 3n, 2n ** 53n + 1n]);
    expect([...(runOp('ReduceSum', [fed(big)], { keepdims: 0 }).out[0]!.data as BigInt64Array)]).toEqual([2n ** 62n + 2n ** 53n + 4n]);
    expect([...(runOp('ReduceMin', [fed(big)], { keepdims: 0 }).out[0]!.data as BigInt64Array)]).toEqual([3n]);
  });
  it('infers ? dims for non-constant axes and validates', () => {
    expect(inferOp('ReduceMean', [{ dtype: 'f32', shape: [2, 3] }, { dtype: 'i64', shape: [1] }])[0]!.shape).toEqual(['?', '?']);
    expect(inferOp('ReduceMean', [{ dtype: 'f32', shape: [2, 3] }, { dtype: 'i64', shape: [1] }], { keepdims: 0 })[0]!.shape).toEqual(['?']);
    expect(inferOp('ReduceMean', [{ dtype: 'f32', shape: ['n', 3] }, i64(1)])[0]!.shape).toEqual(['n', 1]);
    expect(() => inferOp('ReduceSum', [{ dtype: 'f32', shape: [2, 3] }, i64(2)])).toThrow(EdgecError);
    expect(() => inferOp('ReduceSum', [{ dtype: 'f32', shape: [2, 3] }, i64(2)])).toThrow(/axis 2 is out of range/);
    expect(() => inferOp('ReduceSum', [{ dtype: 'bool', shape: [2] }])).toThrow(/expected one of/);
    expect(() => inferOp('ReduceSum', [{ dtype: 'f32', shape: [2] }, t('i32', [1], [0])])).toThrow(/axes must be a 1-D i64/);
  });
});

describe('ArgMax and ArgMin', () => {
  const m = t('f32', [2, 3], [1, 7, 7, 5, 0, 5]);
  it('finds first indices along an axis as i64', () => {
    const { out, types } = runOp('ArgMax', [fed(m)], { axis: 1 });
    expect(types[0]).toEqual({ dtype: 'i64', shape: [2, 1] });
    expect([...(out[0]!.data as BigInt64Array)]).toEqual([1n, 0n]);
    expect(values(runOp('ArgMin', [fed(m)], { axis: 0, keepdims: 0 }).out[0]!)).toEqual([0, 1, 1]);
  });
  it('selects last indices when asked', () => {
    expect(values(runOp('ArgMax', [fed(m)], { axis: -1, select_last_index: 1 }).out[0]!)).toEqual([2, 2]);
  });
  it('compares int64 exactly', () => {
    const big = t('i64', [2], [2n ** 60n + 1n, 2n ** 60n]);
    expect(values(runOp('ArgMax', [fed(big)]).out[0]!)).toEqual([0]);
    expect(values(runOp('ArgMin', [fed(big)]).out[0]!)).toEqual([1]);
  });
  it('rejects a bad axis', () => {
    expect(() => inferOp('ArgMax', [{ dtype: 'f32', shape: [2] }], { axis: 1 })).toThrow(/axis 1 is out of range/);
  });
});
