import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';

// Resize modes and shapes on every target: tests/kernels/resize.test.ts.
describe('wasm Resize check()', () => {
  it('check() rejects non-4-D, non-f32, too many resized planes and non-constant scales with reasons', () => {
    const b = new GraphBuilder('g');
    const x3 = b.input('x3', { dtype: 'f32', shape: [1, 2, 6] });
    b.output(b.op('Resize', [x3, null, b.constant('s3', makeTensor('f32', [3], [1, 1, 2])), null], {}, 'y3'));
    const xc = b.input('xc', { dtype: 'f32', shape: [1, 2, 6, 6] });
    b.output(b.op('Resize', [xc, null, b.constant('sc', makeTensor('f32', [4], [1, 200, 1, 1])), null], {}, 'yc'));
    const xs = b.input('xs', { dtype: 'f32', shape: [1, 2, 6, 6] });
    const s = b.input('s', { dtype: 'f32', shape: [4] });
    const node = b.node('Resize', [xs, null, s, null], {}, { outputNames: ['ys'] });
    b.output(node[0]!);
    expect(unsupportedByWasm(b.build()).map((p) => p.reason)).toEqual([
      'Resize of a rank-3 tensor is not supported (4-D NCHW)',
      'resizing the batch or channel axis into 400 planes is not supported (at most 256: the code is unrolled per plane)',
      'scales/sizes must be constants',
    ]);
  });
});
