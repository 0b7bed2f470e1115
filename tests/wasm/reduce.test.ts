import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference, relativeError, runOnWasm } from './harness.js';

function reduceGraph(op: string, dtype: DType, shape: number[], axes: number[] | null, attrs: Record<string, number> = {}): () => Graph {
  return () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype, shape });
    const a = axes ? b.constant('axes', makeTensor('i64', [axes.length], axes)) : null;
    b.output(b.op(op, [x, a], attrs, 'y'));
    return b.build();
  };
}

function argGraph(op: string, dtype: DType, shape: number[], attrs: Record<string, number>): () => Graph {
  return () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype, shape });
    b.output(b.op(op, [x], attrs, 'y'));
    return b.build();
  };
}

const FLOAT_OPS = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare'];

/** Shapes and axes covering contiguous rows (with tails), strided columns (with tails), split groups, all axes. */
const CASES: [number[], number[] | null][] = [
  [[3, 37], [1]],
  [[2, 5, 7], [2]],
  [[2, 5, 7], [1]],
  [[2, 6, 19], [0, 2]],
  [[4, 3, 2, 5], [1, 3]],
  [[3, 1, 10], [-1]],
  [[2, 3, 4, 5], [0]],
  [[2, 3, 4, 5], [2, 3]],
  [[5, 9], null],
  [[1, 64, 7, 7], [2, 3]],
  [[2, 33, 3], [1]],
];

describe('wasm reductions', () => {
  for (const op of FLOAT_OPS) {
    it(`${op} f32 over many shapes and axes, keepdims on and off`, async () => {
      for (const [shape, axes] of CASES) {
        for (const keepdims of [1, 0]) await expectWasmMatchesReference(reduceGraph(op, 'f32', shape, axes, { keepdims }));
      }
    });
  }

  it('ReduceLogSum f32 of positive data (sum of squares via ReduceSumSquare then LogSum)', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'f32', shape: [3, 4, 9] });
      const axes = b.constant('axes', makeTensor('i64', [1], [2]));
      const s = b.op('ReduceSumSquare', [x, axes], { keepdims: 1 }, 's');
      const axes2 = b.constant('axes2', makeTensor('i64', [1], [1]));
      b.output(b.op('ReduceLogSum', [s, axes2], { keepdims: 0 }, 'y'));
      return b.build();
    };
    await expectWasmMatchesReference(build);
  });

  it('sums long rows and long columns accurately (blocked summation)', async () => {
    for (const [shape, axes] of [
      [[2, 20000], [1]],
      [[3000, 9], [0]],
      [[1, 512, 7, 7], [2, 3]],
    ] as [number[], number[]][]) {
      const { error } = await expectWasmMatchesReference(reduceGraph('ReduceSum', 'f32', shape, axes, { keepdims: 1 }), { tolerance: 2e-6 });
      expect(error).toBeLessThan(2e-6);
      await expectWasmMatchesReference(reduceGraph('ReduceMean', 'f32', shape, axes, { keepdims: 0 }), { tolerance: 2e-6 });
    }
  });

  it('noop_with_empty_axes copies the input; empty axes otherwise reduce everything', async () => {
    await expectWasmMatchesReference(reduceGraph('ReduceSum', 'f32', [3, 5], [], { noop_with_empty_axes: 1 }), { tolerance: 0 });
    await expectWasmMatchesReference(reduceGraph('ReduceMax', 'f32', [3, 5], [], { keepdims: 0 }), { tolerance: 0 });
  });

  for (const dtype of ['i32', 'i64'] as const) {
    it(`integer reductions on ${dtype} are exact`, async () => {
      for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceL1', 'ReduceSumSquare']) {
        for (const [shape, axes] of [
          [[3, 7], [1]],
          [[4, 3, 5], [0, 2]],
          [[2, 6], null],
        ] as [number[], number[] | null][]) {
          await expectWasmMatchesReference(reduceGraph(op, dtype, shape, axes, { keepdims: 0 }), { tolerance: 0 });
        }
      }
      await expectWasmMatchesReference(reduceGraph('ReduceProd', dtype, [3, 4], [1]), { tolerance: 0 });
    });
  }

  it('f64 reductions of every kind (scalar, folding in input order like the reference) over many shapes and axes', async () => {
    for (const op of [...FLOAT_OPS, 'ReduceLogSum']) {
      for (const [shape, axes] of CASES) {
        // LogSum of random data (signed) is NaN where the sum is negative, on both sides.
        await expectWasmMatchesReference(reduceGraph(op, 'f64', shape, axes, { keepdims: 0 }), { tolerance: 1e-14 });
      }
    }
  });

  it('f64 LogSumExp of rows that are all -inf is -inf, and large values do not overflow', async () => {
    const x = makeTensor('f64', [3, 4], [-Infinity, -Infinity, -Infinity, -Infinity, 700, 710, 705, -3, 1, 2, 3, NaN]);
    const build = reduceGraph('ReduceLogSumExp', 'f64', [3, 4], [1], { keepdims: 0 });
    const expected = runGraph(build(), { x });
    const { outputs } = await runOnWasm(build(), { x });
    expect(Number(outputs.y!.data[0])).toBe(-Infinity);
    expect(Number(outputs.y!.data[1])).toBeCloseTo(710 + Math.log1p(Math.exp(-5) + Math.exp(-10) + Math.exp(-713)), 10);
    expect(Number.isNaN(Number(outputs.y!.data[2]))).toBe(true);
    expect(Number(outputs.y!.data[1])).toBeCloseTo(Number(expected.y!.data[1]), 12);
  });

  for (const op of ['ReduceMax', 'ReduceMin']) {
    it(`${op} on bool (any / all) is exact`, async () => {
      const x = makeTensor('bool', [3, 2, 4], [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]);
      for (const axes of [[1, 2], [0], [2], null]) {
        for (const keepdims of [1, 0]) {
          const build = reduceGraph(op, 'bool', [3, 2, 4], axes, { keepdims });
          const expected = runGraph(build(), { x });
          const { outputs } = await runOnWasm(build(), { x });
          expect(outputs.y!.dtype).toBe('bool');
          expect(Array.from(outputs.y!.data as Uint8Array)).toEqual(Array.from(expected.y!.data as Uint8Array));
        }
      }
    });
  }

  it('check() rejects non-constant axes and unsupported dtypes with reasons', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 3] });
    const axes = b.input('axes', { dtype: 'i64', shape: [1] });
    b.output(b.op('ReduceSum', [x, axes], {}, 'y'));
    const u = b.input('u', { dtype: 'u8', shape: [4] });
    b.output(b.op('ReduceMax', [u, null], {}, 'z'));
    const i = b.input('i', { dtype: 'i32', shape: [4] });
    b.output(b.op('ReduceL2', [i, null], {}, 'w'));
    const reasons = unsupportedByWasm(b.build()).map((p) => `${p.node.op}: ${p.reason}`);
    expect(reasons).toEqual([
      'ReduceSum: the axes operand must be a constant',
      expect.stringMatching(/^ReduceMax: ReduceMax on u8 is not supported/),
      'ReduceL2: ReduceL2 on i32 is not supported (only f32, f64)',
    ]);
  });
});

describe('wasm ArgMax / ArgMin', () => {
  const shapes: [number[], number[]][] = [
    [[3, 10], [0, 1, -1]],
    [[2, 5, 9], [0, 1, 2]],
    [[2, 7, 4], [1]],
    [[1, 1000], [1]],
  ];
  for (const op of ['ArgMax', 'ArgMin']) {
    for (const dtype of ['f32', 'i32', 'i64'] as const) {
      it(`${op} ${dtype}: every axis, keepdims, select_last_index (ties in integer data)`, async () => {
        for (const [shape, axes] of shapes) {
          for (const axis of axes) {
            for (const select_last_index of [0, 1]) {
              for (const keepdims of [1, 0]) {
                await expectWasmMatchesReference(argGraph(op, dtype, shape, { axis, keepdims, select_last_index }), { tolerance: 0 });
              }
            }
          }
        }
      });
    }
  }

  it('f32 ties keep the first index, or the last with select_last_index (vector and scalar paths)', async () => {
    // Few distinct values: many ties along the axis, in vector columns (inner 8) and in the scalar tail (inner 2).
    for (const shape of [[2, 6, 8], [3, 9, 2]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, i) => ((i * 7) % 5) - 2);
      const x: Tensor = makeTensor('f32', shape, values);
      for (const op of ['ArgMax', 'ArgMin']) {
        for (const select_last_index of [0, 1]) {
          const build = argGraph(op, 'f32', shape, { axis: 1, select_last_index });
          const expected = runGraph(build(), { x });
          const { outputs } = await runOnWasm(build(), { x });
          expect(relativeError(outputs, expected)).toBe(0);
        }
      }
    }
  });
});
