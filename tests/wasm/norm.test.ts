import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';

// Softmax and normalizations on every target: tests/kernels/norm.test.ts.
describe('wasm normalization check()', () => {
  it('check() rejects non-f32 and non-constant broadcast Scale with reasons', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 3, 4] });
    const s = b.input('s', { dtype: 'f32', shape: [4] });
    b.node('LayerNormalization', [x, s, null], { axis: 1 }, { outputNames: ['y'] }).forEach((v) => b.output(v));
    const h = b.input('h', { dtype: 'f64', shape: [2, 4] });
    const hs = b.input('hs', { dtype: 'f64', shape: [4] });
    b.node('LayerNormalization', [h, hs, null], {}, { outputNames: ['z'] }).forEach((v) => b.output(v));
    expect(unsupportedByWasm(b.build()).map((p) => p.reason)).toEqual([
      '%s broadcasts to the normalized dims but is not a constant',
      'LayerNormalization with f64 operand %h is not supported (only f32)',
    ]);
  });
});
