import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference, runOnWasm } from './harness.js';

const castGraph = (from: DType, to: DType, shape: number[]) => (): Graph => {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: from, shape });
  b.output(b.op('Cast', [x], { to }, 'y'));
  return b.build();
};

/** Reference vs wasm on given values, element by element (bigint-exact for 64-bit integers, NaN equal to NaN). */
async function expectSameCast(from: DType, to: DType, values: (number | bigint)[]): Promise<void> {
  const build = castGraph(from, to, [values.length]);
  const feeds: Record<string, Tensor> = { x: makeTensor(from, [values.length], values as number[]) };
  const expected = runGraph(build(), feeds).y!;
  const { outputs } = await runOnWasm(build(), feeds);
  const show = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : String(v)));
  expect(show(outputs.y!), `${from} -> ${to} of [${values.join(', ')}]`).toEqual(show(expected));
}

const ALL: DType[] = ['f32', 'f64', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'bool'];

/** Values that exercise truncation, wrapping, saturation boundaries and specials for each source type. */
const SPECIAL: Partial<Record<DType, (number | bigint)[]>> = {
  f32: [0, -0, 1.5, -1.5, 2.7, -2.7, 127.9, 128, 255.5, 256, -129, 32767.5, 65536.25, 2147483520, -2147483648, 3e9, -3e9, 4294967296, 1e10, -1e10, 9.3e18, -9.3e18, 1.8e19, 3e19, 1e30, Infinity, -Infinity, NaN, 1e-40],
  f64: [0, -0.5, 1.999, -7.25, 300.5, -70000.75, 2147483647.9, 2147483648.5, -2147483649.5, 4294967295.5, 1e15 + 0.5, -1e15, 9007199254740993, 9.223372036854776e18, -9.223372036854776e18, 2e19, 1e300, Infinity, -Infinity, NaN, 1e-310],
  i8: [0, 1, -1, 127, -128, 55, -77],
  u8: [0, 1, 127, 128, 200, 255],
  i16: [0, -1, 255, 256, -129, 32767, -32768, 1000],
  u16: [0, 255, 256, 32768, 65535, 40000],
  i32: [0, -1, 255, 256, 65535, 65536, 16777217, -16777217, 2147483647, -2147483648, 123456789],
  u32: [0, 1, 255, 65536, 16777217, 2147483648, 4294967295, 3000000000],
  i64: [0n, -1n, 255n, 256n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n + 5n, 2n ** 53n + 1n, 2n ** 62n + 12345n, -(2n ** 63n), 2n ** 63n - 1n, 16777217n],
  u64: [0n, 1n, 255n, 2n ** 32n + 7n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 16777217n],
  bool: [0, 1, 1, 0],
};

describe('wasm Cast', () => {
  for (const from of ALL) {
    for (const to of ALL) {
      if (from === to) continue;
      it(`${from} -> ${to}: special values exactly as the reference`, async () => {
        await expectSameCast(from, to, SPECIAL[from]!);
      });
    }
  }

  it('random tensors through the SIMD paths (f32 <-> i32, u8/i8/bool -> f32) with odd tails', async () => {
    for (const [from, to] of [['f32', 'i32'], ['i32', 'f32'], ['u32', 'f32'], ['u8', 'f32'], ['i8', 'f32'], ['bool', 'f32'], ['f32', 'u8'], ['f32', 'i8'], ['f32', 'i16'], ['f32', 'u16'], ['f32', 'u32'], ['f32', 'i64'], ['i64', 'f32'], ['f32', 'bool']] as [DType, DType][]) {
      await expectWasmMatchesReference(castGraph(from, to, [3, 37]), { tolerance: 0 });
    }
  });

  it('f32 -> integer groups mixing in-range and out-of-range values take the exact path', async () => {
    const values = [1.5, -2.5, 3e9, 7, 8, 9, 10, 11, NaN, 12, Infinity, -3e9, 1e20, -300.5, 70000.5, -129.9, 200, 4, 5, 6];
    for (const to of ['i32', 'u32', 'i16', 'u16', 'i8', 'u8'] as DType[]) await expectSameCast('f32', to, values);
  });

  it('CastLike takes the target dtype from its second operand', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'f32', shape: [4, 5] });
      const like = b.constant('like', makeTensor('i64', [1], [0]));
      b.output(b.op('CastLike', [x, like], {}, 'y'));
      return b.build();
    };
    await expectWasmMatchesReference(build, { tolerance: 0 });
  });

  it('same-dtype Cast is a copy', async () => {
    await expectWasmMatchesReference(castGraph('i64', 'i64', [7]), { tolerance: 0 });
  });

  it('accepts f16/bf16 conversions (exactness: cast-f16-bf16.test.ts)', () => {
    expect(unsupportedByWasm(castGraph('f32', 'f16', [4])())).toEqual([]);
    expect(unsupportedByWasm(castGraph('bf16', 'i32', [4])())).toEqual([]);
  });
});
