import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Attributes, type DType, type Graph, type Tensor, type TensorType } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { runGraph } from '../../targets/reference/index.js';
import { compileWasm, unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference, runOnWasm } from './harness.js';

/** A one-node graph: runtime inputs `xs`, then constant operands (null = omitted optional operand). */
function oneOp(op: string, xs: TensorType[], consts: (Tensor | null)[] = [], attrs: Attributes = {}, outputs = 1): () => Graph {
  return () => {
    const b = new GraphBuilder('g');
    const ins = xs.map((t, i) => b.input(`x${i}`, t));
    const cs = consts.map((t, i) => (t ? b.constant(`c${i}`, t) : null));
    const outs = b.node(op, [...ins, ...cs], attrs, { outputNames: Array.from({ length: outputs }, (_, i) => `y${i}`) });
    b.output(...outs);
    return b.build();
  };
}

const i64 = (values: number[]) => makeTensor('i64', [values.length], values);
const t = (dtype: DType, ...shape: number[]): TensorType => ({ dtype, shape });
const exact = { tolerance: 0 };

/** Reference vs wasm with given feeds, compared element by element (bigint-exact for i64). */
async function expectSameWithFeeds(build: () => Graph, feeds: Record<string, Tensor>): Promise<void> {
  const expected = runGraph(build(), feeds);
  const { outputs } = await runOnWasm(build(), feeds);
  for (const [name, e] of Object.entries(expected)) {
    expect(outputs[name]!.shape).toEqual(e.shape);
    expect(Array.from(outputs[name]!.data as ArrayLike<unknown>)).toEqual(Array.from(e.data as ArrayLike<unknown>));
  }
}

function compileError(build: () => Graph): string {
  const g = build();
  runPipeline(g, 'plan-memory', PASSES);
  try {
    compileWasm(g);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('wasm Transpose', () => {
  const cases: [number[], number[] | undefined][] = [
    [[3, 5], [1, 0]],
    [[8, 12], [1, 0]],
    [[7, 9], [1, 0]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [0, 2, 1]],
    [[2, 3, 4], [1, 0, 2]],
    [[2, 3, 4], undefined],
    [[2, 5, 6, 7], [0, 2, 3, 1]],
    [[2, 6, 5, 8], [0, 3, 1, 2]],
    [[1, 16, 16, 4], [0, 3, 1, 2]],
    [[2, 1, 3, 2, 2, 3], [5, 3, 1, 0, 4, 2]],
    [[2, 3, 4, 5, 2, 3], [1, 0, 3, 2, 5, 4]],
    [[1, 64, 56, 56], [0, 2, 3, 1]],
    [[1, 56, 56, 64], [0, 3, 1, 2]],
  ];
  for (const [shape, perm] of cases) {
    it(`f32 [${shape}] perm ${perm ? `[${perm}]` : 'reversed'}`, async () => {
      await expectWasmMatchesReference(oneOp('Transpose', [t('f32', ...shape)], [], perm ? { perm } : {}), exact);
    });
  }
  for (const dtype of ['i64', 'i32', 'u8', 'bool', 'f64', 'i16'] as DType[]) {
    it(`${dtype} [3,8,5] perm [2,0,1] and [5,6] perm [1,0]`, async () => {
      await expectWasmMatchesReference(oneOp('Transpose', [t(dtype, 3, 8, 5)], [], { perm: [2, 0, 1] }), exact);
      await expectWasmMatchesReference(oneOp('Transpose', [t(dtype, 5, 6)], [], { perm: [1, 0] }), exact);
    });
  }
  it('shares one function between equal transposes', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', t('f32', 4, 6));
      const y = b.op('Transpose', [x], { perm: [1, 0] });
      const z = b.op('Transpose', [y], { perm: [1, 0] });
      const w = b.op('Transpose', [z], { perm: [1, 0] });
      b.output(w);
      return b.build();
    };
    const { artifact } = await expectWasmMatchesReference(build, exact);
    expect(artifact.functions).toBe(2); // [4,6]->[6,4] and [6,4]->[4,6]
  });
});

describe('wasm Concat and Split', () => {
  for (const dtype of ['f32', 'i64', 'u8'] as DType[]) {
    it(`${dtype} concat along axes 0, 1, -1`, async () => {
      await expectWasmMatchesReference(oneOp('Concat', [t(dtype, 2, 3), t(dtype, 4, 3)], [], { axis: 0 }), exact);
      await expectWasmMatchesReference(oneOp('Concat', [t(dtype, 2, 3, 4), t(dtype, 2, 1, 4), t(dtype, 2, 5, 4)], [], { axis: 1 }), exact);
      await expectWasmMatchesReference(oneOp('Concat', [t(dtype, 2, 3, 4), t(dtype, 2, 3, 7)], [], { axis: -1 }), exact);
    });
  }
  it('concat with a constant operand and an empty one', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', t('i32', 2, 3));
      const c = b.constant('c', makeTensor('i32', [2, 2], [7, 8, 9, 10]));
      const e = b.constant('e', makeTensor('i32', [2, 0], []));
      b.output(b.op('Concat', [x, e, c], { axis: 1 }));
      return b.build();
    };
    await expectWasmMatchesReference(build, exact);
  });
  it('split by constant sizes, num_outputs and equal parts', async () => {
    await expectWasmMatchesReference(oneOp('Split', [t('f32', 2, 10, 3)], [i64([2, 5, 3])], { axis: 1 }, 3), exact);
    await expectWasmMatchesReference(oneOp('Split', [t('i64', 7, 4)], [null], { axis: 0, num_outputs: 3 }, 3), exact);
    await expectWasmMatchesReference(oneOp('Split', [t('bool', 3, 8)], [null], { axis: -1 }, 4), exact);
  });
});

describe('wasm Slice', () => {
  const cases: [string, number[], number[], number[], number[] | null, number[] | null][] = [
    ['simple', [5, 6], [1, 2], [4, 5], null, null],
    ['negative starts/ends, clamped ends', [5, 6], [-3, -10], [1000, -1], null, null],
    ['steps 2 on one axis', [4, 10, 3], [1], [9], [1], [2]],
    ['negative step', [6, 7], [-1, 5], [-1000, 0], [0, 1], [-1, -2]],
    ['reverse last axis', [3, 4, 9], [-1], [-1000], [-1], [-1]],
    ['axes subset, negative axis', [3, 4, 5, 6], [1, 0], [3, 4], [-1, 1], [1, 1]],
    ['empty result', [3, 4], [2], [1], [1], null],
  ];
  for (const [name, shape, starts, ends, axes, steps] of cases) {
    for (const dtype of ['f32', 'i64', 'u8'] as DType[]) {
      it(`${name} (${dtype})`, async () => {
        const consts = [i64(starts), i64(ends), axes ? i64(axes) : null, steps ? i64(steps) : null];
        await expectWasmMatchesReference(oneOp('Slice', [t(dtype, ...shape)], consts), exact);
      });
    }
  }
  it('rejects run-time starts with a reason', () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', t('f32', 4));
      const s = b.input('s', t('i64', 1));
      b.output(b.op('Slice', [x, s, b.constant('e', i64([3]))]));
      return b.build();
    };
    expect(unsupportedByWasm(build()).map((p) => p.reason)).toEqual(['Slice needs a constant starts operand, but %s is computed at run time']);
  });
});

describe('wasm Gather and GatherElements', () => {
  it('constant indices: affine runs, negatives, scalars, any axis', async () => {
    await expectWasmMatchesReference(oneOp('Gather', [t('f32', 5, 4)], [i64([0, 1, 2, -1])], { axis: 0 }), exact);
    await expectWasmMatchesReference(oneOp('Gather', [t('i64', 3, 6, 2)], [makeTensor('i64', [2, 2], [5, 3, 1, -6])], { axis: 1 }), exact);
    await expectWasmMatchesReference(oneOp('Gather', [t('u8', 3, 6)], [makeTensor('i64', [], [2])], { axis: -1 }), exact);
    await expectWasmMatchesReference(oneOp('Gather', [t('bool', 4, 5)], [makeTensor('i32', [3], [3, 3, 3])], { axis: 0 }), exact);
  });
  it('many scattered constant indices use the index loop', async () => {
    const idx = [7, 2, 9, 0, 4, 4, 1, 8, 3, 6, 5, -1, -10];
    await expectWasmMatchesReference(oneOp('Gather', [t('f32', 10, 3)], [makeTensor('i64', [idx.length], idx)], { axis: 0 }), exact);
    await expectWasmMatchesReference(oneOp('Gather', [t('i32', 2, 10, 40)], [makeTensor('i32', [idx.length], idx)], { axis: 1 }), exact);
  });
  for (const idxType of ['i64', 'i32'] as DType[]) {
    it(`run-time ${idxType} indices (random, then negative)`, async () => {
      await expectWasmMatchesReference(oneOp('Gather', [t('f32', 10, 7), t(idxType, 3, 4)], [], { axis: 0 }), exact);
      await expectWasmMatchesReference(oneOp('Gather', [t('i64', 2, 10), t(idxType, 6)], [], { axis: 1 }), exact);
      await expectWasmMatchesReference(oneOp('Gather', [t('u8', 3, 12, 5), t(idxType, 2, 2)], [], { axis: -2 }), exact);
      const build = oneOp('Gather', [t('f32', 6, 3), t(idxType, 5)], [], { axis: 0 });
      await expectSameWithFeeds(build, {
        x0: makeTensor('f32', [6, 3], Array.from({ length: 18 }, (_, i) => i * 1.5)),
        x1: makeTensor(idxType, [5], [-1, -6, 0, 5, -3]),
      });
    });
  }
  it('traps on a run-time index out of range instead of reading outside the data', async () => {
    const build = oneOp('Gather', [t('f32', 4, 2), t('i64', 2)], [], { axis: 0 });
    const feeds = (v: number) => ({ x0: makeTensor('f32', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), x1: makeTensor('i64', [2], [0, v]) });
    await expect(runOnWasm(build(), feeds(4))).rejects.toThrow(/unreachable/);
    await expect(runOnWasm(build(), feeds(-5))).rejects.toThrow(/unreachable/);
    await expect(runOnWasm(build(), feeds(2 ** 32))).rejects.toThrow(/unreachable/);
    await expectSameWithFeeds(build, feeds(-4));
  });
  it('rejects constant indices out of range up front', () => {
    expect(compileError(oneOp('Gather', [t('f32', 4, 2)], [i64([0, 4])], { axis: 0 }))).toMatch(/Gather index 4 is out of range for a dim of 4/);
  });
  it('GatherElements with run-time and constant indices', async () => {
    await expectWasmMatchesReference(oneOp('GatherElements', [t('f32', 10, 3), t('i64', 4, 3)], [], { axis: 0 }), exact);
    await expectWasmMatchesReference(oneOp('GatherElements', [t('i64', 3, 10), t('i32', 2, 6)], [], { axis: 1 }), exact);
    await expectWasmMatchesReference(oneOp('GatherElements', [t('u8', 2, 3, 4)], [makeTensor('i64', [2, 2, 4], [0, 1, 2, -1, 2, 2, 0, 0, 1, 1, 1, 1, -3, 0, 2, 1])], { axis: 1 }), exact);
    const build = oneOp('GatherElements', [t('f32', 3, 4), t('i64', 3, 2)], [], { axis: -1 });
    await expectSameWithFeeds(build, {
      x0: makeTensor('f32', [3, 4], Array.from({ length: 12 }, (_, i) => i)),
      x1: makeTensor('i64', [3, 2], [-1, 0, 3, -4, 2, -2]),
    });
  });
});

describe('wasm Expand and Tile', () => {
  for (const dtype of ['f32', 'i64', 'u8', 'bool'] as DType[]) {
    it(`${dtype} expand`, async () => {
      await expectWasmMatchesReference(oneOp('Expand', [t(dtype, 3, 1)], [i64([2, 3, 20])]), exact);
      await expectWasmMatchesReference(oneOp('Expand', [t(dtype, 1)], [i64([37])]), exact);
      await expectWasmMatchesReference(oneOp('Expand', [t(dtype, 2, 1, 5)], [i64([2, 4, 1])]), exact);
      await expectWasmMatchesReference(oneOp('Expand', [t(dtype, 4, 1)], [i64([1, 1000])]), exact);
    });
    it(`${dtype} tile`, async () => {
      await expectWasmMatchesReference(oneOp('Tile', [t(dtype, 2, 3)], [i64([2, 3])]), exact);
      await expectWasmMatchesReference(oneOp('Tile', [t(dtype, 1, 3)], [i64([4, 1])]), exact);
      await expectWasmMatchesReference(oneOp('Tile', [t(dtype, 2, 1, 3)], [i64([1, 5, 2])]), exact);
    });
  }
});

describe('wasm Pad', () => {
  const cases: [string, number[], number[], number[] | null][] = [
    ['2-D both sides', [3, 4], [1, 2, 2, 1], null],
    ['NCHW spatial', [1, 2, 5, 6], [0, 0, 2, 1, 0, 0, 1, 3], null],
    ['cropping with negative pads', [4, 6], [-1, 2, 1, -2], null],
    ['axes operand', [2, 3, 4], [2, 1], [-1]],
    ['larger than the dim', [2, 3], [3, 5, 4, 7], null],
  ];
  for (const [name, shape, pads, axes] of cases) {
    for (const mode of ['constant', 'reflect', 'edge', 'wrap']) {
      for (const dtype of ['f32', 'i64', 'u8'] as DType[]) {
        it(`${name}, ${mode} (${dtype})`, async () => {
          const consts = [i64(pads), null, axes ? i64(axes) : null];
          await expectWasmMatchesReference(oneOp('Pad', [t(dtype, ...shape)], consts, { mode }), exact);
        });
      }
    }
  }
  it('constant value: non-zero constant and run-time scalar', async () => {
    await expectWasmMatchesReference(oneOp('Pad', [t('f32', 3, 5)], [i64([1, 2, 3, 4]), makeTensor('f32', [], [-2.5])]), exact);
    await expectWasmMatchesReference(oneOp('Pad', [t('i64', 3, 5)], [i64([1, 0, 0, 40]), makeTensor('i64', [], [-7])]), exact);
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', t('f32', 2, 3));
      const v = b.input('v', t('f32'));
      b.output(b.op('Pad', [x, b.constant('p', i64([1, 1, 1, 1])), v]));
      return b.build();
    };
    await expectWasmMatchesReference(build, exact);
  });
  it('rejects run-time pads with a reason', () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', t('f32', 2, 3));
      const p = b.input('p', t('i64', 4));
      const y = b.op('Pad', [x, p]);
      b.output(b.op('Reshape', [y, b.constant('s', i64([-1]))]));
      return b.build();
    };
    expect(unsupportedByWasm(build())[0]!.reason).toBe('Pad needs a constant pads operand, but %p is computed at run time');
  });
});

describe('wasm Shape, Size, ConstantOfShape, Range', () => {
  it('Shape and Size of static shapes', async () => {
    await expectWasmMatchesReference(oneOp('Shape', [t('f32', 2, 3, 5)]), exact);
    await expectWasmMatchesReference(oneOp('Shape', [t('u8', 2, 3, 5, 7)], [], { start: 1, end: -1 }), exact);
    await expectWasmMatchesReference(oneOp('Size', [t('i64', 4, 6)]), exact);
  });
  it('ConstantOfShape of zeros, a repeated pattern and a large fill', async () => {
    await expectWasmMatchesReference(oneOp('ConstantOfShape', [], [i64([2, 3])]), exact);
    await expectWasmMatchesReference(oneOp('ConstantOfShape', [], [i64([3, 7])], { value: makeTensor('f32', [1], [1.25]) }), exact);
    await expectWasmMatchesReference(oneOp('ConstantOfShape', [], [i64([100, 3])], { value: makeTensor('i64', [1], [-3]) }), exact);
    await expectWasmMatchesReference(oneOp('ConstantOfShape', [], [i64([33])], { value: makeTensor('u8', [1], [7]) }), exact);
  });
  it('Range with constant operands', async () => {
    const s = (dtype: DType, v: number) => makeTensor(dtype, [], [v]);
    await expectWasmMatchesReference(oneOp('Range', [], [s('f32', 1), s('f32', 4), s('f32', 0.5)]), exact);
    await expectWasmMatchesReference(oneOp('Range', [], [s('i64', 10), s('i64', -3), s('i64', -3)]), exact);
    await expectWasmMatchesReference(oneOp('Range', [], [s('i32', 0), s('i32', 100), s('i32', 1)]), exact);
  });
  it('rejects Range with run-time operands, naming the operand', () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const l = b.input('limit', t('i64'));
      const y = b.op('Range', [b.constant('s', makeTensor('i64', [], [0])), l, b.constant('d', makeTensor('i64', [], [1]))]);
      b.output(b.op('Shape', [y]));
      return b.build();
    };
    expect(unsupportedByWasm(build())[0]!.reason).toBe('Range needs a constant limit operand, but %limit is computed at run time');
  });
  it('names the run-time shape operand of Expand and Tile (the op schema says which operands decide the shape)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 3] });
    b.output(b.op('Expand', [x, b.input('shape', { dtype: 'i64', shape: [2] })], {}, 'e'));
    b.output(b.op('Tile', [x, b.input('repeats', { dtype: 'i64', shape: [2] })], {}, 't'));
    expect(unsupportedByWasm(b.build()).map((p) => p.reason)).toEqual([
      'Expand needs a constant shape operand, but %shape is computed at run time',
      'Tile needs a constant repeats operand, but %repeats is computed at run time',
    ]);
  });
});
