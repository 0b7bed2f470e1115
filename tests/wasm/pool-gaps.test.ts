import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Attributes, type Graph } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference, runOnWasm } from './harness.js';

function poolGraph(op: string, shape: number[], attrs: Attributes = {}, indices = false): () => Graph {
  return () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape });
    if (indices) {
      const [y, i] = b.node(op, [x], attrs, { outputNames: ['y', 'indices'] });
      b.output(y!, i!);
    } else {
      b.output(b.op(op, [x], attrs, 'y'));
    }
    return b.build();
  };
}

/** 3-D windows: plain, padded, strided, dilated, ceil_mode, asymmetric pads, auto_pad. */
const WINDOWS_3D: Attributes[] = [
  { kernel_shape: [2, 2, 2] },
  { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] },
  { kernel_shape: [3, 2, 3], strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1] },
  { kernel_shape: [3, 3, 3], strides: [2, 2, 2], ceil_mode: 1 },
  { kernel_shape: [2, 2, 2], dilations: [2, 1, 2], pads: [1, 1, 1, 1, 1, 1] },
  { kernel_shape: [3, 3, 3], strides: [2, 2, 2], pads: [0, 0, 0, 2, 2, 2], ceil_mode: 1 },
  { kernel_shape: [3, 3, 3], strides: [2, 2, 2], auto_pad: 'SAME_UPPER' },
];

describe('wasm 3-D pooling', () => {
  for (const op of ['MaxPool', 'AveragePool']) {
    WINDOWS_3D.forEach((attrs, i) => {
      it(`${op} 3-D window ${i} (${JSON.stringify(attrs)})`, async () => {
        const build = poolGraph(op, [2, 3, 6, 7, 5], attrs);
        expect(unsupportedByWasm(build())).toEqual([]);
        await expectWasmMatchesReference(build, { tolerance: op === 'MaxPool' ? 0 : 1e-6 });
      });
    });
  }

  it('AveragePool 3-D with count_include_pad, including windows reaching past the padding (ceil_mode)', async () => {
    for (const attrs of WINDOWS_3D) {
      await expectWasmMatchesReference(poolGraph('AveragePool', [1, 2, 5, 6, 7], { ...attrs, count_include_pad: 1 }), { tolerance: 1e-6 });
    }
  });
});

describe('wasm MaxPool Indices', () => {
  const cases: [number[], Attributes][] = [
    [[2, 3, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    [[1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }],
    [[2, 2, 9], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
    [[1, 2, 4, 5, 6], { kernel_shape: [2, 3, 2], strides: [1, 2, 2], pads: [0, 1, 1, 1, 0, 0] }],
  ];
  for (const storage of [0, 1]) {
    cases.forEach(([shape, attrs], i) => {
      it(`case ${i} with storage_order ${storage}: values and i64 indices exactly as the reference`, async () => {
        const build = poolGraph('MaxPool', shape, { ...attrs, storage_order: storage }, true);
        expect(unsupportedByWasm(build())).toEqual([]);
        const { artifact } = await expectWasmMatchesReference(build, { tolerance: 0 });
        expect(artifact.io.outputs[1]!.dtype).toBe('i64');
      });
    });
  }

  it('ties take the first tap, NaN as the reference, windows wholly in padding give -inf and base - 1', async () => {
    const values = [1, 1, 1, 1, NaN, 2, 2, 0, 5, 5, 5, -1];
    const build = poolGraph('MaxPool', [1, 1, 3, 4], { kernel_shape: [2, 2], strides: [2, 2], pads: [2, 2, 0, 0] }, true);
    const feeds = { x: makeTensor('f32', [1, 1, 3, 4], values) };
    const expected = runGraph(build(), feeds);
    const { outputs } = await runOnWasm(build(), feeds);
    const show = (a: ArrayLike<number | bigint>) => Array.from(a, (v) => String(v));
    expect(show(outputs.y!.data as Float32Array)).toEqual(show(expected.y!.data as Float32Array));
    expect(show(outputs.indices!.data as BigInt64Array)).toEqual(show(expected.indices!.data as BigInt64Array));
  });
});
