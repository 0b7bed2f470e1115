import { describe, expect, it } from 'vitest';
import { GraphBuilder, halfToFloat, makeTensor, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { runOnWasm } from './harness.js';

const castGraph = (from: DType, to: DType, n: number, like = false) => (): Graph => {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: from, shape: [n] });
  if (like) {
    const target = b.constant('target', makeTensor(to, [1], [0]));
    b.output(b.op('CastLike', [x, target], {}, 'y'));
  } else {
    b.output(b.op('Cast', [x], { to }, 'y'));
  }
  return b.build();
};

const show = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v)));

async function expectSameCast(from: DType, to: DType, values: (number | bigint)[], like = false): Promise<void> {
  const build = castGraph(from, to, values.length, like);
  const feeds: Record<string, Tensor> = { x: makeTensor(from, [values.length], values as number[]) };
  expect(unsupportedByWasm(build())).toEqual([]);
  const expected = runGraph(build(), feeds).y!;
  const { outputs } = await runOnWasm(build(), feeds);
  expect(show(outputs.y!), `${from} -> ${to}`).toEqual(show(expected));
}

// f32 values around every rounding decision of f16 and bf16: ties (to even), just above/below ties, the largest
// finite values and the first that overflow, the denormal range and what underflows to zero.
const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;
const TRICKY = [
  0, -0, 1, -1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20, 1 + 2 ** -11 - 2 ** -20, 65504, 65519.99, 65520, -65520, 1e6, -1e6,
  2 ** -14, 2 ** -15, 2 ** -24, 2 ** -25, 2 ** -25 + 2 ** -40, 3 * 2 ** -25, 1.5 * 2 ** -24, 2 ** -26, -(2 ** -24), 6.1e-5, 1e-8, 1e-30,
  3.14159, -2.71828, 0.1, 1 / 3, Infinity, -Infinity, NaN, f32(0x3f808000), f32(0x3f818000), f32(0x3f808001), f32(0x7f7fffff), f32(0xff7fffff), f32(0x00000001),
];

describe('wasm Cast with f16 and bf16', () => {
  it('every f16 bit pattern decodes to f32 exactly', async () => {
    const values = Array.from({ length: 65536 }, (_, h) => halfToFloat(h));
    await expectSameCast('f16', 'f32', values);
  });

  for (const [from, to] of [['f32', 'f16'], ['f32', 'bf16'], ['f64', 'f16'], ['f64', 'bf16'], ['f16', 'f64'], ['bf16', 'f32'], ['bf16', 'f16'], ['f16', 'bf16']] as [DType, DType][]) {
    it(`${from} -> ${to} rounds ties to even, with denormals, overflow, infinities and NaN as the reference`, async () => {
      await expectSameCast(from, to, TRICKY);
    });
  }

  it('random f32 bit patterns (every exponent) round to f16 and bf16 as the reference', async () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const values = Array.from({ length: 20000 }, () => f32(next() ^ (next() << 16)));
    await expectSameCast('f32', 'f16', values);
    await expectSameCast('f32', 'bf16', values);
  });

  it('f64 -> f16 rounds through f32 first, like the reference', async () => {
    // 1 + 2^-11 + 2^-40 is a tie once rounded to f32, so double rounding decides it to even.
    await expectSameCast('f64', 'f16', [1 + 2 ** -11 + 2 ** -40, 1 + 2 ** -11 + 2 ** -30, 65519.999999, 2 ** -25 + 2 ** -60]);
  });

  for (const other of ['i8', 'u8', 'i32', 'u32', 'i64', 'u64', 'bool'] as DType[]) {
    it(`${other} <-> f16 / bf16`, async () => {
      const ints = other === 'bool' ? [0, 1, 1, 0] : other === 'u8' ? [0, 1, 200, 255] : other === 'i8' ? [0, -1, 127, -128] : [0, 1, -7, 2049, 65504, 65520, 100000, -3];
      const values = other.startsWith('u') ? ints.map((v) => Math.abs(v)) : ints;
      await expectSameCast(other, 'f16', other.endsWith('64') ? values.map(BigInt) : values);
      await expectSameCast(other, 'bf16', other.endsWith('64') ? values.map(BigInt) : values);
      await expectSameCast('f16', other, [0, 1.5, -2.5, 65504, -65504, 1000.5, Infinity, NaN]);
      await expectSameCast('bf16', other, [0, 1.5, -2.5, 3e9, -3e38, 1000.5, -Infinity, NaN]);
    });
  }

  it('CastLike to f16 and from bf16', async () => {
    await expectSameCast('f32', 'f16', TRICKY, true);
    await expectSameCast('bf16', 'f32', [1, -2, 3.5, 1e38, NaN], true);
  });
});
