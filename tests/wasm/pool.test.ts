import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Attributes, type Graph } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference } from './harness.js';

function poolGraph(op: string, shape: number[], attrs: Attributes = {}): () => Graph {
  return () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape });
    b.output(b.op(op, [x], attrs, 'y'));
    return b.build();
  };
}

describe('wasm pool check()', () => {
  it('rejects 4-D and non-f32 pools with reasons (3-D pools and Indices run on every target: tests/kernels/pool.test.ts)', () => {
    const b = new GraphBuilder('g');
    const v = b.input('v', { dtype: 'f32', shape: [1, 1, 4, 4, 4, 4] });
    b.output(b.op('AveragePool', [v], { kernel_shape: [2, 2, 2, 2] }, 'z'));
    const u = b.input('u', { dtype: 'f64', shape: [1, 1, 4, 4] });
    b.output(b.op('AveragePool', [u], { kernel_shape: [2, 2] }, 'w'));
    const i = b.input('i', { dtype: 'i8', shape: [1, 1, 9, 9] });
    b.output(b.op('MaxPool', [i], { kernel_shape: [2, 2], strides: [3, 3] }, 'm'));
    expect(unsupportedByWasm(b.build()).map((p) => p.reason)).toEqual([
      '4-D pooling is not supported (1-D to 3-D)',
      'AveragePool on f64 is not supported (only f32)',
      'MaxPool on i8 with column stride 3 is not supported (1 or 2)',
    ]);
  });
});

// Windows large enough that unrolling every tap would make huge code: the kernels loop over the window instead.
describe('wasm pooling with very large windows', () => {
  const large: [string, Attributes][] = [
    ['MaxPool', { kernel_shape: [60, 80], strides: [10, 10], dilations: [2, 2], pads: [10, 20, 10, 20] }],
    ['AveragePool', { kernel_shape: [40, 40], strides: [7, 9], pads: [5, 3, 6, 2], count_include_pad: 1 }],
    ['AveragePool', { kernel_shape: [40, 40], strides: [7, 9], pads: [5, 3, 6, 2], ceil_mode: 1 }],
  ];
  for (const [op, attrs] of large) {
    it(`${op} ${JSON.stringify(attrs)} compiles quickly and matches the reference`, async () => {
      const started = performance.now();
      await expectWasmMatchesReference(poolGraph(op, [1, 2, 200, 210], attrs));
      expect(performance.now() - started).toBeLessThan(20_000);
    });
  }
});
