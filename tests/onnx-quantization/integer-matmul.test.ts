import { describe, expect, it } from 'vitest';
import { runOp, t, values } from './run-op.js';

describe('MatMulInteger', () => {
  it('multiplies u8 matrices into i32 with scalar zero points', () => {
    const [y] = runOp('MatMulInteger', [t('u8', [2, 2], [1, 2, 3, 4]), t('u8', [2, 2], [5, 6, 7, 8]), t('u8', [], [1]), t('u8', [], [5])]);
    expect(y!.dtype).toBe('i32');
    // A - 1 = [[0, 1], [2, 3]], B - 5 = [[0, 1], [2, 3]]
    expect(values(y!)).toEqual([2, 3, 6, 11]);
  });

  it('subtracts per-row A and per-column B zero points', () => {
    const a = t('i8', [2, 2], [1, 1, 5, 5]);
    const b = t('i8', [2, 2], [3, 0, 3, 0]);
    const [y] = runOp('MatMulInteger', [a, b, t('i8', [2], [0, 4]), t('i8', [2], [1, -2])]);
    // A' = [[1, 1], [1, 1]], B' = [[2, 2], [2, 2]]
    expect(values(y!)).toEqual([4, 4, 4, 4]);
  });

  it('accepts N-D per-row zero points of shape [..., M, 1]', () => {
    const a = t('u8', [2, 1, 2], [3, 3, 5, 5]);
    const [y] = runOp('MatMulInteger', [a, t('u8', [2, 1], [1, 1]), t('u8', [2, 1, 1], [1, 4])]);
    expect(y!.shape).toEqual([2, 1, 1]);
    expect(values(y!)).toEqual([4, 2]);
  });

  it('broadcasts batch dims and promotes 1-D operands like numpy.matmul', () => {
    const a = t('i8', [2, 1, 3], [1, 2, 3, -1, -2, -3]);
    const b = t('i8', [3, 2], [1, 0, 0, 1, 1, 1]);
    const [y] = runOp('MatMulInteger', [a, b]);
    expect(y!.shape).toEqual([2, 1, 2]);
    expect(values(y!)).toEqual([4, 5, -4, -5]);
    const [v] = runOp('MatMulInteger', [t('i8', [3], [1, 2, 3]), b]);
    expect(v!.shape).toEqual([2]);
    expect(values(v!)).toEqual([4, 5]);
    const [s] = runOp('MatMulInteger', [t('i8', [3], [1, 2, 3]), t('i8', [3], [4, 5, 6])]);
    expect(s!.shape).toEqual([]);
    expect(values(s!)).toEqual([32]);
  });

  it('accumulates large dot products exactly (255 * 255 * 1000)', () => {
    const k = 1000;
    const [y] = runOp('MatMulInteger', [t('u8', [1, k], new Array(k).fill(255)), t('u8', [k, 1], new Array(k).fill(255))]);
    expect(values(y!)).toEqual([255 * 255 * k]);
  });
});

describe('QLinearMatMul', () => {
  const scalar = (dtype: 'f32' | 'u8' | 'i8', v: number) => t(dtype, [], [v]);

  it('requantizes: (2*1 + 4*3 -> 14) * 0.5 * 0.25 / 1 = 1.75 -> 2, + 10', () => {
    const [y] = runOp('QLinearMatMul', [
      t('u8', [1, 2], [2, 4]), scalar('f32', 0.5), scalar('u8', 1),
      t('u8', [2, 1], [3, 5]), scalar('f32', 0.25), scalar('u8', 1),
      scalar('f32', 1), scalar('u8', 10),
    ]);
    expect(y!.dtype).toBe('u8');
    expect(values(y!)).toEqual([12]);
  });

  it('rounds ties to even (2.5 -> 2, 3.5 -> 4)', () => {
    const [y] = runOp('QLinearMatMul', [
      t('u8', [2, 1], [6, 8]), scalar('f32', 0.5), scalar('u8', 1),
      t('u8', [1, 1], [2]), scalar('f32', 1), scalar('u8', 1),
      scalar('f32', 1), scalar('u8', 0),
    ]);
    expect(values(y!)).toEqual([2, 4]);
  });

  it('saturates to the i8 range', () => {
    const [y] = runOp('QLinearMatMul', [
      t('i8', [2, 1], [127, -128]), scalar('f32', 1), scalar('i8', 0),
      t('i8', [1, 1], [100]), scalar('f32', 1), scalar('i8', 0),
      scalar('f32', 1), scalar('i8', 5),
    ]);
    expect(values(y!)).toEqual([127, -128]);
  });

  it('uses per-column B scales and zero points', () => {
    const [y] = runOp('QLinearMatMul', [
      t('u8', [1, 1], [3]), scalar('f32', 1), scalar('u8', 1),
      t('u8', [1, 2], [5, 5]), t('f32', [2], [1, 0.5]), t('u8', [2], [1, 0]),
      scalar('f32', 1), scalar('u8', 0),
    ]);
    // acc = [2 * 4, 2 * 5] = [8, 10]; * [1, 0.5] = [8, 5]
    expect(values(y!)).toEqual([8, 5]);
  });

  it('requantizes in float32 like ONNX Runtime (4.5 -> 4, 10.5 -> 10, 16.5 -> 16)', () => {
    const [y] = runOp('QLinearMatMul', [
      t('u8', [3, 1], [30, 70, 110]), scalar('f32', 0.1), scalar('u8', 0),
      t('u8', [1, 1], [1]), scalar('f32', 0.3), scalar('u8', 0),
      scalar('f32', 0.2), scalar('u8', 0),
    ]);
    expect(values(y!)).toEqual([4, 10, 16]);
  });

  it('broadcasts batch dims', () => {
    const [y] = runOp('QLinearMatMul', [
      t('i8', [2, 1, 2], [1, 1, 2, 2]), scalar('f32', 1), scalar('i8', 0),
      t('i8', [2, 1], [3, 4]), scalar('f32', 1), scalar('i8', 0),
      scalar('f32', 1), scalar('i8', 0),
    ]);
    expect(y!.shape).toEqual([2, 1, 1]);
    expect(values(y!)).toEqual([7, 14]);
  });
});
