import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Attributes, type DType } from '../../ir/index.js';
import { lrnWindow } from '../../ir/ops/nn.js';

/** LRN's schema: the shape passes through; size is required and positive; X is a float [N, C, ...] tensor. */

function lrn(shape: number[], attrs: Attributes, dtype: DType = 'f32') {
  const b = new GraphBuilder('g');
  const y = b.op('LRN', [b.input('x', { dtype, shape })], attrs, 'y');
  b.output(y);
  return y.type;
}

describe('LRN schema', () => {
  it('keeps the input type', () => {
    expect(lrn([1, 96, 55, 55], { size: 5, alpha: 1e-4, beta: 0.75, bias: 1 })).toEqual({ dtype: 'f32', shape: [1, 96, 55, 55] });
    expect(lrn([2, 3, 7], { size: 2 }, 'f16')).toEqual({ dtype: 'f16', shape: [2, 3, 7] });
  });

  it('needs size, positive', () => {
    expect(() => lrn([1, 3, 4, 4], {})).toThrow(/required attribute 'size' is missing/);
    expect(() => lrn([1, 3, 4, 4], { size: 0 })).toThrow(/LRN size 0 must be >= 1/);
    expect(() => lrn([1, 3, 4, 4], { size: 2.5 })).toThrow(/attribute 'size' must be of type int/);
  });

  it('refuses integer and rank < 3 inputs', () => {
    expect(() => lrn([1, 3, 4, 4], { size: 3 }, 'i32')).toThrow(/LRN operand 0 has type i32\[1,3,4,4\]/);
    expect(() => lrn([4, 3], { size: 3 })).toThrow(/rank >= 3/);
  });

  it('windows reach floor((size-1)/2) channels down and ceil((size-1)/2) up', () => {
    expect(lrnWindow(5)).toEqual({ before: 2, after: 2 });
    expect(lrnWindow(4)).toEqual({ before: 1, after: 2 });
    expect(lrnWindow(1)).toEqual({ before: 0, after: 0 });
  });
});
