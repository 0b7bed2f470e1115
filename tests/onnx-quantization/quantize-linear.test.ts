import { describe, expect, it } from 'vitest';
import { roundToDType } from '../../ir/index.js';
import { runOp, t, values } from './run-op.js';

describe('QuantizeLinear', () => {
  it('rounds half to even and saturates to u8 (default output type)', () => {
    const [y] = runOp('QuantizeLinear', [t('f32', [8], [0, 2.5, 3.5, -2.5, 1000, -1000, 0.5, 1.5]), t('f32', [], [1])]);
    expect(y!.dtype).toBe('u8');
    expect(values(y!)).toEqual([0, 2, 4, 0, 255, 0, 0, 2]);
  });

  it('adds a negative i8 zero point after rounding and saturates both ends', () => {
    const [y] = runOp('QuantizeLinear', [t('f32', [5], [2.5, 3.5, -2.5, 500, -500]), t('f32', [], [1]), t('i8', [], [-3])]);
    expect(y!.dtype).toBe('i8');
    expect(values(y!)).toEqual([-1, 1, -5, 127, -128]);
  });

  it('divides by the scale before rounding', () => {
    // 5 / 2 = 2.5 -> 2, 7 / 2 = 3.5 -> 4, -7 / 2 = -3.5 -> -4
    const [y] = runOp('QuantizeLinear', [t('f32', [3], [5, 7, -7]), t('f32', [], [2]), t('i8', [], [0])]);
    expect(values(y!)).toEqual([2, 4, -4]);
  });

  it('quantizes per axis with one scale and zero point per channel', () => {
    const x = t('f32', [2, 3], [4, 4, 4, -8, 8, 2]);
    const [y] = runOp('QuantizeLinear', [x, t('f32', [3], [1, 2, 4]), t('u8', [3], [0, 10, 100])], { axis: 1 });
    expect(values(y!)).toEqual([4, 12, 101, 0, 14, 100]);
  });

  it('quantizes per axis along a negative axis', () => {
    const x = t('f32', [3, 2], [1, 1, 2, 2, 3, 3]);
    const [y] = runOp('QuantizeLinear', [x, t('f32', [2], [1, 0.5]), t('i8', [2], [0, -1])], { axis: -1 });
    expect(values(y!)).toEqual([1, 1, 2, 3, 3, 5]);
  });

  it('quantizes in blocks along the axis (symmetric, output_dtype)', () => {
    const x = t('f32', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const [y] = runOp('QuantizeLinear', [x, t('f32', [2, 2], [1, 2, 4, 8])], { axis: 1, block_size: 2, output_dtype: 'i8' });
    expect(y!.dtype).toBe('i8');
    // row 0: 1/1, 2/1, 3/2=1.5->2, 4/2; row 1: 5/4=1.25->1, 6/4=1.5->2, 7/8->1, 8/8
    expect(values(y!)).toEqual([1, 2, 2, 2, 1, 2, 1, 1]);
  });

  it('handles a last block shorter than block_size', () => {
    const x = t('f32', [1, 5], [3, 3, 3, 3, 3]);
    const [y] = runOp('QuantizeLinear', [x, t('f32', [1, 3], [1, 2, 4]), t('u8', [1, 3], [0, 1, 2])], { axis: 1, block_size: 2 });
    expect(values(y!)).toEqual([3, 3, 3, 3, 3]); // 3+0, 3+0, 1.5->2 +1, 2+1, 0.75->1 +2
  });

  it('saturates to the 16-bit ranges', () => {
    const x = t('f32', [3], [70000, -40000, 1.5]);
    expect(values(runOp('QuantizeLinear', [x, t('f32', [], [1]), t('i16', [], [0])])[0]!)).toEqual([32767, -32768, 2]);
    expect(values(runOp('QuantizeLinear', [x, t('f32', [], [1])], { output_dtype: 'u16' })[0]!)).toEqual([65535, 0, 2]);
  });

  it('divides in float32, then rounds ties to even (0.75 / 0.1 -> 7.5 -> 8, 0.85 / 0.1 -> 8.5 -> 8)', () => {
    // In float64 the quotients are 7.4999999 and 8.5000001, which would round to 7 and 9.
    const [y] = runOp('QuantizeLinear', [t('f32', [2], [0.75, 0.85]), t('f32', [], [0.1])]);
    expect(values(y!)).toEqual([8, 8]);
  });
});

describe('DequantizeLinear', () => {
  it('computes (x - zero_point) * scale with a negative zero point', () => {
    const [y] = runOp('DequantizeLinear', [t('i8', [3], [-128, 0, 127]), t('f32', [], [0.5]), t('i8', [], [-1])]);
    expect(y!.dtype).toBe('f32');
    expect(values(y!)).toEqual([-63.5, 0.5, 64]);
  });

  it('dequantizes per axis', () => {
    const x = t('u8', [2, 2], [10, 20, 30, 40]);
    const [y] = runOp('DequantizeLinear', [x, t('f32', [2], [1, 0.5]), t('u8', [2], [10, 0])], { axis: 0 });
    expect(values(y!)).toEqual([0, 10, 15, 20]);
  });

  it('dequantizes in blocks', () => {
    const x = t('i8', [1, 3], [4, 4, 4]);
    const [y] = runOp('DequantizeLinear', [x, t('f32', [1, 2], [1, 0.25]), t('i8', [1, 2], [1, -4])], { axis: 1, block_size: 2 });
    expect(values(y!)).toEqual([3, 3, 2]);
  });

  it('reads int32 without a zero point', () => {
    const [y] = runOp('DequantizeLinear', [t('i32', [2], [1000000, -3]), t('f32', [], [0.25])]);
    expect(values(y!)).toEqual([250000, -0.75]);
  });

  it('produces the scale dtype (f16), rounded to half precision', () => {
    const [y] = runOp('DequantizeLinear', [t('u16', [1], [3]), t('f16', [], [0.1])]);
    expect(y!.dtype).toBe('f16');
    const scale = roundToDType('f16', 0.1);
    expect(values(y!)).toEqual([roundToDType('f16', Math.fround(3 * scale))]);
  });

  it('round-trips QuantizeLinear values exactly', () => {
    const scale = t('f32', [], [0.5]);
    const zp = t('i8', [], [3]);
    const [q] = runOp('QuantizeLinear', [t('f32', [4], [-1, 0, 1.5, 20]), scale, zp]);
    const [y] = runOp('DequantizeLinear', [q!, scale, zp]);
    expect(values(y!)).toEqual([-1, 0, 1.5, 20]);
  });
});

describe('DynamicQuantizeLinear', () => {
  it('follows the ONNX example: scale (max - min) / 255 over the range extended to 0', () => {
    const [y, scale, zp] = runOp('DynamicQuantizeLinear', [t('f32', [6], [0, 2, -3, -2.5, 1.34, 0.5])], {}, 3);
    expect(values(scale!)).toEqual([Math.fround(Math.fround(5) / 255)]);
    expect(values(zp!)).toEqual([153]);
    expect(values(y!)).toEqual([153, 255, 0, 26, 221, 179]);
  });

  it('includes 0 in the range when all values are positive (zero point 0)', () => {
    const [y, scale, zp] = runOp('DynamicQuantizeLinear', [t('f32', [2, 2], [51, 102, 153, 255])], {}, 3);
    expect(values(scale!)).toEqual([1]);
    expect(values(zp!)).toEqual([0]);
    expect(values(y!)).toEqual([51, 102, 153, 255]);
  });

  it('uses scale 1 for an all-zero input instead of dividing by zero', () => {
    const [y, scale, zp] = runOp('DynamicQuantizeLinear', [t('f32', [3], [0, 0, 0])], {}, 3);
    expect(values(scale!)).toEqual([1]);
    expect(values(zp!)).toEqual([0]);
    expect(values(y!)).toEqual([0, 0, 0]);
  });

  it('puts the zero point at 255 when all values are negative', () => {
    const [y, scale, zp] = runOp('DynamicQuantizeLinear', [t('f32', [2], [-255, -51])], {}, 3);
    expect(values(scale!)).toEqual([1]);
    expect(values(zp!)).toEqual([255]);
    expect(values(y!)).toEqual([0, 204]);
  });
});
