import { describe, expect, it } from 'vitest';
import { Graph, Node, parseGraph, printGraph, Value } from '../../ir/index.js';
import { quantizeAddMultipliers, quantizeMultiplier, requantize, requantizeAdd, roundHalfToEven } from '../../ir/ops/quantized.js';
import { seededRandom } from '../../compiler/io/random.js';
import { runGraph } from '../../targets/reference/index.js';

/** The specification, in int64: (acc * M + 2^(S-1)) >> S with an arithmetic shift. */
function reference(acc: number, m: number, s: number): number {
  return Number((BigInt(acc) * BigInt(m) + (1n << BigInt(s - 1))) >> BigInt(s));
}

describe('requantize (fixed-point multiplier and shift)', () => {
  it('equals the int64 formula on random and extreme operands', () => {
    const random = seededRandom(11);
    const accs = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 12345, -12345];
    const ms = [0, 1, 2 ** 30, 2 ** 31 - 1, 1518500250];
    const ss = [16, 17, 31, 32, 47, 61, 62];
    for (const a of accs) for (const m of ms) for (const s of ss) expect(requantize(a, m, s), `${a} ${m} ${s}`).toBe(reference(a, m, s));
    for (let i = 0; i < 20000; i++) {
      const a = Math.floor((random() - 0.5) * 2 ** 32);
      const m = Math.floor(random() * 2 ** 31);
      const s = 16 + Math.floor(random() * 47);
      expect(requantize(a, m, s)).toBe(reference(a, m, s));
    }
  });

  it('rounds ties toward +infinity (half up), for negative values too', () => {
    // M = 2^30, S = 31 is a multiplier of exactly 0.5.
    expect(requantize(3, 2 ** 30, 31)).toBe(2); // 1.5 -> 2
    expect(requantize(-3, 2 ** 30, 31)).toBe(-1); // -1.5 -> -1
    expect(requantize(5, 2 ** 30, 31)).toBe(3); // 2.5 -> 3
    expect(requantize(-5, 2 ** 30, 31)).toBe(-2); // -2.5 -> -2
    expect(requantize(-4, 2 ** 30, 31)).toBe(-2);
  });

  it('derives (M, S) with M in [2^30, 2^31) and rejects multipliers it cannot hold', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 31 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 30 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 31 });
    // Just below 1: f * 2^31 rounds up to 2^31, which must renormalize to 2^30 with one less shift.
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 30 });
    const { multiplier, shift } = quantizeMultiplier(0.0123);
    expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
    expect(multiplier).toBeLessThan(2 ** 31);
    expect(Math.abs(multiplier * 2 ** -shift - 0.0123)).toBeLessThan(0.0123 * 2 ** -30);
    // Large multipliers (up to 2^15) keep 31 bits; tiny ones saturate the shift at 62.
    const big = quantizeMultiplier(1000.25);
    expect(big.shift).toBe(21);
    expect(requantize(4, big.multiplier, big.shift)).toBe(4001);
    expect(quantizeMultiplier(2 ** -40).shift).toBe(62);
    expect(() => quantizeMultiplier(2 ** 16)).toThrow(/too large/);
    expect(() => quantizeMultiplier(-1)).toThrow();
  });

  it('QAdd multipliers share one shift and round once', () => {
    const m = quantizeAddMultipliers(0.75, 0.25);
    expect(m.aMultiplier).toBeLessThan(2 ** 31);
    expect(m.aMultiplier).toBeGreaterThanOrEqual(2 ** 30);
    expect(requantizeAdd(10, m.aMultiplier, 10, m.bMultiplier, m.shift)).toBe(10);
    expect(requantizeAdd(1, m.aMultiplier, 1, m.bMultiplier, m.shift)).toBe(1);
    // 0.75 * 1 + 0.25 * -1 = 0.5: a tie, rounded up.
    expect(requantizeAdd(1, m.aMultiplier, -1, m.bMultiplier, m.shift)).toBe(1);
    expect(Number((BigInt(-255 * m.aMultiplier) + BigInt(255 * m.bMultiplier) + (1n << BigInt(m.shift - 1))) >> BigInt(m.shift))).toBe(
      requantizeAdd(-255, m.aMultiplier, 255, m.bMultiplier, m.shift),
    );
  });

  it('round half to even for QuantizeF32', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6].map(roundHalfToEven)).toEqual([0, 2, 2, -0, -2, 2, -3]);
  });
});

describe('quantized kernels: saturation and clamps', () => {
  const run = (text: string, x: number[], dtype: 'i8' | 'u8' = 'i8') => {
    const g = parseGraph(text);
    const data = dtype === 'i8' ? Int8Array.from(x) : Uint8Array.from(x);
    return Array.from(runGraph(g, { x: { dtype, shape: [x.length], data } })['y']!.data as Int8Array);
  };

  it('QRequantize saturates to the dtype and to act_min / act_max', () => {
    const x = [-128, -100, 0, 100, 127];
    // x 4: multiplier 2^30 / 2^28 = 4.
    const g = (extra: string) => `graph @g(%x: i8[5]) {\n  %y = QRequantize(%x) {multiplier = 1073741824, shift = 28${extra}} : i8[5]\n  return %y\n}\n`;
    expect(run(g(''), x)).toEqual([-128, -128, 0, 127, 127]);
    expect(run(g(', act_min = -5, act_max = 90'), x)).toEqual([-5, -5, 0, 90, 90]);
    const u = `graph @g(%x: i8[5]) {\n  %y = QRequantize(%x) {multiplier = 1073741824, shift = 31, dtype = "u8", y_zero_point = 128} : u8[5]\n  return %y\n}\n`;
    expect(run(u, x)).toEqual([64, 78, 128, 178, 192]);
  });

  it('QuantizeF32 / DequantizeF32 follow ONNX QuantizeLinear / DequantizeLinear', () => {
    const g = parseGraph(`graph @g(%x: f32[6]) {
  %q = QuantizeF32(%x) {scale = 0.5, zero_point = 10, dtype = "u8"} : u8[6]
  %y = DequantizeF32(%q) {scale = 0.5, zero_point = 10} : f32[6]
  return %q, %y
}
`);
    const out = runGraph(g, { x: { dtype: 'f32', shape: [6], data: Float32Array.of(0.25, 0.75, -100, 1000, -0.25, 1.2) } });
    expect(Array.from(out['q']!.data as Uint8Array)).toEqual([10, 12, 0, 255, 10, 12]);
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([0, 1, -5, 122.5, 0, 1]);
  });
});

describe('quant parameters in the IR text form', () => {
  it('print and parse back exactly (per tensor and per axis, on inputs, constants and results)', () => {
    const text = `graph @g(%x: u8[1,2] q(0.0235294122248888, 3)) {
  %w = const i8[2,2] q[axis=0]([0.1, 1e-7], [0, 0]) [1, -2, 3, -4]
  %y = QMatMul(%x, %w) {dtype = "i32"} : i32[1,2] q(0.5, -7)
  return %y
}
`;
    const g = parseGraph(text);
    expect(g.inputs[0]!.quant).toEqual({ scale: [0.0235294122248888], zeroPoint: [3] });
    expect(g.constants[0]!.quant).toEqual({ scale: [0.1, 1e-7], zeroPoint: [0, 0], axis: 0 });
    expect(printGraph(g)).toBe(text);
    expect(printGraph(parseGraph(printGraph(g)))).toBe(text);
  });

  it('keeps arena offsets after the quant parameters', () => {
    const x = new Value('x', { dtype: 'i8', shape: [2] });
    x.quant = { scale: [0.25], zeroPoint: [-1] };
    const y = new Value('y', { dtype: 'i8', shape: [2] });
    y.quant = { scale: [0.25], zeroPoint: [-1] };
    y.arenaOffset = 64;
    const g = new Graph('g', [x], [y], [], [new Node('Flatten', [x], [y], { axis: 0 })]);
    y.type = { dtype: 'i8', shape: [1, 2] };
    const text = printGraph(g);
    expect(text).toContain('i8[1,2] q(0.25, -1) arena(64)');
    expect(printGraph(parseGraph(text))).toBe(text);
  });
});
