import { describe, expect, it } from 'vitest';
import { AT4, BT4, G4, INV9, Y_BOUND } from '../../targets/wasm/kernels/quantized/conv-winograd4.js';
import { seededNumbers } from '../support/seeded-random.js';

/**
 * The integer algebra of the F(4x4, 3x3) QConv kernel in plain numbers: U' = G4 g G4^T and V = B^T d B fit
 * i16, M' = Σ_c U' ⊙ V in wrapping i32, and (A4^T M' A4)·9^-1 >> 6 is the direct convolution exactly.
 */

const R = seededNumbers(23);
type Mat = number[][];
const mul = (a: Mat, b: Mat): Mat => a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
const tr = (a: Mat): Mat => a[0]!.map((_, j) => a.map((row) => row[j]!));
const I16 = 32767;

/** One tile: 6x6 inputs per channel, 3x3 weights per channel; returns the 4x4 outputs both ways. */
function tile(d: Mat[], g: Mat[]): { winograd: number[]; direct: number[] } {
  const acc = Array.from({ length: 36 }, () => 0);
  for (let c = 0; c < d.length; c++) {
    const u = mul(mul(G4, g[c]!), tr(G4));
    const v = mul(mul(BT4, d[c]!), tr(BT4));
    for (let k = 0; k < 36; k++) {
      const [uk, vk] = [u[Math.floor(k / 6)]![k % 6]!, v[Math.floor(k / 6)]![k % 6]!];
      expect(Math.abs(uk)).toBeLessThanOrEqual(I16);
      expect(Math.abs(vk)).toBeLessThanOrEqual(I16);
      acc[k] = (acc[k]! + Math.imul(uk, vk)) | 0;
    }
  }
  // The output transform in wrapping i32 (the kernel's additions and shifts wrap the same way).
  const m: Mat = Array.from({ length: 6 }, (_, i) => acc.slice(i * 6, i * 6 + 6));
  const wrap = (a: Mat, b: Mat): Mat => a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => (s + Math.imul(x, b[k]![j]!)) | 0, 0)));
  const y = wrap(wrap(AT4, m), tr(AT4));
  const winograd = y.flat().map((v) => Math.imul(v, INV9) >> 6);
  const direct: number[] = [];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let c = 0; c < d.length; c++) for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) s += d[c]![i + r]![j + q]! * g[c]![r]![q]!;
      direct.push(s);
    }
  }
  return { winograd, direct };
}

const randomMats = (count: number, n: number, lo: number, hi: number): Mat[] => Array.from({ length: count }, () => Array.from({ length: n }, () => R.ints(n, lo, hi)));
const constant = (count: number, n: number, f: (c: number, i: number, j: number) => number): Mat[] => Array.from({ length: count }, (_, c) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => f(c, i, j))));

describe('integer Winograd F(4x4, 3x3) algebra', () => {
  it('A4^T is A^T diag(6, 4, 4, 1, 1, 24) and 9 · 9^-1 = 1 mod 2^32', () => {
    expect(AT4).toEqual([
      [6, 4, 4, 1, 1, 0],
      [0, 4, -4, 2, -2, 0],
      [0, 4, 4, 4, 4, 0],
      [0, 4, -4, 8, -8, 24],
    ]);
    expect(Math.imul(9, INV9)).toBe(1);
  });

  it('matches direct convolution on random tiles (shifted inputs in [-255, 255], weights in [-255, 255])', () => {
    for (let n = 0; n < 200; n++) {
      const C = 1 + (n % 9);
      const { winograd, direct } = tile(randomMats(C, 6, -255, 255), randomMats(C, 3, -255, 255));
      expect(winograd).toEqual(direct);
    }
  });

  it('is exact at the extremes of the input and weight ranges', () => {
    const signs = [
      (c: number, i: number, j: number) => ((c + i + j) % 2 ? 255 : -255),
      (c: number, i: number, j: number) => ((i * 7 + j * 3 + c) % 3 ? 255 : -255),
      () => 255,
      () => -255,
    ];
    for (const fd of signs) {
      for (const fg of signs) {
        const { winograd, direct } = tile(constant(4, 6, fd), constant(4, 3, fg));
        expect(winograd).toEqual(direct);
      }
    }
  });

  it('is exact up to the 2^25 bound, where i32 products wrap', () => {
    // 56 channels of ±255 x ±255: |y| <= 9·56·255·255 < 2^25, while Σ_c U'·V exceeds 2^31 and wraps.
    const C = 56;
    expect(9 * C * 255 * 255).toBeLessThan(Y_BOUND);
    for (let n = 0; n < 10; n++) {
      const sign = () => (R.ints(1, 0, 1)[0] ? 255 : -255);
      const d = constant(C, 6, () => sign());
      const g = constant(C, 3, () => sign());
      const { winograd, direct } = tile(d, g);
      expect(winograd).toEqual(direct);
    }
    // All +255: y = 9·56·255² exactly.
    const { winograd, direct } = tile(constant(C, 6, () => 255), constant(C, 3, () => 255));
    expect(direct[0]).toBe(9 * C * 255 * 255);
    expect(winograd).toEqual(direct);
  });
});
