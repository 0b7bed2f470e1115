import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Attributes, type DType, type Graph, type Tensor, type Value } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { runOnWasm } from './harness.js';

/** Seeded values: integers in [lo, hi], or floats in [lo, hi) with some exact .5 multiples of the scale. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  return {
    ints: (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1))),
    floats: (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + next() * (hi - lo)),
  };
}

/** Builds the graph twice, runs the reference and wasm on the same feeds and requires identical results. */
async function expectExact(build: () => Graph, feeds: Record<string, Tensor>): Promise<void> {
  expect(unsupportedByWasm(build()).map((p) => p.reason)).toEqual([]);
  const expected = runGraph(build(), feeds);
  const { outputs } = await runOnWasm(build(), feeds);
  for (const [name, e] of Object.entries(expected)) {
    const show = (t: Tensor) => Array.from(t.data as ArrayLike<number>, (v) => (Number.isNaN(v) ? 'NaN' : String(v)));
    expect(outputs[name]!.dtype).toBe(e.dtype);
    expect(show(outputs[name]!), name).toEqual(show(e));
  }
}

const R = random(7);

describe('wasm QuantizeLinear / DequantizeLinear', () => {
  const cases: { name: string; shape: number[]; scale: number[]; attrs: Attributes; out: DType }[] = [
    { name: 'per-tensor u8', shape: [3, 10], scale: [], attrs: {}, out: 'u8' },
    { name: 'per-tensor i8', shape: [37], scale: [1], attrs: {}, out: 'i8' },
    { name: 'per-axis 1 of rank 4', shape: [2, 3, 4, 5], scale: [3], attrs: { axis: 1 }, out: 'i8' },
    { name: 'per-axis -1', shape: [4, 6], scale: [6], attrs: { axis: -1 }, out: 'u16' },
    { name: 'blocked along axis 1', shape: [3, 7, 2], scale: [3, 3, 2], attrs: { axis: 1, block_size: 3 }, out: 'i16' },
    { name: 'blocked along axis 0', shape: [5, 4], scale: [2, 4], attrs: { axis: 0, block_size: 4 }, out: 'u8' },
  ];
  for (const c of cases) {
    it(`QuantizeLinear ${c.name}: round half to even, saturation, NaN and infinities exactly`, async () => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const sn = c.scale.reduce((a, b) => a * b, 1);
      const scales = R.floats(sn, 0.01, 0.2).map(Math.fround);
      const zps = R.ints(sn, c.out.startsWith('u') ? 0 : -5, 5).map((v) => (c.out.startsWith('u') ? v + 100 : v));
      const perTensor = c.scale.length === 0 || sn === 1;
      const xs = R.floats(n, -40, 40);
      // exact ties (k + 0.5) * scale, and specials
      xs[0] = 2.5 * scales[0]!;
      xs[1] = -3.5 * scales[0]!;
      xs[2] = NaN;
      xs[3] = Infinity;
      xs[4] = -1e9;
      const build = () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: 'f32', shape: c.shape });
        const s = b.constant('s', makeTensor('f32', c.scale, scales));
        const z = b.constant('z', makeTensor(c.out, c.scale, perTensor ? [zps[0]!] : zps));
        const q = b.op('QuantizeLinear', [x, s, z], c.attrs, 'q');
        const d = b.op('DequantizeLinear', [q, s, z], c.attrs, 'd');
        b.output(q, d);
        return b.build();
      };
      await expectExact(build, { x: makeTensor('f32', c.shape, xs) });
    });
  }

  it('QuantizeLinear with f16 scales (f16 division precision) and without a zero point; DequantizeLinear to f16', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'f32', shape: [4, 9] });
      const s = b.input('s', { dtype: 'f16', shape: [4] });
      const q = b.op('QuantizeLinear', [x, s, null], { axis: 0 }, 'q');
      const d = b.op('DequantizeLinear', [q, s, null], { axis: 0 }, 'd');
      b.output(q, d);
      return b.build();
    };
    await expectExact(build, { x: makeTensor('f32', [4, 9], R.floats(36, -30, 30)), s: makeTensor('f16', [4], [0.1, 0.3, 0.0137, 1.7]) });
  });

  it('DequantizeLinear of i32 (a quantized bias) with run-time scale and zero point', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'i32', shape: [11] });
      const s = b.input('s', { dtype: 'f32', shape: [] });
      const z = b.input('z', { dtype: 'i32', shape: [] });
      b.output(b.op('DequantizeLinear', [x, s, z], {}, 'd'));
      return b.build();
    };
    const xs = [0, 1, -1, 2147483647, -2147483648, 16777217, -16777219, 123456789, 5, 6, 7];
    await expectExact(build, { x: makeTensor('i32', [11], xs), s: makeTensor('f32', [], [0.00123]), z: makeTensor('i32', [], [-7]) });
  });

  it('DynamicQuantizeLinear: scale and zero point in float32 steps, all-zero and all-positive inputs', async () => {
    const build = (n: number) => () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'f32', shape: [n] });
      const [y, s, z] = b.node('DynamicQuantizeLinear', [x], {}, { outputNames: ['y', 'scale', 'zp'] });
      b.output(y!, s!, z!);
      return b.build();
    };
    await expectExact(build(23), { x: makeTensor('f32', [23], R.floats(23, -3, 7)) });
    await expectExact(build(5), { x: makeTensor('f32', [5], [0, 0, 0, 0, 0]) });
    await expectExact(build(6), { x: makeTensor('f32', [6], [1, 2.5, 3, 255, 1e-3, NaN]) });
  });
});

describe('wasm QLinearMatMul / MatMulInteger', () => {
  const shapes: [number[], number[]][] = [
    [[3, 5], [5, 4]],
    [[2, 3, 7], [7, 6]],
    [[2, 1, 3, 4], [3, 4, 5]],
    [[6], [6, 3]],
    [[2, 4, 5], [5]],
  ];
  for (const [aShape, bShape] of shapes) {
    for (const [ad, bd] of [['u8', 'u8'], ['i8', 'i8'], ['u8', 'i8']] as [DType, DType][]) {
      it(`[${aShape}] x [${bShape}] ${ad} x ${bd}: exact int32 sums, requantized as the reference`, async () => {
        const na = aShape.reduce((a, b) => a * b, 1);
        const nb = bShape.reduce((a, b) => a * b, 1);
        const ints = (d: DType, n: number) => (d === 'u8' ? R.ints(n, 0, 255) : R.ints(n, -128, 127));
        const feeds = { a: makeTensor(ad, aShape, ints(ad, na)), b: makeTensor(bd, bShape, ints(bd, nb)) };
        const m = aShape.length > 1 ? aShape[aShape.length - 2]! : 1;
        const n = bShape.length > 1 ? bShape[bShape.length - 1]! : 1;
        // Parameters drawn once: the graph is built twice.
        const [aScales, bScales, bZps, aZp] = [R.floats(m, 0.01, 0.05), R.floats(n, 0.01, 0.05), ints(bd, n), ints(ad, 1)];
        const qlinear = () => {
          const g = new GraphBuilder('g');
          const a = g.input('a', { dtype: ad, shape: aShape });
          const b = g.input('b', { dtype: bd, shape: bShape });
          const c = (name: string, dtype: DType, shape: number[], v: number[]): Value => g.constant(name, makeTensor(dtype, shape, v));
          // per-row A scale where A is a matrix, per-column B parameters where B is one
          const aS = aShape.length > 1 ? c('as', 'f32', [m, 1], aScales) : c('as', 'f32', [], [0.02]);
          const bS = bShape.length > 1 ? c('bs', 'f32', [n], bScales) : c('bs', 'f32', [], [0.03]);
          const bZ = bShape.length > 1 ? c('bz', bd, [n], bZps) : c('bz', bd, [], [bZps[0]!]);
          const y = g.op('QLinearMatMul', [a, aS, c('az', ad, [], aZp), b, bS, bZ, c('ys', 'f32', [], [0.37]), c('yz', 'u8', [], [128])], {}, 'y');
          g.output(y);
          return g.build();
        };
        await expectExact(qlinear, feeds);
        const integer = () => {
          const g = new GraphBuilder('g');
          const a = g.input('a', { dtype: ad, shape: aShape });
          const b = g.input('b', { dtype: bd, shape: bShape });
          const az = g.constant('az', makeTensor(ad, [], aZp));
          g.output(g.op('MatMulInteger', [a, b, az, null], {}, 'y'));
          return g.build();
        };
        await expectExact(integer, feeds);
      });
    }
  }

  it('QLinearMatMul with f16 scales and all parameters fed at run time', async () => {
    const build = () => {
      const g = new GraphBuilder('g');
      const inputs = (
        [
          ['a', 'i8', [2, 3, 4]],
          ['as', 'f16', []],
          ['az', 'i8', []],
          ['b', 'i8', [4, 5]],
          ['bs', 'f16', []],
          ['bz', 'i8', []],
          ['ys', 'f16', []],
          ['yz', 'i8', []],
        ] as [string, DType, number[]][]
      ).map(([name, dtype, shape]) => g.input(name, { dtype, shape }));
      g.output(g.op('QLinearMatMul', inputs, {}, 'y'));
      return g.build();
    };
    const feeds = {
      a: makeTensor('i8', [2, 3, 4], R.ints(24, -128, 127)),
      as: makeTensor('f16', [], [0.0123]),
      az: makeTensor('i8', [], [3]),
      b: makeTensor('i8', [4, 5], R.ints(20, -128, 127)),
      bs: makeTensor('f16', [], [0.047]),
      bz: makeTensor('i8', [], [-2]),
      ys: makeTensor('f16', [], [0.11]),
      yz: makeTensor('i8', [], [-1]),
    };
    await expectExact(build, feeds);
  });
});

describe('wasm QLinearConv / ConvInteger', () => {
  const cases: { x: number[]; w: number[]; attrs: Attributes }[] = [
    { x: [1, 2, 6, 7], w: [3, 2, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
    { x: [2, 4, 7, 5], w: [4, 2, 2, 3], attrs: { group: 2, strides: [2, 1], pads: [0, 1, 1, 0] } },
    { x: [1, 3, 9], w: [2, 3, 3], attrs: { dilations: [2], pads: [2, 1] } },
    { x: [1, 2, 4, 5, 4], w: [2, 2, 2, 3, 2], attrs: { pads: [1, 0, 1, 0, 1, 1], strides: [1, 2, 1] } },
    { x: [1, 3, 5, 5], w: [3, 1, 3, 3], attrs: { group: 3, auto_pad: 'SAME_UPPER' } },
  ];
  cases.forEach((c, i) => {
    it(`case ${i}: per-channel weight parameters, bias, exact as the reference`, async () => {
      const nx = c.x.reduce((a, b) => a * b, 1);
      const nw = c.w.reduce((a, b) => a * b, 1);
      const M = c.w[0]!;
      const feeds = { x: makeTensor('u8', c.x, R.ints(nx, 0, 255)) };
      const qlinear = () => {
        const g = new GraphBuilder('g');
        const x = g.input('x', { dtype: 'u8', shape: c.x });
        const k = (name: string, dtype: DType, shape: number[], v: number[]) => g.constant(name, makeTensor(dtype, shape, v));
        const R2 = random(100 + i);
        const inputs = [
          x,
          k('xs', 'f32', [], [0.02]),
          k('xz', 'u8', [], [120]),
          k('w', 'i8', c.w, R2.ints(nw, -128, 127)),
          k('ws', 'f32', [M], R2.floats(M, 0.001, 0.01)),
          k('wz', 'i8', [M], new Array<number>(M).fill(0)),
          k('ys', 'f32', [], [0.15]),
          k('yz', 'u8', [], [100]),
          k('bias', 'i32', [M], R2.ints(M, -5000, 5000)),
        ];
        g.output(g.op('QLinearConv', inputs, c.attrs, 'y'));
        return g.build();
      };
      await expectExact(qlinear, feeds);
      const integer = () => {
        const g = new GraphBuilder('g');
        const x = g.input('x', { dtype: 'u8', shape: c.x });
        const R2 = random(200 + i);
        const w = g.constant('w', makeTensor('u8', c.w, R2.ints(nw, 0, 255)));
        const xz = g.constant('xz', makeTensor('u8', [], [77]));
        const wz = g.constant('wz', makeTensor('u8', [M], R2.ints(M, 0, 255)));
        g.output(g.op('ConvInteger', [x, w, xz, wz], c.attrs, 'y'));
        return g.build();
      };
      await expectExact(integer, feeds);
    });
  });
});
