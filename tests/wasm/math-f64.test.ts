import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { expF64, logF64 } from '../../targets/wasm/math-f64.js';

type Expr = binaryen.ExpressionRef;

/** A module exporting f(x) for a scalar f64 helper, instantiated. */
async function compileScalar(helper: (m: binaryen.Module, x: Expr) => Expr): Promise<(x: number) => number> {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt);
  m.addFunction('f', binaryen.f64, binaryen.f64, [], helper(m, m.local.get(0, binaryen.f64)));
  m.addFunctionExport('f', 'f');
  expect(m.validate()).toBeTruthy();
  m.optimize();
  const bin = m.emitBinary();
  m.dispose();
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bin as BufferSource));
  return (instance.exports as { f: (x: number) => number }).f;
}

/** |a - b| in units of the f64 spacing at b (subnormal spacing below the normal range). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const spacing = Math.abs(b) < 2 ** -1022 ? 2 ** -1074 : 2 ** (Math.floor(Math.log2(Math.abs(b))) - 52);
  return Math.abs(a - b) / spacing;
}

/** Deterministic sample of [lo, hi]: an even grid plus points scattered by a fixed LCG. */
function sample(lo: number, hi: number, n: number): number[] {
  let s = 12345;
  const out: number[] = [];
  for (let i = 0; i <= n; i++) {
    out.push(lo + ((hi - lo) * i) / n);
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out.push(lo + ((hi - lo) * s) / 2 ** 31);
  }
  return out;
}

describe('wasm f64 exp and log (math-f64.ts)', () => {
  it('exp is within 2 ulp of Math.exp from the subnormal results to overflow, with exact specials', async () => {
    const exp = await compileScalar(expF64);
    let worst = 0;
    for (const x of [...sample(-708, 709.7, 20000), ...sample(-1, 1, 5000), ...sample(-1e-8, 1e-8, 100)]) worst = Math.max(worst, ulps(exp(x), Math.exp(x)));
    expect(worst).toBeLessThanOrEqual(2);
    // Subnormal results: within one subnormal step.
    for (const x of sample(-745, -709, 2000)) expect(Math.abs(exp(x) - Math.exp(x))).toBeLessThanOrEqual(2 ** -1074);
    for (const [x, y] of [[0, 1], [-0, 1], [Infinity, Infinity], [-Infinity, 0], [710, Infinity], [1e308, Infinity], [-746, 0], [-1e308, 0]]) expect(exp(x!)).toBe(y);
    expect(exp(NaN)).toBeNaN();
  });

  it('log is within 2 ulp of Math.log over normal and subnormal inputs, with exact specials', async () => {
    const log = await compileScalar(logF64);
    let worst = 0;
    const xs = [...sample(0.5, 2, 20000), ...sample(1e-300, 1e300, 5000), ...sample(1 - 1e-6, 1 + 1e-6, 2000), ...sample(-700, 700, 5000).map(Math.exp), 2 ** -1074, 3e-320, Number.MAX_VALUE];
    for (const x of xs) worst = Math.max(worst, ulps(log(x), Math.log(x)));
    expect(worst).toBeLessThanOrEqual(2);
    for (const [x, y] of [[1, 0], [0, -Infinity], [-0, -Infinity], [Infinity, Infinity]]) expect(log(x!)).toBe(y);
    for (const x of [-1, -Infinity, NaN, -1e-310]) expect(log(x)).toBeNaN();
  });
});
