import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';

// Gemm / MatMul shapes on every target: tests/kernels/gemm.test.ts.
describe('wasm Gemm check()', () => {
  it('rejects non-f32 operands with a reason', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'i32', shape: [2, 3] });
    const y = b.input('y', { dtype: 'i32', shape: [3, 2] });
    b.output(b.op('Gemm', [x, y, null], {}, 'z'));
    expect(unsupportedByWasm(b.build())[0]?.reason).toMatch(/only f32 Gemm/);
  });
});
