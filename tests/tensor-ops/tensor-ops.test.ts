import { describe, expect, it } from 'vitest';
import { EdgecError, makeTensor, type Tensor } from '../../ir/index.js';
import { c, fed, i64, inferOp, none, runOp, t, values } from './helpers.js';

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const f32 = (shape: number[], data?: number[]): Tensor => t('f32', shape, data ?? iota(shape.reduce((a, b) => a * b, 1)));
const BIG = [2n ** 62n + 1n, -(2n ** 60n) - 3n, 9007199254740993n, -1n];

function expectFail(fn: () => unknown, code: string, text: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecError);
    expect((e as EdgecError).code).toBe(code);
    expect((e as EdgecError).message).toMatch(text);
    return;
  }
  throw new Error('expected a failure');
}

describe('Reshape', () => {
  it('copies 0 dims and infers -1', () => {
    const { out, types } = runOp('Reshape', [fed(f32([2, 3, 4])), c(i64(0, -1))]);
    expect(out[0]!.shape).toEqual([2, 12]);
    expect(types[0]!.shape).toEqual([2, 12]);
    expect(values(out[0]!)).toEqual(iota(24));
  });
  it('with allowzero keeps a 0 dim', () => {
    const { out } = runOp('Reshape', [fed(f32([0, 3])), c(i64(3, 0))], { allowzero: 1 });
    expect(out[0]!.shape).toEqual([3, 0]);
  });
  it('infers -1 over a symbolic dim by cancelling it', () => {
    const [y] = inferOp('Reshape', [{ dtype: 'f32', shape: ['batch', 16, 64] }, i64(0, 16, 4, -1)]);
    expect(y!.shape).toEqual(['batch', 16, 4, 16]);
  });
  it('gives ? dims of the shape operand length when the shape is not constant', () => {
    const [y] = inferOp('Reshape', [{ dtype: 'f32', shape: [2, 3] }, { dtype: 'i64', shape: [3] }]);
    expect(y!.shape).toEqual(['?', '?', '?']);
    const { out } = runOp('Reshape', [fed(f32([2, 3])), fed(i64(3, 1, 2))]);
    expect(out[0]!.shape).toEqual([3, 1, 2]);
  });
  it('rejects element count mismatches and non-i64 shapes', () => {
    expectFail(() => inferOp('Reshape', [{ dtype: 'f32', shape: [2, 3] }, i64(4, 2)]), 'BAD_SHAPE', /6 elements/);
    expectFail(() => inferOp('Reshape', [{ dtype: 'f32', shape: [2, 3] }, t('f32', [2], [3, 2])]), 'TYPE_MISMATCH', /shape must be i64/);
    expectFail(() => inferOp('Reshape', [{ dtype: 'f32', shape: [2, 3] }, i64(-1, -1)]), 'BAD_SHAPE', /more than one -1/);
  });
  it('keeps int64 values exact', () => {
    const { out } = runOp('Reshape', [fed(t('i64', [4], BIG)), c(i64(2, 2))]);
    expect([...(out[0]!.data as BigInt64Array)]).toEqual(BIG);
  });
});

describe('Flatten and Transpose', () => {
  it('flattens at axis, including 0 and negative axes', () => {
    expect(runOp('Flatten', [fed(f32([2, 3, 4]))], { axis: 2 }).out[0]!.shape).toEqual([6, 4]);
    expect(runOp('Flatten', [fed(f32([2, 3, 4]))], { axis: 0 }).out[0]!.shape).toEqual([1, 24]);
    expect(runOp('Flatten', [fed(f32([2, 3, 4]))], { axis: -1 }).types[0]!.shape).toEqual([6, 4]);
    expect(inferOp('Flatten', [{ dtype: 'f32', shape: ['n', 3, 4] }])[0]!.shape).toEqual(['n', 12]);
  });
  it('transposes with perm and by default reverses', () => {
    const x = f32([2, 3]);
    expect(values(runOp('Transpose', [fed(x)]).out[0]!)).toEqual([0, 3, 1, 4, 2, 5]);
    const { out } = runOp('Transpose', [fed(f32([2, 3, 4]))], { perm: [1, 2, 0] });
    expect(out[0]!.shape).toEqual([3, 4, 2]);
    // out[i][j][k] = in[k][i][j] = k*12 + i*4 + j
    expect(values(out[0]!).slice(0, 4)).toEqual([0, 12, 1, 13]);
    expectFail(() => inferOp('Transpose', [{ dtype: 'f32', shape: [2, 3] }], { perm: [0, 0] }), 'BAD_SHAPE', /not a permutation/);
  });
  it('transposes int64 exactly', () => {
    const { out } = runOp('Transpose', [fed(t('i64', [2, 2], BIG))]);
    expect([...(out[0]!.data as BigInt64Array)]).toEqual([BIG[0], BIG[2], BIG[1], BIG[3]]);
  });
});

describe('Concat and Split', () => {
  it('concatenates along an axis', () => {
    const { out } = runOp('Concat', [fed(f32([2, 1], [1, 2])), fed(f32([2, 2], [3, 4, 5, 6]))], { axis: -1 });
    expect(out[0]!.shape).toEqual([2, 3]);
    expect(values(out[0]!)).toEqual([1, 3, 4, 2, 5, 6]);
  });
  it('rejects mismatched dims and dtypes', () => {
    expectFail(() => inferOp('Concat', [{ dtype: 'f32', shape: [2, 3] }, { dtype: 'f32', shape: [3, 3] }], { axis: 1 }), 'BAD_SHAPE', /differ in dim 0/);
    expectFail(() => inferOp('Concat', [{ dtype: 'f32', shape: [2] }, { dtype: 'i64', shape: [3] }], { axis: 0 }), 'TYPE_MISMATCH', /share one dtype/);
    expectFail(() => inferOp('Concat', [{ dtype: 'f32', shape: [2] }], { axis: 1 }), 'BAD_SHAPE', /axis 1 is out of range/);
  });
  it('concatenates symbolic dims to ?', () => {
    expect(inferOp('Concat', [{ dtype: 'f32', shape: ['n', 3] }, { dtype: 'f32', shape: [2, 3] }], { axis: 0 })[0]!.shape).toEqual(['?', 3]);
    expect(inferOp('Concat', [{ dtype: 'f32', shape: ['n', 3] }, { dtype: 'f32', shape: ['n', 2] }], { axis: 1 })[0]!.shape).toEqual(['n', 5]);
  });
  it('splits by sizes, by num_outputs (uneven last chunk) and evenly', () => {
    const bySizes = runOp('Split', [fed(f32([5])), c(i64(2, 3))], {}, 2).out;
    expect(bySizes.map(values)).toEqual([[0, 1], [2, 3, 4]]);
    const byCount = runOp('Split', [fed(f32([2, 5]))], { axis: 1, num_outputs: 3 }, 3);
    expect(byCount.types.map((x) => x.shape)).toEqual([[2, 2], [2, 2], [2, 1]]);
    expect(byCount.out.map(values)).toEqual([[0, 1, 5, 6], [2, 3, 7, 8], [4, 9]]);
    expect(runOp('Split', [fed(f32([4]))], {}, 2).out.map(values)).toEqual([[0, 1], [2, 3]]);
    expectFail(() => inferOp('Split', [{ dtype: 'f32', shape: [5] }, i64(2, 2)], {}, 2), 'BAD_SHAPE', /sum to 4/);
  });
});

describe('Slice', () => {
  const x = f32([3, 4]);
  it('slices with axes and steps, clamping out-of-range bounds', () => {
    const { out, types } = runOp('Slice', [fed(x), c(i64(1, 0)), c(i64(1000, 4)), c(i64(0, 1)), c(i64(1, 2))]);
    expect(types[0]!.shape).toEqual([2, 2]);
    expect(values(out[0]!)).toEqual([4, 6, 8, 10]);
  });
  it('slices backwards with negative steps', () => {
    const { out } = runOp('Slice', [fed(f32([5])), c(i64(-1)), c(i64(-1000)), none, c(i64(-2))]);
    expect(values(out[0]!)).toEqual([4, 2, 0]);
    const r = runOp('Slice', [fed(f32([5])), c(i64(20)), c(i64(0)), c(i64(0)), c(i64(-1))]);
    expect(values(r.out[0]!)).toEqual([4, 3, 2, 1]);
  });
  it('handles empty results and non-constant bounds', () => {
    expect(runOp('Slice', [fed(x), c(i64(3)), c(i64(1)), c(i64(1))]).out[0]!.shape).toEqual([3, 0]);
    const { out, types } = runOp('Slice', [fed(x), fed(i64(1)), fed(i64(3)), c(i64(-1))]);
    expect(types[0]!.shape).toEqual([3, '?']);
    expect(values(out[0]!)).toEqual([1, 2, 5, 6, 9, 10]);
  });
  it('keeps a symbolic dim on a whole-axis slice only', () => {
    const [y] = inferOp('Slice', [{ dtype: 'f32', shape: ['n', 'm'] }, i64(0, 1), i64(2 ** 62, 3)]);
    expect(y!.shape).toEqual(['n', '?']);
  });
  it('rejects float starts', () => {
    expectFail(() => inferOp('Slice', [{ dtype: 'f32', shape: [3] }, t('f32', [1], [0]), i64(1)]), 'TYPE_MISMATCH', /starts must be i32 or i64/);
  });
});

describe('Gather', () => {
  it('gathers along an axis with negative and 2-D indices', () => {
    const x = f32([3, 2], [1, 2, 3, 4, 5, 6]);
    const { out, types } = runOp('Gather', [fed(x), fed(t('i64', [2, 2], [0, -1, 1, 2]))]);
    expect(types[0]!.shape).toEqual([2, 2, 2]);
    expect(values(out[0]!)).toEqual([1, 2, 5, 6, 3, 4, 5, 6]);
    const cols = runOp('Gather', [fed(x), fed(t('i32', [], [1]))], { axis: 1 });
    expect(cols.out[0]!.shape).toEqual([3]);
    expect(values(cols.out[0]!)).toEqual([2, 4, 6]);
  });
  it('rejects float indices and out-of-range indices', () => {
    expectFail(() => inferOp('Gather', [{ dtype: 'f32', shape: [3] }, { dtype: 'f32', shape: [1] }]), 'TYPE_MISMATCH', /expected one of i32, i64/);
    expect(() => runOp('Gather', [fed(f32([3])), fed(i64(3))])).toThrow(/out of range/);
  });
  it('gathers int64 exactly', () => {
    const { out } = runOp('Gather', [fed(t('i64', [4], BIG)), fed(i64(2, 0))]);
    expect([...(out[0]!.data as BigInt64Array)]).toEqual([BIG[2], BIG[0]]);
  });
});

describe('Squeeze, Unsqueeze, Expand, Tile', () => {
  it('squeezes given axes or all 1-dims', () => {
    expect(runOp('Squeeze', [fed(f32([1, 3, 1])), c(i64(-1))]).out[0]!.shape).toEqual([1, 3]);
    expect(runOp('Squeeze', [fed(f32([1, 3, 1]))]).out[0]!.shape).toEqual([3]);
    expectFail(() => inferOp('Squeeze', [{ dtype: 'f32', shape: [2, 3] }, i64(0)]), 'BAD_SHAPE', /size 2, not 1/);
    expectFail(() => inferOp('Squeeze', [{ dtype: 'f32', shape: ['n', 3] }]), 'UNSUPPORTED_FEATURE', /symbolic/);
  });
  it('unsqueezes at output positions', () => {
    const { out } = runOp('Unsqueeze', [fed(f32([3, 4])), c(i64(0, -1))]);
    expect(out[0]!.shape).toEqual([1, 3, 4, 1]);
    expect(inferOp('Unsqueeze', [{ dtype: 'f32', shape: ['n'] }, i64(1)])[0]!.shape).toEqual(['n', 1]);
    expectFail(() => inferOp('Unsqueeze', [{ dtype: 'f32', shape: [3] }, i64(1, 1)]), 'BAD_SHAPE', /repeat/);
  });
  it('expands bidirectionally', () => {
    const { out } = runOp('Expand', [fed(f32([3, 1], [1, 2, 3])), c(i64(2, 1, 2))]);
    expect(out[0]!.shape).toEqual([2, 3, 2]);
    expect(values(out[0]!)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expectFail(() => inferOp('Expand', [{ dtype: 'f32', shape: [3] }, i64(4)]), 'BAD_SHAPE', /cannot broadcast/);
  });
  it('tiles', () => {
    const { out } = runOp('Tile', [fed(f32([2, 2], [1, 2, 3, 4])), c(i64(1, 2))]);
    expect(out[0]!.shape).toEqual([2, 4]);
    expect(values(out[0]!)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    expectFail(() => inferOp('Tile', [{ dtype: 'f32', shape: [2, 2] }, i64(2)]), 'BAD_SHAPE', /1 values for an input of rank 2/);
  });
  it('expands and tiles int64 exactly', () => {
    const big = t('i64', [1, 2], BIG.slice(0, 2));
    expect([...(runOp('Expand', [fed(big), c(i64(2, 1))]).out[0]!.data as BigInt64Array)]).toEqual([BIG[0], BIG[1], BIG[0], BIG[1]]);
    expect([...(runOp('Tile', [fed(big), c(i64(1, 2))]).out[0]!.data as BigInt64Array)]).toEqual([BIG[0], BIG[1], BIG[0], BIG[1]]);
  });
});

describe('Pad', () => {
  const x = f32([3], [1, 2, 3]);
  it('pads in every mode', () => {
    const pad = (mode: string) => values(runOp('Pad', [fed(x), c(i64(2, 3))], { mode }).out[0]!);
    expect(pad('constant')).toEqual([0, 0, 1, 2, 3, 0, 0, 0]);
    expect(pad('edge')).toEqual([1, 1, 1, 2, 3, 3, 3, 3]);
    expect(pad('reflect')).toEqual([3, 2, 1, 2, 3, 2, 1, 2]);
    expect(pad('wrap')).toEqual([2, 3, 1, 2, 3, 1, 2, 3]);
  });
  it('uses constant_value and axes, and crops with negative pads', () => {
    const m = f32([2, 2], [1, 2, 3, 4]);
    const { out, types } = runOp('Pad', [fed(m), c(i64(1, -1)), c(t('f32', [], [9])), c(i64(-1))]);
    expect(types[0]!.shape).toEqual([2, 2]);
    expect(values(out[0]!)).toEqual([9, 1, 9, 3]);
  });
  it('rejects a bad mode and wrong pads length', () => {
    expectFail(() => inferOp('Pad', [{ dtype: 'f32', shape: [3] }, i64(1, 1)], { mode: 'mirror' }), 'UNSUPPORTED_FEATURE', /mirror/);
    expectFail(() => inferOp('Pad', [{ dtype: 'f32', shape: [3, 3] }, i64(1, 1)]), 'BAD_SHAPE', /2 values for 2 axes/);
  });
  it('pads int64 with an exact constant', () => {
    const { out } = runOp('Pad', [fed(t('i64', [1], [BIG[0]!])), c(i64(1, 0)), c(t('i64', [], [BIG[2]!]))]);
    expect([...(out[0]!.data as BigInt64Array)]).toEqual([BIG[2], BIG[0]]);
  });
});

describe('Shape, ConstantOfShape, Range', () => {
  it('gives the (windowed) shape as i64', () => {
    const { out, types } = runOp('Shape', [fed(f32([2, 3, 4]))], { start: 1, end: -1 });
    expect(types[0]).toEqual({ dtype: 'i64', shape: [1] });
    expect(values(out[0]!)).toEqual([3]);
    expect(inferOp('Shape', [{ dtype: 'f32', shape: ['n', 3] }], { start: -10 })[0]!.shape).toEqual([2]);
  });
  it('fills a shape with the value attribute', () => {
    const { out, types } = runOp('ConstantOfShape', [c(i64(2, 3))], { value: makeTensor('i64', [1], [BIG[0]!]) });
    expect(types[0]).toEqual({ dtype: 'i64', shape: [2, 3] });
    expect([...(out[0]!.data as BigInt64Array)]).toEqual(new Array(6).fill(BIG[0]));
    const dflt = runOp('ConstantOfShape', [fed(i64(2))]);
    expect(dflt.types[0]).toEqual({ dtype: 'f32', shape: ['?'] });
    expect(values(dflt.out[0]!)).toEqual([0, 0]);
  });
  it('makes ranges of any numeric type', () => {
    const s = (dtype: 'f32' | 'i32' | 'i64', v: number) => t(dtype, [], [v]);
    const f = runOp('Range', [c(s('f32', 1)), c(s('f32', 2)), c(s('f32', 0.3))]);
    expect(f.types[0]!.shape).toEqual([4]);
    expect(values(f.out[0]!).map((v) => Math.round(v * 10) / 10)).toEqual([1, 1.3, 1.6, 1.9]);
    expect(values(runOp('Range', [fed(s('i32', 10)), fed(s('i32', 4)), fed(s('i32', -3))]).out[0]!)).toEqual([10, 7]);
    expect(runOp('Range', [fed(s('i64', 0)), fed(s('i64', 5)), fed(s('i64', -1))]).out[0]!.shape).toEqual([0]);
    const big = runOp('Range', [fed(t('i64', [], [2n ** 60n])), fed(t('i64', [], [2n ** 60n + 5n])), fed(t('i64', [], [2n]))]);
    expect([...(big.out[0]!.data as BigInt64Array)]).toEqual([2n ** 60n, 2n ** 60n + 2n, 2n ** 60n + 4n]);
    expectFail(() => inferOp('Range', [s('f32', 0), s('i32', 1), s('f32', 1)]), 'TYPE_MISMATCH', /share one dtype/);
  });
});

describe('Cast', () => {
  it('truncates floats toward zero and wraps into narrow integers', () => {
    const x = f32([5], [2.7, -2.7, 300, -1, 0.5]);
    expect(values(runOp('Cast', [fed(x)], { to: 'i32' }).out[0]!)).toEqual([2, -2, 300, -1, 0]);
    expect(values(runOp('Cast', [fed(x)], { to: 'u8' }).out[0]!)).toEqual([2, 254, 44, 255, 0]);
    expect([...(runOp('Cast', [fed(x)], { to: 'i64' }).out[0]!.data as BigInt64Array)]).toEqual([2n, -2n, 300n, -1n, 0n]);
  });
  it('converts to and from bool', () => {
    expect(values(runOp('Cast', [fed(f32([3], [0, -0.5, NaN]))], { to: 'bool' }).out[0]!)).toEqual([0, 1, 1]);
    const b = runOp('Cast', [fed(t('bool', [2], [1, 0]))], { to: 'f32' });
    expect(b.types[0]!.dtype).toBe('f32');
    expect(values(b.out[0]!)).toEqual([1, 0]);
  });
  it('rounds to f16 and bf16', () => {
    expect(values(runOp('Cast', [fed(f32([2], [1.0009765625 + 2 ** -12, 70000]))], { to: 'f16' }).out[0]!)).toEqual([1.0009765625, Infinity]);
    expect(values(runOp('Cast', [fed(f32([1], [1 + 2 ** -9]))], { to: 'bf16' }).out[0]!)).toEqual([1]);
  });
  it('keeps int64 exact and narrows it by its low bits', () => {
    expect([...(runOp('Cast', [fed(t('i64', [4], BIG))], { to: 'u64' }).out[0]!.data as BigUint64Array)]).toEqual(BIG.map((v) => BigInt.asUintN(64, v)));
    expect(values(runOp('Cast', [fed(t('i64', [1], [2n ** 40n + 7n]))], { to: 'i32' }).out[0]!)).toEqual([7]);
  });
  it('rejects an unknown dtype', () => {
    expectFail(() => inferOp('Cast', [{ dtype: 'f32', shape: [1] }], { to: 'string' }), 'UNSUPPORTED_DTYPE', /string/);
  });
});

describe('Dropout', () => {
  it('is the identity with an all-true mask in inference', () => {
    const { out, types } = runOp('Dropout', [fed(f32([2], [1, 2])), c(t('f32', [], [0.5]))], {}, 2);
    expect(values(out[0]!)).toEqual([1, 2]);
    expect(types[1]!.dtype).toBe('bool');
    expect(values(out[1]!)).toEqual([1, 1]);
  });
  it('refuses training mode', () => {
    expectFail(() => inferOp('Dropout', [{ dtype: 'f32', shape: [2] }, null, t('bool', [], [1])]), 'UNSUPPORTED_FEATURE', /training_mode/);
    expect(() => runOp('Dropout', [fed(f32([2])), none, fed(t('bool', [], [1]))])).toThrow(/training_mode/);
  });
});

describe('GatherElements and CastLike', () => {
  it('gathers elements along an axis', () => {
    const x = f32([2, 2], [1, 2, 3, 4]);
    const { out, types } = runOp('GatherElements', [fed(x), fed(t('i64', [2, 2], [0, 0, 1, -2]))], { axis: 1 });
    expect(types[0]!.shape).toEqual([2, 2]);
    expect(values(out[0]!)).toEqual([1, 1, 4, 3]);
    expectFail(() => inferOp('GatherElements', [{ dtype: 'f32', shape: [2, 2] }, { dtype: 'i64', shape: [2] }]), 'BAD_SHAPE', /rank of data/);
  });
  it('casts to the dtype of its second operand', () => {
    const { out, types } = runOp('CastLike', [fed(f32([2], [1.5, -2.5])), fed(t('i32', [0], []))]);
    expect(types[0]!.dtype).toBe('i32');
    expect(values(out[0]!)).toEqual([1, -2]);
  });
});
