import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Attributes, type DType, type Graph } from '../../ir/index.js';
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

/** Window configurations: plain, padded, strided (1, 2, 3), dilated, ceil_mode, auto_pad, asymmetric pads. */
const WINDOWS: Attributes[] = [
  { kernel_shape: [2, 2], strides: [2, 2] },
  { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
  { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
  { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 },
  { kernel_shape: [2, 3], strides: [1, 3], pads: [1, 0, 0, 2] },
  { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { kernel_shape: [3, 2], dilations: [1, 2], strides: [2, 1] },
  { kernel_shape: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2] },
  { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
  { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER' },
  { kernel_shape: [3, 3], auto_pad: 'VALID', strides: [1, 2] },
  { kernel_shape: [1, 1], strides: [2, 2] },
];

const SHAPES = [
  [1, 2, 9, 13],
  [2, 3, 8, 8],
  [1, 1, 5, 30],
  [1, 4, 17, 6],
];

describe('wasm MaxPool / AveragePool', () => {
  for (const op of ['MaxPool', 'AveragePool']) {
    it(`${op} 2-D over shapes x windows`, async () => {
      for (const shape of SHAPES) {
        for (const w of WINDOWS) {
          if (op === 'AveragePool' && w.dilations) continue;
          await expectWasmMatchesReference(poolGraph(op, shape, w));
        }
      }
    });
  }

  it('AveragePool with count_include_pad (padding and ceil_mode windows)', async () => {
    for (const shape of SHAPES) {
      for (const w of WINDOWS) {
        if (w.dilations) continue;
        await expectWasmMatchesReference(poolGraph('AveragePool', shape, { ...w, count_include_pad: 1 }));
      }
    }
  });

  it('AveragePool with dilations', async () => {
    await expectWasmMatchesReference(poolGraph('AveragePool', [1, 2, 11, 12], { kernel_shape: [3, 3], dilations: [2, 2], pads: [1, 1, 1, 1] }));
  });

  it('1-D pools', async () => {
    for (const op of ['MaxPool', 'AveragePool']) {
      await expectWasmMatchesReference(poolGraph(op, [2, 3, 23], { kernel_shape: [3], strides: [2], pads: [1, 1] }));
      await expectWasmMatchesReference(poolGraph(op, [1, 2, 10], { kernel_shape: [4], strides: [1], ceil_mode: 1 }));
    }
  });

  it('ResNet-like stem pool (3x3/2 pad 1 on 112x112) matches exactly', async () => {
    await expectWasmMatchesReference(poolGraph('MaxPool', [1, 8, 112, 112], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), { tolerance: 0 });
  });

  it('windows wholly in padding (large pads, ceil_mode) give -inf / 0 like the reference', async () => {
    await expectWasmMatchesReference(poolGraph('MaxPool', [1, 1, 4, 4], { kernel_shape: [2, 2], strides: [3, 3], pads: [1, 1, 1, 1], ceil_mode: 1 }));
    await expectWasmMatchesReference(poolGraph('AveragePool', [1, 1, 4, 4], { kernel_shape: [2, 2], strides: [3, 3], pads: [1, 1, 1, 1], ceil_mode: 1 }));
  });
});

describe('wasm global pools', () => {
  for (const op of ['GlobalAveragePool', 'GlobalMaxPool']) {
    it(`${op} over several plane sizes`, async () => {
      for (const shape of [[1, 512, 7, 7], [2, 3, 5, 5], [1, 4, 1, 1], [2, 5, 33], [1, 3, 64, 64]]) {
        await expectWasmMatchesReference(poolGraph(op, shape), { tolerance: 2e-6 });
      }
    });
  }
});

describe('wasm pool check()', () => {
  it('rejects 4-D and non-f32 pools with reasons (3-D pools and Indices: pool-gaps.test.ts)', () => {
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

// 8-bit MaxPool (pool-int8.ts): row tails of 16-lane chunks, both column phases of stride 2, dilation, 1-D.
describe('wasm MaxPool on u8 / i8 (exact)', () => {
  const cases: [DType, number[], Attributes][] = [
    ['u8', [1, 3, 17, 37], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['u8', [1, 2, 9, 70], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 }],
    ['i8', [2, 2, 9, 20], { kernel_shape: [2, 2] }],
    ['i8', [1, 3, 12, 33], { kernel_shape: [3, 3], dilations: [2, 2], strides: [1, 2], pads: [2, 2, 2, 2] }],
    ['u8', [1, 2, 50], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
    ['u8', [1, 4, 13, 13], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
  ];
  for (const [dtype, shape, attrs] of cases) {
    it(`${dtype} ${JSON.stringify(shape)} ${JSON.stringify(attrs)}`, async () => {
      const build = () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype, shape });
        b.output(b.op('MaxPool', [x], attrs, 'y'));
        return b.build();
      };
      expect(unsupportedByWasm(build()).map((p) => p.reason)).toEqual([]);
      await expectWasmMatchesReference(build, { tolerance: 0 });
    });
  }
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
