import { describe, expect, it } from 'vitest';
import type { Attributes, Tensor } from '../../ir/index.js';
import { exprCall, exprLiteral, exprOperand, formatExpression, parseExpression } from '../../ir/ops/expression.js';
import { inferTypes, nums, run1, runOp, t } from './run-op.js';

/** The fused ops' schemas (activation and expression validation) and reference kernels against the unfused ops. */

/** Deterministic values in [-3, 3) so every activation sees both signs and its saturated ranges. */
function wave(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return t(shape, Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 600) / 100 - 3));
}

function expectClose(actual: number[], expected: number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `element ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]!))));
}

/** The activation as the unfused graph computes it: the standalone op run on the base op's output. */
function unfusedActivation(y: Tensor, activation: string, params: number[]): number[] {
  switch (activation) {
    case 'None':
      return nums(y);
    case 'Clip':
      return run1('Clip', [y, t([], [params[0]!]), t([], [params[1]!])]);
    case 'LeakyRelu':
      return run1('LeakyRelu', [y], { alpha: params[0]! });
    case 'HardSigmoid':
      return run1('HardSigmoid', [y], { alpha: params[0]!, beta: params[1]! });
    case 'Gelu':
      return run1('Gelu', [y]);
    case 'GeluTanh':
      return run1('Gelu', [y], { approximate: 'tanh' });
    case 'SiLU': {
      const s = run1('Sigmoid', [y]);
      return nums(y).map((v, i) => v * s[i]!);
    }
    default:
      return run1(activation, [y]);
  }
}

const ACTIVATIONS: [string, number[]][] = [
  ['None', []],
  ['Relu', []],
  ['Clip', [0, 6]],
  ['Sigmoid', []],
  ['Tanh', []],
  ['SiLU', []],
  ['HardSigmoid', [0.25, 0.4]],
  ['HardSwish', []],
  ['LeakyRelu', [0.1]],
  ['Gelu', []],
  ['GeluTanh', []],
];

describe('FusedConv', () => {
  const x = wave([1, 2, 5, 5], 1);
  const w = wave([4, 1, 3, 3], 2);
  const b = t([4], [0.5, -0.25, 1, 0]);
  const conv: Attributes = { group: 2, pads: [1, 1, 1, 1], strides: [1, 2] };
  const base = runOp('Conv', [x, w, b], conv).values[0]!;

  for (const [activation, params] of ACTIVATIONS) {
    it(`equals Conv then ${activation}`, () => {
      const attrs: Attributes = { ...conv, activation, ...(params.length ? { activation_params: params } : {}) };
      expectClose(run1('FusedConv', [x, w, b], attrs), unfusedActivation(base, activation, params));
    });
  }

  it('adds the residual Z before the activation', () => {
    const z = wave(base.shape as number[], 3);
    const sum = nums(base).map((v, i) => v + nums(z)[i]!);
    const expected = unfusedActivation(t(base.shape as number[], sum), 'Relu', []);
    expectClose(run1('FusedConv', [x, w, b, z], { ...conv, activation: 'Relu' }), expected);
  });

  it('rejects unknown activations, wrong parameter counts and a mis-shaped Z', () => {
    expect(() => inferTypes('FusedConv', [x, w, b], { activation: 'Swish' })).toThrow(/activation 'Swish' is not one of/);
    expect(() => inferTypes('FusedConv', [x, w, b], { activation: 'Clip', activation_params: [0] })).toThrow(/takes 2 activation_params/);
    expect(() => inferTypes('FusedConv', [x, w, b], { activation: 'Clip', activation_params: [6, 0] })).toThrow(/min <= max/);
    expect(() => inferTypes('FusedConv', [x, w, b, t([1, 4, 5, 5], new Array(100).fill(0))], conv)).toThrow(/residual Z/);
    expect(inferTypes('FusedConv', [x, w, b], { ...conv, activation: 'HardSigmoid' })[0]!.shape).toEqual([1, 4, 5, 3]);
  });
});

describe('FusedGemm', () => {
  const a = wave([3, 4], 4);
  const bT = wave([5, 4], 5);
  const c = t([5], [0.1, 0.2, -0.3, 0.4, -0.5]);
  const gemm: Attributes = { alpha: 0.5, beta: 2, transB: 1 };
  const base = runOp('Gemm', [a, bT, c], gemm).values[0]!;

  for (const [activation, params] of ACTIVATIONS) {
    it(`equals Gemm then ${activation}`, () => {
      const attrs: Attributes = { ...gemm, activation, ...(params.length ? { activation_params: params } : {}) };
      expectClose(run1('FusedGemm', [a, bT, c], attrs), unfusedActivation(base, activation, params));
    });
  }

  it('uses the default parameters of LeakyRelu and HardSigmoid when none are given', () => {
    expectClose(run1('FusedGemm', [a, bT, c], { ...gemm, activation: 'LeakyRelu' }), unfusedActivation(base, 'LeakyRelu', [0.01]));
    expectClose(run1('FusedGemm', [a, bT, c], { ...gemm, activation: 'HardSigmoid' }), unfusedActivation(base, 'HardSigmoid', [0.2, 0.5]));
  });
});

describe('FusedElementwise expressions', () => {
  it('parses and prints canonically', () => {
    const e = parseExpression('mul( x0,sigmoid(add(x1,1.5)) )');
    expect(e).toEqual(exprCall('mul', exprOperand(0), exprCall('sigmoid', exprCall('add', exprOperand(1), exprLiteral(1.5)))));
    expect(formatExpression(e)).toBe('mul(x0, sigmoid(add(x1, 1.5)))');
    for (const s of ['clip(x0, -inf, 6.0)', 'pow(x0, 2.0)', 'add(x0, 1e-7)', 'hard_sigmoid(x2, 0.2, 0.5)', 'neg(x10)']) {
      expect(formatExpression(parseExpression(s))).toBe(s);
    }
  });

  it('names the problem in a bad expression', () => {
    expect(() => parseExpression('mul(x0)')).toThrow(/takes 2 arguments, got 1/);
    expect(() => parseExpression('swish(x0)')).toThrow(/unknown expression op 'swish'/);
    expect(() => parseExpression('add(x0, x1) x2')).toThrow(/unexpected text after the expression/);
    expect(() => parseExpression('add(x0, x1')).toThrow(/expected '\)'/);
    expect(() => parseExpression('add(x0, $)')).toThrow(/unexpected '\$'/);
  });

  it('validates operands and canonical form in shape inference and broadcasts', () => {
    const f = { dtype: 'f32' as const, shape: [2, 1, 4] };
    const g = { dtype: 'f32' as const, shape: [3, 1] };
    expect(inferTypes('FusedElementwise', [f, g], { expression: 'add(x0, relu(x1))' })[0]!.shape).toEqual([2, 3, 4]);
    expect(() => inferTypes('FusedElementwise', [f, g], { expression: 'add(x0,relu(x1))' })).toThrow(/not in canonical form 'add\(x0, relu\(x1\)\)'/);
    expect(() => inferTypes('FusedElementwise', [f], { expression: 'add(x0, x1)' })).toThrow(/reads x1 but the node has 1 operands/);
    expect(() => inferTypes('FusedElementwise', [f, g], { expression: 'exp(x0)' })).toThrow(/operand 1 is not read/);
    expect(() => inferTypes('FusedElementwise', [{ dtype: 'i32', shape: [2] }], { expression: 'neg(x0)' })).toThrow(/floating point/);
    expect(() => inferTypes('FusedElementwise', [f, { dtype: 'f32', shape: [3] }], { expression: 'add(x0, x1)' })).toThrow(/do not broadcast/);
  });
});

describe('FusedElementwise kernel', () => {
  it('evaluates the tree with broadcasting', () => {
    const x = t([2, 3], [-2, -1, 0, 1, 2, 3]);
    const u = t([3], [0.5, -0.5, 1]);
    const expected = nums(x).map((v, i) => v * (1 / (1 + Math.exp(-(nums(u)[i % 3]! + 1.5)))));
    expectClose(run1('FusedElementwise', [x, u], { expression: 'mul(x0, sigmoid(add(x1, 1.5)))' }), expected);
  });

  it('covers every operator', () => {
    const x = t([6], [-2.5, -1, -0.25, 0.25, 1, 2.5]);
    const pos = [2.5, 1, 0.25, 0.25, 1, 2.5];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const cases: [string, (v: number, i: number) => number][] = [
      ['sub(x0, 1.0)', (v) => v - 1],
      ['div(x0, 4.0)', (v) => v / 4],
      ['pow(abs(x0), 2.0)', (v) => v * v],
      ['max(x0, 0.5)', (v) => Math.max(v, 0.5)],
      ['min(x0, 0.5)', (v) => Math.min(v, 0.5)],
      ['neg(x0)', (v) => -v],
      ['exp(x0)', Math.exp],
      ['log(abs(x0))', (_, i) => Math.log(pos[i]!)],
      ['sqrt(abs(x0))', (_, i) => Math.sqrt(pos[i]!)],
      ['reciprocal(x0)', (v) => 1 / v],
      ['floor(x0)', Math.floor],
      ['ceil(x0)', Math.ceil],
      ['tanh(x0)', Math.tanh],
      ['sigmoid(x0)', sig],
      ['relu(x0)', (v) => Math.max(v, 0)],
      ['clip(x0, -1.0, 1.0)', (v) => Math.min(1, Math.max(-1, v))],
      ['leaky_relu(x0, 0.5)', (v) => (v < 0 ? 0.5 * v : v)],
      ['hard_sigmoid(x0, 0.2, 0.5)', (v) => Math.max(0, Math.min(1, 0.2 * v + 0.5))],
      ['hard_swish(x0)', (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))],
      ['gelu_tanh(x0)', (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
    ];
    for (const [expression, fn] of cases) expectClose(run1('FusedElementwise', [x], { expression }), nums(x).map(fn), 1e-6);
    expectClose(run1('FusedElementwise', [x], { expression: 'gelu(x0)' }), run1('Gelu', [x]));
    expectClose(run1('FusedElementwise', [x], { expression: 'erf(x0)' }), run1('Erf', [x]));
  });

  it('rounds literals to the operand type, as a constant of that type would be', () => {
    // 0.1 is not an f32: the literal means fround(0.1), so x * 0.1 matches Mul by an f32 constant exactly.
    const x = t([1], [3]);
    expect(run1('FusedElementwise', [x], { expression: 'mul(x0, 0.1)' })).toEqual(run1('Mul', [x, t([], [0.1])]));
  });
});
