import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Attributes, type Graph } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference } from './harness.js';

/** Deterministic, varied constants (positive where variances need to be). */
function values(n: number, scale: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => offset + scale * Math.sin(1.7 * i + 0.3));
}

describe('wasm Softmax / LogSoftmax', () => {
  const cases: [number[], number][] = [
    [[3, 10], -1],
    [[2, 1000], 1],
    [[4, 7], 1],
    [[2, 3, 5], 1],
    [[2, 3, 5], 0],
    [[2, 6, 9], 1],
    [[1, 12, 3], -2],
    [[5], 0],
    [[2, 3, 2], 2],
    [[1, 4, 300], 1],
  ];
  for (const op of ['Softmax', 'LogSoftmax']) {
    it(`${op} along every kind of axis (rows, columns, tails)`, async () => {
      for (const [shape, axis] of cases) {
        await expectWasmMatchesReference(() => {
          const b = new GraphBuilder('g');
          const x = b.input('x', { dtype: 'f32', shape });
          b.output(b.op(op, [x], { axis }, 'y'));
          return b.build();
        });
      }
    });

    it(`${op} is stable for large inputs (max-subtract)`, async () => {
      await expectWasmMatchesReference(() => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: 'f32', shape: [3, 17] });
        const big = b.constant('big', makeTensor('f32', [1], [500]));
        b.output(b.op(op, [b.op('Mul', [x, big], {}, 'xs')], { axis: 1 }, 'y'));
        return b.build();
      });
    });
  }
});

function batchNormGraph(shape: number[], constantParams: boolean, epsilon = 1e-5): () => Graph {
  return () => {
    const c = shape[1]!;
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape });
    const params = [
      ['scale', values(c, 0.5, 1)],
      ['B', values(c, 0.3)],
      ['mean', values(c, 0.2)],
      ['var', values(c, 0.4, 0.6)],
    ] as const;
    const operands = params.map(([name, v]) => (constantParams ? b.constant(name, makeTensor('f32', [c], v)) : b.op('Abs', [b.input(name, { dtype: 'f32', shape: [c] })], {}, `${name}_abs`)));
    b.output(b.op('BatchNormalization', [x, ...operands], { epsilon }, 'y'));
    return b.build();
  };
}

describe('wasm normalizations', () => {
  it('BatchNormalization (inference) with constant parameters, several shapes', async () => {
    for (const shape of [[1, 3, 5, 5], [2, 8, 7], [2, 5], [1, 16, 1, 13]]) await expectWasmMatchesReference(batchNormGraph(shape, true, 1e-3));
  });

  it('BatchNormalization with parameters computed at run time', async () => {
    await expectWasmMatchesReference(batchNormGraph([2, 4, 3, 5], false));
  });

  it('InstanceNormalization over planes with tails and long planes', async () => {
    for (const shape of [[2, 3, 5, 5], [1, 4, 37], [1, 2, 64, 64], [3, 2, 1, 3]]) {
      await expectWasmMatchesReference(() => {
        const c = shape[1]!;
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: 'f32', shape });
        const scale = b.constant('scale', makeTensor('f32', [c], values(c, 0.5, 1)));
        const bias = b.constant('B', makeTensor('f32', [c], values(c, 0.3)));
        b.output(b.op('InstanceNormalization', [x, scale, bias], { epsilon: 1e-4 }, 'y'));
        return b.build();
      });
    }
  });

  const layerNorm = (shape: number[], axis: number, opts: { bias?: boolean; stats?: 0 | 1 | 2; scaleShape?: number[]; scaleInput?: boolean } = {}) => () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape });
    const rank = shape.length;
    const a = axis < 0 ? axis + rank : axis;
    const normShape = opts.scaleShape ?? shape.slice(a);
    const n = normShape.reduce((p, d) => p * d, 1);
    const scale = opts.scaleInput ? b.input('scale', { dtype: 'f32', shape: normShape }) : b.constant('scale', makeTensor('f32', normShape, values(n, 0.5, 1)));
    const bias = opts.bias === false ? null : b.constant('B', makeTensor('f32', normShape, values(n, 0.3)));
    const outs = ['y', 'mean', 'inv'].slice(0, 1 + (opts.stats ?? 0));
    b.node('LayerNormalization', [x, scale, bias], { axis, epsilon: 1e-5 } as Attributes, { outputNames: outs }).forEach((v) => b.output(v));
    return b.build();
  };

  it('LayerNormalization over the last axis (transformer rows), tails, bias or not', async () => {
    for (const shape of [[2, 5, 64], [3, 768], [4, 7], [1, 3, 33]]) {
      await expectWasmMatchesReference(layerNorm(shape, -1));
      await expectWasmMatchesReference(layerNorm(shape, -1, { bias: false, scaleInput: true }));
    }
  });

  it('LayerNormalization over several axes, with broadcast Scale/B and Mean/InvStdDev outputs', async () => {
    await expectWasmMatchesReference(layerNorm([2, 3, 4, 5], 1));
    await expectWasmMatchesReference(layerNorm([2, 3, 4, 5], 2, { scaleShape: [1, 5] }));
    await expectWasmMatchesReference(layerNorm([2, 3, 4, 5], -2, { stats: 2 }));
    await expectWasmMatchesReference(layerNorm([6, 10], 1, { stats: 1 }));
    await expectWasmMatchesReference(layerNorm([2, 3, 4, 5], 0, { stats: 2, scaleShape: [4, 1] }));
  });

  it('long rows stay accurate (blocked sums)', async () => {
    const { error } = await expectWasmMatchesReference(layerNorm([2, 20000], -1), { tolerance: 2e-6 });
    expect(error).toBeLessThan(2e-6);
  });

  it('check() rejects non-f32 and non-constant broadcast Scale with reasons', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 3, 4] });
    const s = b.input('s', { dtype: 'f32', shape: [4] });
    b.node('LayerNormalization', [x, s, null], { axis: 1 }, { outputNames: ['y'] }).forEach((v) => b.output(v));
    const h = b.input('h', { dtype: 'f16', shape: [2, 4] });
    const hs = b.input('hs', { dtype: 'f16', shape: [4] });
    b.node('LayerNormalization', [h, hs, null], {}, { outputNames: ['z'] }).forEach((v) => b.output(v));
    expect(unsupportedByWasm(b.build()).map((p) => p.reason)).toEqual([
      '%s broadcasts to the normalized dims but is not a constant',
      'LayerNormalization with f16 operand %h is not supported (only f32)',
    ]);
  });
});
