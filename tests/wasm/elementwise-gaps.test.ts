import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference, runOnWasm } from './harness.js';

const powGraph = (base: DType, exponent: DType, xShape: number[], yShape: number[]) => (): Graph => {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: base, shape: xShape });
  const y = b.input('y', { dtype: exponent, shape: yShape });
  b.output(b.op('Pow', [x, y], {}, 'z'));
  return b.build();
};

async function expectSame(build: () => Graph, feeds: Record<string, Tensor>, tolerance = 0): Promise<void> {
  expect(unsupportedByWasm(build())).toEqual([]);
  const expected = runGraph(build(), feeds);
  const { outputs } = await runOnWasm(build(), feeds);
  for (const [name, e] of Object.entries(expected)) {
    const a = outputs[name]!;
    expect(a.shape).toEqual(e.shape);
    for (let i = 0; i < e.data.length; i++) {
      const [x, y] = [Number(a.data[i]), Number(e.data[i])];
      if (Number.isNaN(y)) expect(x, `${name}[${i}]`).toBeNaN();
      else expect(Math.abs(x - y), `${name}[${i}]: ${x} vs ${y}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(y)));
    }
  }
}

describe('wasm Pow with an exponent of another dtype', () => {
  for (const exponent of ['i32', 'u32', 'i64', 'u64', 'i8', 'u16'] as DType[]) {
    it(`f32 ** ${exponent}, elementwise and broadcast, with a tail`, async () => {
      const signed = !exponent.startsWith('u');
      const ys = Array.from({ length: 11 }, (_, i) => (signed ? i - 4 : i));
      const xs = Array.from({ length: 11 }, (_, i) => (i - 5) * 0.75 + 0.1);
      const ys64 = exponent.endsWith('64') ? ys.map(BigInt) : ys;
      await expectSame(powGraph('f32', exponent, [11], [11]), { x: makeTensor('f32', [11], xs), y: makeTensor(exponent, [11], ys64 as number[]) }, 1e-5);
      await expectSame(powGraph('f32', exponent, [2, 11], [1]), { x: makeTensor('f32', [2, 11], [...xs, ...xs]), y: makeTensor(exponent, [1], (exponent.endsWith('64') ? [3n] : [3]) as number[]) }, 1e-5);
    });
  }

  for (const base of ['i32', 'i64'] as DType[]) {
    it(`${base} ** f32: integral exponents exactly, fractional ones truncated like the reference`, async () => {
      const xs = [1, 2, 3, -3, 4, 9, 16, 0, 7, -1, -2, 5, 100, 10, 8, 2];
      const ys = [1, 2, 3, 3, 0.5, 0.5, 0.25, 2, -1, -3, 5, 1.5, 0.5, 9, 1 / 3, 30];
      const xs64 = base === 'i64' ? xs.map(BigInt) : xs;
      await expectSame(powGraph(base, 'f32', [16], [16]), { x: makeTensor(base, [16], xs64 as number[]), y: makeTensor('f32', [16], ys) });
    });
  }
});

describe('wasm Dropout mask', () => {
  const dropoutGraph = (withRatio: boolean) => (): Graph => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [3, 7] });
    const ratio = withRatio ? b.constant('ratio', makeTensor('f32', [], [0.25])) : null;
    const [y, mask] = b.node('Dropout', [x, ratio, null], { seed: 0 }, { outputNames: ['y', 'mask'] });
    const z = b.op('Relu', [y!], {}, 'z');
    b.output(z, mask!);
    return b.build();
  };

  for (const withRatio of [false, true]) {
    it(`is all true and passes x through (${withRatio ? 'with' : 'without'} a ratio)`, async () => {
      const { artifact } = await expectWasmMatchesReference(dropoutGraph(withRatio), { tolerance: 0 });
      expect(artifact.io.outputs.map((o) => o.dtype)).toEqual(['f32', 'bool']);
      const feeds = { x: makeTensor('f32', [3, 7], Array.from({ length: 21 }, (_, i) => i - 10)) };
      const { outputs } = await runOnWasm(dropoutGraph(withRatio)(), feeds);
      expect(Array.from(outputs.mask!.data as Uint8Array)).toEqual(new Array(21).fill(1));
    });
  }
});
