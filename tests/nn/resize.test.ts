import { describe, expect, it } from 'vitest';
import { run1, runOp, t, nums } from './run-op.js';

const i64 = (values: number[]) => t([values.length], values, 'i64');
const x12 = t([1, 1, 1, 2], [1, 2]);
const up2 = t([4], [1, 1, 1, 2]);

describe('Resize', () => {
  it('nearest (round_prefer_floor, half_pixel) repeats samples', () => {
    const y = runOp('Resize', [x12, null, up2]);
    expect(y.types[0]!.shape).toEqual([1, 1, 1, 4]);
    expect(nums(y.values[0]!)).toEqual([1, 1, 2, 2]);
  });

  it('nearest_mode and asymmetric coordinates pick the expected neighbours', () => {
    const scales = t([4], [1, 1, 1, 3]);
    expect(run1('Resize', [x12, null, scales], { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' })).toEqual([1, 1, 1, 2, 2, 2]);
    expect(run1('Resize', [x12, null, scales], { coordinate_transformation_mode: 'asymmetric' })).toEqual([1, 1, 2, 2, 2, 2]);
    expect(run1('Resize', [x12, null, scales], { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'ceil' })).toEqual([1, 2, 2, 2, 2, 2]);
  });

  it('linear half_pixel clamps at the edges', () => {
    expect(run1('Resize', [x12, null, up2], { mode: 'linear' })).toEqual([1, 1.25, 1.75, 2]);
  });

  it('linear align_corners to given sizes keeps the corners', () => {
    expect(run1('Resize', [t([1, 1, 1, 2], [0, 10]), null, null, i64([1, 1, 1, 3])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' })).toEqual([0, 5, 10]);
  });

  it('cubic align_corners reproduces the samples at integral coordinates', () => {
    const y = run1('Resize', [t([1, 1, 1, 4], [0, 1, 4, 9]), null, null, i64([1, 1, 1, 7])], { mode: 'cubic', coordinate_transformation_mode: 'align_corners' });
    expect([y[0], y[2], y[4], y[6]].map((v) => Math.round(v! * 1e5) / 1e5)).toEqual([0, 1, 4, 9]);
    expect(y[1]).toBeGreaterThan(0);
    expect(y[1]).toBeLessThan(1);
  });

  it('tf_crop_and_resize fills outside the roi with extrapolation_value', () => {
    const roi = t([8], [0, 0, 0, 0, 1, 1, 1, 2]);
    const y = run1('Resize', [t([1, 1, 1, 2], [0, 10]), roi, null, i64([1, 1, 1, 3])], {
      mode: 'linear',
      coordinate_transformation_mode: 'tf_crop_and_resize',
      extrapolation_value: 99,
    });
    expect(y).toEqual([0, 10, 99]);
  });

  it('resizes only the given axes and keeps the aspect ratio when asked', () => {
    const x = t([1, 1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const y = runOp('Resize', [x, null, null, i64([4, 4])], { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' });
    expect(y.types[0]!.shape).toEqual([1, 1, 2, 4]);
    expect(nums(y.values[0]!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
