import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { erf } from '../../targets/reference/kernels/math.js';
import { FunctionBuilder, MEMORY } from '../../targets/wasm/dsl.js';
import * as vm from '../../targets/wasm/vmath.js';
import * as act from '../../targets/wasm/kernels/activation.js';

type Expr = binaryen.ExpressionRef;
type VectorFn = (fn: FunctionBuilder, x: Expr) => Expr;

/**
 * Compiles `map(in, out, n)`: out[i] = f(in[i]) with the vector helper over groups of four and, when `scalar`
 * is given, a second export `mapS` using the scalar helper one element at a time.
 */
async function compileMap(vector: VectorFn, scalar: VectorFn | undefined, count: number) {
  // Bounds are compile-time constants: FunctionBuilder.for/add/mul take numbers as constants (ExpressionRefs are numbers too).
  const bytes = count * 8 + 1024;
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt | binaryen.Features.BulkMemory);
  const pages = Math.ceil(bytes / 65536) + 1;
  m.setMemory(pages, pages, 'memory', [], false, false, MEMORY);
  const add = (name: string, step: number, body: (fn: FunctionBuilder, i: () => Expr) => Expr) => {
    const fn = new FunctionBuilder(m, 2);
    const i = fn.i32Local();
    const loop = fn.for(i, 0, step === 4 ? Math.ceil(count / 4) * 4 : count, step, [body(fn, () => m.i32.shl(i.get(), m.i32.const(2)))]);
    m.addFunction(name, binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.none, [...fn.localTypes], loop);
    m.addFunctionExport(name, name);
  };
  add('map', 4, (fn, off) => fn.storeV(m.i32.add(fn.param(1), off()), vector(fn, fn.loadV(m.i32.add(fn.param(0), off())))));
  if (scalar) add('mapS', 1, (fn, off) => fn.storeF(m.i32.add(fn.param(1), off()), scalar(fn, fn.loadF(m.i32.add(fn.param(0), off())))));
  expect(m.validate()).toBeTruthy();
  m.optimize();
  const bin = m.emitBinary();
  m.dispose();
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bin as BufferSource));
  const ex = instance.exports as { memory: WebAssembly.Memory; map: (a: number, b: number) => void; mapS?: (a: number, b: number) => void };
  return (xs: Float32Array, useScalar = false): Float32Array => {
    const n = count;
    expect(xs.length).toBe(count);
    const inAt = 64;
    const outAt = inAt + Math.ceil(n / 4) * 16;
    new Float32Array(ex.memory.buffer, inAt, n).set(xs);
    (useScalar ? ex.mapS! : ex.map)(inAt, outAt);
    return new Float32Array(ex.memory.buffer, outAt, n).slice();
  };
}

/** Spacing of f32 values at |t| (denormal spacing below the normal range). */
function ulpOf(t: number): number {
  const a = Math.abs(t);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

interface Stats {
  maxUlp: number;
  maxRel: number;
  worstAt: number;
}

/** Max error in ulps (of the exact result) and max relative error over normal-range results. */
function measure(xs: Float32Array, got: Float32Array, truth: (x: number) => number): Stats {
  const s: Stats = { maxUlp: 0, maxRel: 0, worstAt: NaN };
  for (let i = 0; i < xs.length; i++) {
    const t = truth(xs[i]!);
    const g = got[i]!;
    if (Number.isNaN(t) || Number.isNaN(g)) {
      expect(Number.isNaN(g), `f(${xs[i]}) = ${g}, expected ${t}`).toBe(Number.isNaN(t));
      continue;
    }
    if (!Number.isFinite(t) || Math.abs(t) > 3.4028234663852886e38) {
      expect(g, `f(${xs[i]})`).toBe(Math.fround(t));
      continue;
    }
    const ulps = Math.abs(g - t) / ulpOf(t);
    if (ulps > s.maxUlp) {
      s.maxUlp = ulps;
      s.worstAt = xs[i]!;
    }
    if (Math.abs(t) >= 2 ** -126) s.maxRel = Math.max(s.maxRel, Math.abs(g - t) / Math.abs(t));
  }
  return s;
}

/** Random f32 in [lo, hi] plus an even grid, plus the given specials. */
function sweep(lo: number, hi: number, n: number, extra: number[] = [], seed = 7): Float32Array {
  let state = seed;
  const rnd = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out: number[] = [...extra];
  for (let i = 0; i < n; i++) out.push(lo + ((hi - lo) * i) / (n - 1));
  for (let i = 0; i < n; i++) out.push(lo + (hi - lo) * rnd());
  return Float32Array.from(out);
}

/** Geometrically spaced positive values from 2^-149 up to the f32 max, and their negatives when asked. */
function magnitudes(n: number, signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = Math.fround(2 ** (-149 + (277 * i) / (n - 1)));
    out.push(v);
    if (signed) out.push(-v);
  }
  return out;
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1.4e-45, -1.4e-45, 1e-40, -1e-40, 1.1754944e-38, 3.4028234e38, -3.4028234e38];

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** name, vector helper, scalar helper, truth, inputs, bounds (max relative error, max ulp). */
const CASES: [string, VectorFn, VectorFn, (x: number) => number, Float32Array, number, number][] = [
  ['exp', vm.expV, vm.expS, Math.exp, sweep(-110, 90, 100000, [...SPECIALS, 88.72283, 88.722839, -87.33654, -103.9, -103.97]), 2e-7, 2],
  ['log', vm.logV, vm.logS, Math.log, Float32Array.from([...SPECIALS, ...magnitudes(60000, true), ...sweep(0.5, 2, 100000)]), 2e-7, 2],
  ['tanh', vm.tanhV, vm.tanhS, Math.tanh, Float32Array.from([...SPECIALS, ...magnitudes(20000, true), ...sweep(-12, 12, 100000)]), 2e-7, 2.5],
  ['sigmoid', vm.sigmoidV, vm.sigmoidS, sigmoid, Float32Array.from([...SPECIALS, ...magnitudes(20000, true), ...sweep(-110, 40, 100000)]), 2.5e-7, 3],
  ['erf', vm.erfV, vm.erfS, erf, Float32Array.from([...SPECIALS, ...magnitudes(20000, true), ...sweep(-5, 5, 100000)]), 2e-7, 2.5],
];

describe('wasm vector math accuracy against float64', () => {
  for (const [name, vector, scalar, truth, xs, maxRel, maxUlp] of CASES) {
    it(`${name}: max relative error <= ${maxRel}, scalar == vector bit for bit`, async () => {
      const run = await compileMap(vector, scalar, xs.length);
      const got = run(xs);
      const stats = measure(xs, got, truth);
      console.log(`${name}: max ${stats.maxUlp.toFixed(2)} ulp (at ${stats.worstAt}), max relative error ${stats.maxRel.toExponential(2)}`);
      expect(stats.maxRel).toBeLessThanOrEqual(maxRel);
      expect(stats.maxUlp).toBeLessThanOrEqual(maxUlp);
      const gotS = run(xs, true);
      expect(Buffer.from(gotS.buffer).equals(Buffer.from(got.buffer))).toBe(true);
    });
  }

  it('exp handles the extremes exactly: overflow, underflow, denormal results', async () => {
    const run = await compileMap(vm.expV, undefined, 8);
    const got = run(Float32Array.from([89, 1000, -104, -1000, Infinity, -Infinity, 0, -100]));
    expect([...got.slice(0, 7)]).toEqual([Infinity, Infinity, 0, 0, Infinity, 0, 1]);
    expect(got[7]).toBeGreaterThan(0); // e^-100 = 3.7e-44 is a denormal
    expect(Math.abs(got[7]! - Math.exp(-100))).toBeLessThanOrEqual(2 ** -149);
  });

  it('log special values: 0, negative, +inf, NaN, denormals', async () => {
    const run = await compileMap(vm.logV, undefined, 8);
    const got = run(Float32Array.from([0, -0, -1, Infinity, -Infinity, NaN, 1.4e-45, 1]));
    expect(got[0]).toBe(-Infinity);
    expect(got[1]).toBe(-Infinity);
    expect(got[2]).toBeNaN();
    expect(got[3]).toBe(Infinity);
    expect(got[4]).toBeNaN();
    expect(got[5]).toBeNaN();
    expect(got[6]).toBeCloseTo(Math.log(2 ** -149), 4);
    expect(got[7]).toBe(0);
  });

  it('sigmoid, tanh and erf saturate without overflow', async () => {
    const xs = Float32Array.from([1e30, -1e30, Infinity, -Infinity, 100, -100]);
    const s = (await compileMap(vm.sigmoidV, undefined, 6))(xs);
    expect([...s]).toEqual([1, 0, 1, 0, 1, Math.fround(sigmoid(-100))]);
    const t = (await compileMap(vm.tanhV, undefined, 6))(xs);
    expect([...t]).toEqual([1, -1, 1, -1, 1, -1]);
    const e = (await compileMap(vm.erfV, undefined, 6))(xs);
    expect([...e]).toEqual([1, -1, 1, -1, 1, -1]);
  });
});

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const ACTIVATION_TRUTH: Record<string, [readonly number[], (x: number) => number]> = {
  None: [[], (x) => x],
  Relu: [[], (x) => (x < 0 ? 0 : x)],
  Clip: [[-1.5, 2.25], (x) => (x < -1.5 ? -1.5 : x > 2.25 ? 2.25 : x)],
  Sigmoid: [[], sigmoid],
  Tanh: [[], Math.tanh],
  SiLU: [[], (x) => x * sigmoid(x)],
  HardSigmoid: [[], (x) => Math.max(0, Math.min(1, 0.2 * x + 0.5))],
  HardSwish: [[], (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))],
  LeakyRelu: [[0.1], (x) => (x < 0 ? 0.1 * x : x)],
  Gelu: [[], (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2))],
  GeluTanh: [[], (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))],
};

describe('applyActivationV / applyActivationS', () => {
  const xs = sweep(-12, 12, 20000, [0, -0, 1e-20, -1e-20, 50, -50, 1e6, -1e6]);
  for (const [name, [params, truth]] of Object.entries(ACTIVATION_TRUTH)) {
    it(`${name} matches the reference formula`, async () => {
      const run = await compileMap(
        (fn, x) => act.applyActivationV(fn, name, params, x),
        (fn, x) => act.applyActivationS(fn, name, params, x),
        xs.length,
      );
      const got = run(xs);
      let worst = 0;
      for (let i = 0; i < xs.length; i++) {
        const t = truth(xs[i]!);
        // relative above 1, absolute below: alpha x + beta and the GELUs' arguments lose relative accuracy near
        // their zeros in any f32 evaluation (the functions themselves are checked relatively above)
        worst = Math.max(worst, Math.abs(got[i]! - t) / Math.max(Math.abs(t), 1));
      }
      console.log(`activation ${name}: max error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(3e-7);
      expect(Buffer.from(run(xs, true).buffer).equals(Buffer.from(got.buffer))).toBe(true);
    });
  }

  it('Gelu stays accurate where 1 + erf cancels (x down to -5: relative error, not absolute)', async () => {
    const run = await compileMap((fn, x) => act.applyActivationV(fn, 'Gelu', [], x), undefined, 3);
    const xs = Float32Array.from([-3, -4, -5]);
    const got = run(xs);
    for (let i = 0; i < xs.length; i++) {
      const t = 0.5 * xs[i]! * (1 - erf(-xs[i]! * Math.SQRT1_2));
      expect(Math.abs(got[i]! - t) / Math.abs(t)).toBeLessThan(1e-5);
    }
  });

  it('reports bad activations for check() and fills in defaults', () => {
    expect(act.activationUnsupported('Swish', [])).toMatch(/not one of/);
    expect(act.activationUnsupported('LeakyRelu', [])).toBeNull();
    expect(act.activationUnsupported('Clip', [1])).toMatch(/takes 2/);
  });
});
