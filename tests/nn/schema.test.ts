import { describe, expect, it } from 'vitest';
import { EdgecError, makeTensor, tensorType, type ErrorCode } from '../../ir/index.js';
import { inferTypes } from './run-op.js';

const f32 = (...shape: (number | string)[]) => tensorType('f32', shape);

function failure(fn: () => unknown): EdgecError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EdgecError) return e;
    throw e;
  }
  throw new Error('expected an EdgecError');
}

function expectFailure(fn: () => unknown, code: ErrorCode, message: RegExp): void {
  const e = failure(fn);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

describe('Conv shape inference', () => {
  it('computes the output shape, keeping symbolic batch and unknown spatial dims', () => {
    expect(inferTypes('Conv', [f32(1, 3, 224, 224), f32(64, 3, 7, 7)], { pads: [3, 3, 3, 3], strides: [2, 2] })[0]!.shape).toEqual([1, 64, 112, 112]);
    expect(inferTypes('Conv', [f32('N', 3, '?', 10), f32(8, 3, 3, 3)])[0]!.shape).toEqual(['N', 8, '?', 8]);
    expect(inferTypes('Conv', [f32(1, 4, 7), f32(4, 1, 3)], { group: 4, auto_pad: 'SAME_UPPER', strides: [2] })[0]!.shape).toEqual([1, 4, 4]);
  });

  it('rejects bad ranks, channel mismatches, bias lengths and dtypes', () => {
    expectFailure(() => inferTypes('Conv', [f32(1, 3), f32(8, 3)]), 'BAD_SHAPE', /rank >= 3/);
    expectFailure(() => inferTypes('Conv', [f32(1, 3, 5, 5), f32(8, 3, 3)]), 'BAD_SHAPE', /rank of X/);
    expectFailure(() => inferTypes('Conv', [f32(1, 3, 5, 5), f32(8, 2, 3, 3)]), 'BAD_SHAPE', /3 channels.*expects 2/);
    expectFailure(() => inferTypes('Conv', [f32(1, 4, 5, 5), f32(6, 1, 3, 3)], { group: 4 }), 'BAD_SHAPE', /not divisible by group/);
    expectFailure(() => inferTypes('Conv', [f32(1, 3, 5, 5), f32(8, 3, 3, 3), f32(4)]), 'BAD_SHAPE', /bias B .* length M = 8/);
    expectFailure(() => inferTypes('Conv', [tensorType('i32', [1, 3, 5, 5]), tensorType('i32', [8, 3, 3, 3])]), 'TYPE_MISMATCH', /expected one of f32/);
    expectFailure(() => inferTypes('Conv', [f32(1, 3, 2, 2), f32(8, 3, 3, 3)]), 'BAD_SHAPE', /does not fit/);
    expectFailure(() => inferTypes('Conv', [f32(1, 3, 5, 5), f32(8, 3, 3, 3)], { pads: [1, 1] }), 'BAD_SHAPE', /pads has 2 entries/);
  });
});

describe('ConvTranspose shape inference', () => {
  it('grows the spatial dims and multiplies channels by group', () => {
    expect(inferTypes('ConvTranspose', [f32(1, 4, 3, 3), f32(4, 2, 3, 3)], { strides: [2, 2], group: 2 })[0]!.shape).toEqual([1, 4, 7, 7]);
    expect(inferTypes('ConvTranspose', [f32(1, 1, 3), f32(1, 1, 3)], { strides: [2], auto_pad: 'SAME_UPPER' })[0]!.shape).toEqual([1, 1, 6]);
    expect(inferTypes('ConvTranspose', [f32(1, 1, 3), f32(1, 1, 3)], { strides: [2], output_shape: [6] })[0]!.shape).toEqual([1, 1, 6]);
  });

  it('rejects a channel mismatch', () => {
    expectFailure(() => inferTypes('ConvTranspose', [f32(1, 3, 3, 3), f32(4, 1, 3, 3)]), 'BAD_SHAPE', /3 channels/);
  });
});

describe('Gemm and MatMul shape inference', () => {
  it('infers shapes and checks inner dims', () => {
    expect(inferTypes('Gemm', [f32(4, 3), f32(5, 3)], { transB: 1 })[0]!.shape).toEqual([4, 5]);
    expectFailure(() => inferTypes('Gemm', [f32(4, 3), f32(5, 3)]), 'BAD_SHAPE', /inner dims/);
    expectFailure(() => inferTypes('Gemm', [f32(4, 3), f32(3, 5), f32(3, 5)]), 'BAD_SHAPE', /does not broadcast/);
    expect(inferTypes('MatMul', [f32('B', 1, 4, 3), f32(6, 3, 5)])[0]!.shape).toEqual(['B', 6, 4, 5]);
    expect(inferTypes('MatMul', [f32(3), f32(3)])[0]!.shape).toEqual([]);
    expectFailure(() => inferTypes('MatMul', [f32(2, 3), f32(4, 5)]), 'BAD_SHAPE', /inner dims/);
    expectFailure(() => inferTypes('MatMul', [f32(2, 2, 3), f32(3, 3, 5)]), 'BAD_SHAPE', /batch dims/);
  });
});

describe('pool shape inference', () => {
  it('applies ceil_mode and requires kernel_shape', () => {
    expect(inferTypes('MaxPool', [f32(1, 1, 5, 5)], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })[0]!.shape).toEqual([1, 1, 3, 3]);
    expect(inferTypes('AveragePool', [f32(1, 1, 5, 5)], { kernel_shape: [2, 2], strides: [2, 2] })[0]!.shape).toEqual([1, 1, 2, 2]);
    expectFailure(() => inferTypes('MaxPool', [f32(1, 1, 5, 5)]), 'BAD_SHAPE', /kernel_shape is required/);
    expect(inferTypes('GlobalAveragePool', [f32('N', 8, 7, 7)])[0]!.shape).toEqual(['N', 8, 1, 1]);
  });
});

describe('normalization shape inference', () => {
  it('checks per-channel operands and training mode', () => {
    const ok = [f32(1, 3, 4, 4), f32(3), f32(3), f32(3), f32(3)];
    expect(inferTypes('BatchNormalization', ok)[0]!.shape).toEqual([1, 3, 4, 4]);
    expectFailure(() => inferTypes('BatchNormalization', [f32(1, 3, 4, 4), f32(4), f32(3), f32(3), f32(3)]), 'BAD_SHAPE', /scale .* length C = 3/);
    expectFailure(() => inferTypes('BatchNormalization', ok, { training_mode: 1 }), 'UNSUPPORTED_FEATURE', /training_mode/);
  });

  it('gives LayerNormalization statistics the kept dims', () => {
    const types = inferTypes('LayerNormalization', [f32('B', 5, 8), f32(8)], {}, 3);
    expect(types.map((x) => x.shape)).toEqual([['B', 5, 8], ['B', 5, 1], ['B', 5, 1]]);
    expectFailure(() => inferTypes('LayerNormalization', [f32(2, 8), f32(7)]), 'BAD_SHAPE', /does not broadcast/);
    expectFailure(() => inferTypes('Softmax', [f32(2, 8)], { axis: 2 }), 'BAD_SHAPE', /out of range/);
  });
});

describe('Resize shape inference', () => {
  const i64 = (v: number[]) => makeTensor('i64', [v.length], v);
  it('uses constant scales or sizes, else unknown dims on the resized axes', () => {
    const scales = makeTensor('f32', [4], [1, 1, 2, 0.5]);
    expect(inferTypes('Resize', [f32(1, 3, 10, 10), null, scales])[0]!.shape).toEqual([1, 3, 20, 5]);
    expect(inferTypes('Resize', [f32(1, 3, 10, 10), null, null, i64([7, 9])], { axes: [2, 3] })[0]!.shape).toEqual([1, 3, 7, 9]);
    expect(inferTypes('Resize', [f32(1, 3, 10, 10), null, null, tensorType('i64', [2])], { axes: [2, 3] })[0]!.shape).toEqual([1, 3, '?', '?']);
  });

  it('rejects conflicting operands and unknown modes', () => {
    const scales = makeTensor('f32', [4], [1, 1, 2, 2]);
    expectFailure(() => inferTypes('Resize', [f32(1, 3, 4, 4), null, scales, i64([1, 3, 8, 8])]), 'BAD_SHAPE', /only one of scales and sizes/);
    expectFailure(() => inferTypes('Resize', [f32(1, 3, 4, 4), null, scales], { mode: 'area' }), 'BAD_SHAPE', /mode 'area'/);
    expectFailure(() => inferTypes('Resize', [f32(1, 3, 4, 4), null, scales], { antialias: 1 }), 'UNSUPPORTED_FEATURE', /antialias/);
  });
});
