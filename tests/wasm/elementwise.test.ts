import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type DType, type Graph, type Value } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { collapseBroadcast } from '../../targets/wasm/kernels/elementwise/elementwise-loops.js';
import { compileWasm, unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference } from './harness.js';

const F32_TOLERANCE = 1e-6;

type Attrs = Record<string, number | string | number[]>;

/** A graph of one op over inputs of the given shapes (and dtype), plus optional constants appended as operands. */
function opGraph(op: string, shapes: number[][], options: { dtype?: DType; attrs?: Attrs; dtypes?: DType[]; constants?: { dtype: DType; shape: number[]; values: number[] }[] } = {}) {
  return (): Graph => {
    const b = new GraphBuilder('g');
    const inputs: (Value | null)[] = shapes.map((shape, i) => b.input(`x${i}`, { dtype: options.dtypes?.[i] ?? options.dtype ?? 'f32', shape }));
    (options.constants ?? []).forEach((c, i) => {
      const values = c.dtype === 'i64' || c.dtype === 'u64' ? c.values.map((v) => BigInt(v)) : c.values;
      inputs.push(b.constant(`c${i}`, makeTensor(c.dtype, c.shape, values)));
    });
    b.output(b.op(op, inputs, options.attrs ?? {}, 'y'));
    return b.build();
  };
}

const BROADCASTS: [number[], number[]][] = [
  [[2, 3, 4, 5], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [5]],
  [[2, 3, 4, 5], [3, 1, 1]],
  [[1, 3, 1, 5], [2, 1, 4, 1]],
  [[4, 1, 7], [4, 6, 1]],
  [[3, 1], [1, 6]],
  [[7], []],
  [[], []],
  [[1, 16, 8, 8], [1, 16, 1, 1]],
  [[2, 64], [1, 64]],
];

describe('collapseBroadcast', () => {
  it('merges axes with equal broadcast patterns and drops size-1 axes', () => {
    expect(collapseBroadcast([2, 3, 4, 5], [[2, 3, 4, 5], [3, 1, 1], [2, 3, 4, 5]])).toEqual({
      dims: [2, 3, 20],
      strides: [[60, 20, 1], [0, 1, 0], [60, 20, 1]],
    });
    expect(collapseBroadcast([1, 16, 8, 8], [[1, 16, 8, 8], [16, 8, 8]])).toEqual({ dims: [1024], strides: [[1], [1]] });
    expect(collapseBroadcast([], [[], [1]])).toEqual({ dims: [1], strides: [[1], [1]] });
    expect(collapseBroadcast([3, 6], [[3, 1], [1, 6], [3, 6]])).toEqual({ dims: [3, 6], strides: [[1, 0], [0, 1], [6, 1]] });
  });
});

describe('wasm elementwise f32 unary ops', () => {
  const cases: [string, Attrs?][] = [
    ['Abs'], ['Neg'], ['Reciprocal'], ['Floor'], ['Ceil'], ['Sqrt'], ['Exp'], ['Log'], ['Erf'], ['Tanh'], ['Sigmoid'], ['Relu'],
    ['LeakyRelu', { alpha: 0.2 }], ['HardSigmoid', { alpha: 0.3, beta: 0.4 }], ['HardSwish'], ['Gelu'], ['Gelu', { approximate: 'tanh' }],
  ];
  for (const [op, attrs] of cases) {
    for (const shape of [[2, 3, 5], [64], [3]]) {
      it(`${op}${attrs ? JSON.stringify(attrs) : ''} on [${shape}]`, async () => {
        await expectWasmMatchesReference(opGraph(op, [shape], { attrs }), { tolerance: F32_TOLERANCE });
      });
    }
  }
});

describe('wasm elementwise f32 binary ops with broadcasting', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const [a, b] of BROADCASTS) {
      it(`${op} [${a}] x [${b}]`, async () => {
        await expectWasmMatchesReference(opGraph(op, [a, b]), { tolerance: F32_TOLERANCE });
        await expectWasmMatchesReference(opGraph(op, [b, a]), { tolerance: F32_TOLERANCE });
      });
    }
  }

  for (const c of [2, 0.5, 1, 3, 0, -1, 1.7, -2]) {
    it(`Pow with the constant exponent ${c}`, async () => {
      await expectWasmMatchesReference(opGraph('Pow', [[3, 7]], { constants: [{ dtype: 'f32', shape: [], values: [c] }] }), { tolerance: F32_TOLERANCE });
    });
  }

  it('Pow with an integer-typed constant exponent and with runtime exponents (NaN for negative bases)', async () => {
    await expectWasmMatchesReference(opGraph('Pow', [[2, 9]], { constants: [{ dtype: 'i64', shape: [1], values: [3] }] }), { tolerance: F32_TOLERANCE });
    // negative bases with non-integer exponents give NaN on both sides; integer exponents keep their sign
    await expectWasmMatchesReference(opGraph('Pow', [[4, 9]], { constants: [{ dtype: 'f32', shape: [9], values: [2, 3, -1, 0.5, 1.5, -2, 4, 0, 2.5] }] }), {
      tolerance: F32_TOLERANCE,
    });
    await expectWasmMatchesReference(opGraph('Pow', [[4, 9], [9]]), { tolerance: F32_TOLERANCE });
  });

  for (const op of ['Sum', 'Mean', 'Min', 'Max']) {
    it(`${op} over 1, 2 and 3 broadcast operands`, async () => {
      await expectWasmMatchesReference(opGraph(op, [[3, 5]]), { tolerance: F32_TOLERANCE });
      await expectWasmMatchesReference(opGraph(op, [[2, 3, 5], [3, 1]]), { tolerance: F32_TOLERANCE });
      await expectWasmMatchesReference(opGraph(op, [[2, 3, 5], [3, 1], [5]]), { tolerance: F32_TOLERANCE });
    });
  }

  for (const op of ['Equal', 'Less', 'Greater']) {
    it(`${op} gives bools (f32 operands, broadcast)`, async () => {
      // Floor first so that Equal sees equal values too
      const build = (shapes: number[][]) => (): Graph => {
        const b = new GraphBuilder('g');
        const [x, y] = shapes.map((s, i) => b.op('Floor', [b.input(`x${i}`, { dtype: 'f32', shape: s })], {}, `f${i}`));
        b.output(b.op(op, [x!, y!], {}, 'y'));
        return b.build();
      };
      for (const shapes of [[[2, 3, 9], [2, 3, 9]], [[2, 3, 9], [9]], [[4, 1], [1, 3]], [[6], []]]) {
        await expectWasmMatchesReference(build(shapes), { tolerance: 0 });
      }
    });
  }

  it('Where with a broadcast bool condition', async () => {
    await expectWasmMatchesReference(opGraph('Where', [[2, 1, 5], [2, 4, 5], [5]], { dtypes: ['bool', 'f32', 'f32'] }), { tolerance: 0 });
    await expectWasmMatchesReference(opGraph('Where', [[2, 4, 6], [2, 4, 6], [2, 4, 6]], { dtypes: ['bool', 'f32', 'f32'] }), { tolerance: 0 });
    await expectWasmMatchesReference(opGraph('Where', [[], [3, 5], [1]], { dtypes: ['bool', 'f32', 'f32'] }), { tolerance: 0 });
  });

  it('PRelu with a per-channel slope', async () => {
    await expectWasmMatchesReference(opGraph('PRelu', [[2, 3, 4, 5], [3, 1, 1]]), { tolerance: F32_TOLERANCE });
    await expectWasmMatchesReference(opGraph('PRelu', [[2, 7], [7]]), { tolerance: F32_TOLERANCE });
  });

  it('Clip with constant, omitted and runtime bounds', async () => {
    const k = (v: number) => ({ dtype: 'f32' as DType, shape: [] as number[], values: [v] });
    await expectWasmMatchesReference(opGraph('Clip', [[3, 11]], { constants: [k(-0.5), k(0.75)] }), { tolerance: 0 });
    await expectWasmMatchesReference(opGraph('Clip', [[3, 11]], { constants: [k(0.5), k(-0.5)] }), { tolerance: 0 }); // lo > hi: all hi
    const omittedMin = (): Graph => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'f32', shape: [13] });
      b.output(b.op('Clip', [x, null, b.constant('hi', makeTensor('f32', [], [0.25]))], {}, 'y'));
      return b.build();
    };
    await expectWasmMatchesReference(omittedMin, { tolerance: 0 });
    await expectWasmMatchesReference(opGraph('Clip', [[2, 9], [], [1]]), { tolerance: 0 });
  });
});

describe('wasm elementwise integer, f64 and bool dtypes (scalar paths, exact)', () => {
  const signedDivisors = [3, -2, 0, 1, -1, 7, -5];
  for (const dtype of ['i32', 'i64', 'i8', 'u8', 'i16', 'u32', 'f64'] as DType[]) {
    const unsigned = dtype.startsWith('u');
    // f64 x / 0 is ±inf, which the harness's difference measure cannot compare
    const divisors = unsigned ? [3, 2, 0, 1, 4, 7, 5] : dtype === 'f64' ? [3, -2, 0.5, 1, -1, 7, -5] : signedDivisors;
    const tolerance = dtype === 'f64' ? 1e-12 : 0;
    it(`${dtype}: Add Sub Mul Div (truncating, x/0 = 0) with broadcasting`, async () => {
      for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
        await expectWasmMatchesReference(opGraph(op, [[2, 3, 7]], { dtype, constants: [{ dtype, shape: [7], values: divisors }] }), { tolerance });
        await expectWasmMatchesReference(opGraph(op, [[2, 3, 7], [3, 1]], { dtype }), { tolerance });
      }
    });
    it(`${dtype}: Min Max Sum, comparisons, Where`, async () => {
      for (const op of ['Min', 'Max', 'Sum']) await expectWasmMatchesReference(opGraph(op, [[4, 5], [5], [4, 1]], { dtype }), { tolerance });
      for (const op of ['Equal', 'Less', 'Greater']) await expectWasmMatchesReference(opGraph(op, [[4, 5], [5]], { dtype }), { tolerance: 0 });
      await expectWasmMatchesReference(opGraph('Where', [[4, 1], [4, 5], [5]], { dtypes: ['bool', dtype, dtype] }), { tolerance });
    });
    if (!unsigned) {
      it(`${dtype}: Abs Neg Relu of negative values, Clip, PRelu`, async () => {
        const negate = (op: string) => (): Graph => {
          const b = new GraphBuilder('g');
          const x = b.input('x', { dtype, shape: [3, 5] });
          const shifted = b.op('Sub', [x, b.constant('five', makeTensor(dtype, [], dtype === 'i64' ? [5n] : [5]))], {}, 's');
          b.output(b.op(op, [shifted], {}, 'y'));
          return b.build();
        };
        for (const op of ['Abs', 'Neg', 'Relu']) await expectWasmMatchesReference(negate(op), { tolerance });
        const k = (v: number) => ({ dtype, shape: [] as number[], values: [v] });
        await expectWasmMatchesReference(opGraph('Clip', [[3, 5]], { dtype, constants: [k(2), k(6)] }), { tolerance });
        await expectWasmMatchesReference(opGraph('PRelu', [[3, 5]], { dtype, constants: [{ dtype, shape: [5], values: [1, 2, -3, 0, 1] }] }), { tolerance });
      });
    }
  }

  it('integer Pow by squaring, negative exponents as the reference truncates them', async () => {
    await expectWasmMatchesReference(opGraph('Pow', [[2, 6]], { dtype: 'i32', constants: [{ dtype: 'i32', shape: [6], values: [0, 1, 2, 3, 5, -1] }] }), { tolerance: 0 });
    await expectWasmMatchesReference(opGraph('Pow', [[2, 4], [4]], { dtype: 'i64' }), { tolerance: 0 });
  });

  it('Equal and Where on bools', async () => {
    await expectWasmMatchesReference(opGraph('Equal', [[3, 4], [4]], { dtype: 'bool' }), { tolerance: 0 });
    await expectWasmMatchesReference(opGraph('Where', [[3, 4], [3, 4], [4]], { dtype: 'bool' }), { tolerance: 0 });
  });

  it('f64 unary float ops and Mean', async () => {
    for (const op of ['Reciprocal', 'Floor', 'Ceil', 'Abs', 'Neg', 'Relu', 'HardSwish']) {
      await expectWasmMatchesReference(opGraph(op, [[3, 5]], { dtype: 'f64' }), { tolerance: 1e-12 });
    }
    await expectWasmMatchesReference(opGraph('Mean', [[3, 5], [5]], { dtype: 'f64' }), { tolerance: 1e-12 });
  });
});

describe('wasm elementwise in place and fused', () => {
  /** x -> Exp -> Mul(., w) -> Add(., x2) -> Sigmoid -> Neg, with a broadcast w: plan-memory chains results in place. */
  function chain(): Graph {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 8, 6, 5] });
    const w = b.input('w', { dtype: 'f32', shape: [8, 1, 1] });
    const e = b.op('Exp', [x], {}, 'e');
    const m = b.op('Mul', [e, w], {}, 'm');
    const a = b.op('Add', [m, m], {}, 'a');
    const s = b.op('Sigmoid', [a], {}, 's');
    b.output(b.op('Neg', [s], {}, 'y'));
    return b.build();
  }

  it('computes chains whose results are placed over their operands', async () => {
    const g = chain();
    runPipeline(g, 'plan-memory', PASSES);
    const offsets = g.nodes.map((n) => n.outputs[0]!.arenaOffset);
    // e, m, a, s share one buffer (each writes over its dying operand)
    expect(new Set(offsets.slice(0, 4)).size).toBe(1);
    await expectWasmMatchesReference(chain, { tolerance: F32_TOLERANCE });
  });

  it('integer ops in place', async () => {
    const build = (): Graph => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'i32', shape: [3, 7] });
      const y = b.input('y', { dtype: 'i32', shape: [7] });
      const s = b.op('Add', [x, y], {}, 's');
      const d = b.op('Div', [s, y], {}, 'd');
      b.output(b.op('Mul', [d, d], {}, 'z'));
      return b.build();
    };
    await expectWasmMatchesReference(build, { tolerance: 0 });
  });

  /** Expressions as fuse-elementwise makes them: swish, GELU-by-hand with broadcast bias, a clip/hard-sigmoid mix. */
  const fusedCases: [string, () => Graph][] = [
    [
      'bias + GELU (erf form) with a broadcast bias',
      () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: 'f32', shape: [2, 5, 12] });
        const bias = b.constant('bias', makeTensor('f32', [12], Array.from({ length: 12 }, (_, i) => (i - 6) / 4)));
        const h = b.op('Add', [x, bias], {}, 'h');
        const k = (name: string, v: number) => b.constant(name, makeTensor('f32', [], [v]));
        const erf = b.op('Erf', [b.op('Div', [h, k('sqrt2', Math.SQRT2)], {}, 'hs')], {}, 'erf');
        const gate = b.op('Mul', [b.op('Add', [erf, k('one', 1)], {}, 'g1'), k('half', 0.5)], {}, 'g2');
        b.output(b.op('Mul', [h, gate], {}, 'y'));
        return b.build();
      },
    ],
    [
      'swish, tanh, pow and sqrt of two operands',
      () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: 'f32', shape: [3, 17] });
        const z = b.input('z', { dtype: 'f32', shape: [17] });
        const sw = b.op('Mul', [x, b.op('Sigmoid', [x], {}, 'sg')], {}, 'sw');
        const t = b.op('Tanh', [b.op('Sub', [sw, z], {}, 'd')], {}, 't');
        const p = b.op('Pow', [b.op('Abs', [z], {}, 'az'), b.constant('two', makeTensor('f32', [], [2]))], {}, 'p');
        const q = b.op('Sqrt', [b.op('Add', [p, b.constant('eps', makeTensor('f32', [], [1e-3]))], {}, 'pe')], {}, 'q');
        b.output(b.op('Div', [t, q], {}, 'y'));
        return b.build();
      },
    ],
    [
      'clip, hard sigmoid, leaky relu, exp/log, max/min',
      () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: 'f32', shape: [4, 3, 3] });
        const y = b.input('y', { dtype: 'f32', shape: [4, 1, 3] });
        const k = (name: string, v: number) => b.constant(name, makeTensor('f32', [], [v]));
        const c = b.op('Clip', [x, k('lo', -0.5), k('hi', 0.8)], {}, 'c');
        const hs = b.op('HardSigmoid', [y], { alpha: 0.25, beta: 0.5 }, 'hs');
        const lr = b.op('LeakyRelu', [b.op('Sub', [c, hs], {}, 's')], { alpha: 0.1 }, 'lr');
        const l = b.op('Log', [b.op('Add', [b.op('Exp', [lr], {}, 'e'), k('one', 1)], {}, 'e1')], {}, 'l');
        const mx = b.op('Max', [l, b.op('Relu', [y], {}, 'ry')], {}, 'mx');
        b.output(b.op('Min', [mx, b.op('HardSwish', [x], {}, 'hw')], {}, 'out'));
        return b.build();
      },
    ],
  ];
  for (const [name, build] of fusedCases) {
    it(`FusedElementwise from fuse-elementwise: ${name}`, async () => {
      const g = build();
      runPipeline(g, 'fuse-elementwise,plan-memory', PASSES);
      const fused = g.nodes.filter((n) => n.op === 'FusedElementwise');
      expect(fused.length).toBeGreaterThan(0);
      expect(fused.some((n) => String(n.attrs.expression).length > 20)).toBe(true);
      await expectWasmMatchesReference(build, { pipeline: 'fuse-elementwise,plan-memory', tolerance: F32_TOLERANCE });
    });
  }
});

describe('wasm elementwise code sharing and unsupported cases', () => {
  it('identical nodes share one function', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [4, 8] });
    const y = b.input('y', { dtype: 'f32', shape: [8] });
    const a1 = b.op('Add', [x, y], {}, 'a1');
    const a2 = b.op('Add', [a1, y], {}, 'a2');
    b.output(b.op('Add', [a2, y], {}, 'a3'));
    const g = b.build();
    runPipeline(g, 'plan-memory', PASSES);
    expect(compileWasm(g).functions).toBe(1);
  });

  it('check() gives reasons for what it cannot compile', () => {
    const b = new GraphBuilder('g');
    const i = b.input('i', { dtype: 'i32', shape: [4] });
    const d = b.input('d', { dtype: 'f64', shape: [4] });
    b.output(b.op('Tanh', [d], {}, 'e'));
    b.output(b.op('Pow', [d, d], {}, 'p'));
    b.output(b.op('Abs', [i], {}, 'ok'));
    const g = b.build();
    runPipeline(g, 'plan-memory', PASSES);
    const reasons = unsupportedByWasm(g).map((p) => `${p.node.op}: ${p.reason}`);
    expect(reasons).toEqual([
      'Tanh: Tanh on f64 is not supported (f32; of these f64 has Exp and Log)',
      'Pow: Pow on f64 supports only the constant exponents 0, 1, 2, 3 and -1',
    ]);
  });
});
