import { makeTensor, type DType, type Tensor } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';
import { nary, unary } from './shapes.js';

/**
 * Elementwise ops: broadcasting binaries and variadics, activations, NaN propagation, comparisons into bool and
 * Where, FusedElementwise expression trees, Pow with exponents of other dtypes, Dropout's mask.
 */

/** x ** y with given values (f32 base and an integer exponent, or an integer base and an f32 exponent). */
function pow(name: string, base: DType, exponent: DType, x: [number[], (number | bigint)[]], y: [number[], (number | bigint)[]], tolerance: number): KernelCase {
  return {
    name,
    comparison: 'elementwise',
    tolerance: { wasm: tolerance },
    feeds: (): Record<string, Tensor> => ({ x: makeTensor(base, x[0], x[1] as number[]), y: makeTensor(exponent, y[0], y[1] as number[]) }),
    build: (b) => b.output(b.op('Pow', [b.input('x', { dtype: base, shape: x[0] }), b.input('y', { dtype: exponent, shape: y[0] })], {}, 'z')),
  };
}

function powCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const exponent of ['i32', 'u32', 'i64', 'u64', 'i8', 'u16'] as DType[]) {
    const signed = !exponent.startsWith('u');
    const wide = exponent.endsWith('64');
    const ys = Array.from({ length: 11 }, (_, i) => (signed ? i - 4 : i));
    const xs = Array.from({ length: 11 }, (_, i) => (i - 5) * 0.75 + 0.1);
    cases.push(pow(`Pow f32 ** ${exponent} elementwise`, 'f32', exponent, [[11], xs], [[11], wide ? ys.map(BigInt) : ys], 1e-5));
    cases.push(pow(`Pow f32 ** ${exponent} broadcast scalar`, 'f32', exponent, [[2, 11], [...xs, ...xs]], [[1], wide ? [3n] : [3]], 1e-5));
  }
  for (const base of ['i32', 'i64'] as DType[]) {
    const xs = [1, 2, 3, -3, 4, 9, 16, 0, 7, -1, -2, 5, 100, 10, 8, 2];
    const ys = [1, 2, 3, 3, 0.5, 0.5, 0.25, 2, -1, -3, 5, 1.5, 0.5, 9, 1 / 3, 30];
    cases.push(pow(`Pow ${base} ** f32 (fractional exponents truncated)`, base, 'f32', [[16], base === 'i64' ? xs.map(BigInt) : xs], [[16], ys], 0));
  }
  return cases;
}

/** Dropout in inference: x passes through (then Relu), the mask is all true. */
function dropout(withRatio: boolean): KernelCase {
  return {
    name: `Dropout mask ${withRatio ? 'with' : 'without'} a ratio`,
    tolerance: { wasm: 0 },
    feeds: () => ({ x: makeTensor('f32', [3, 7], Array.from({ length: 21 }, (_, i) => i - 10)) }),
    build: (b) => {
      const ratio = withRatio ? b.scalar('ratio', 0.25) : null;
      const [y, mask] = b.node('Dropout', [b.input('x', [3, 7]), ratio, null], { seed: 0 }, ['y', 'mask']);
      b.output(b.op('Relu', [y!], {}, 'z'), mask!);
    },
    expectOutputs: (outputs) => {
      if (Array.from(outputs.mask!.data as Uint8Array).some((v) => v !== 1)) throw new Error('the Dropout mask is not all true');
    },
  };
}

/** f64 Exp or Log over values spanning the range: specials, subnormals, overflow and underflow. */
function f64Math(op: 'Exp' | 'Log'): KernelCase {
  const values =
    op === 'Exp'
      ? [0, -0, 1, -1, 0.5, 1e-10, 20.25, -20.25, 300, -300, 709.7, 710, -708, -740, -746, Infinity, -Infinity, NaN, 88.8, -103.5]
      : [1, 2, 0.5, Math.E, 1e-300, 3e-320, 1e300, 1 + 1e-12, 0.999999, 0, -0, -1, Infinity, -Infinity, NaN, 7.25, 1e-10, 123456.789, 0.1, 1.5];
  return {
    name: `${op} f64 across the range`,
    comparison: 'elementwise',
    tolerance: { wasm: 1e-15 },
    feeds: () => ({ x: makeTensor('f64', [4, 5], values) }),
    build: (b) => b.output(b.op(op, [b.input('x', { dtype: 'f64', shape: [4, 5] })], {}, 'y')),
  };
}

/** `op` on 2-byte floats: computed in f32 lanes, each result rounded once to the half type (vector body and tail). */
function half(op: string, dtype: 'f16' | 'bf16', shapes: number[][], tolerance: number): KernelCase {
  return {
    name: `${op} ${dtype} ${shapes.map((s) => `[${s}]`).join(' ')}`,
    comparison: 'elementwise',
    tolerance: { wasm: tolerance },
    build: (b) => b.output(b.op(op, shapes.map((shape, i) => b.input('abc'[i]!, { dtype, shape })), {}, 'y')),
  };
}

export const ELEMENTWISE = family('elementwise', [
  // Min, Max, Mul and Less of halves are exact in f32, so rounding once gives the reference's value.
  half('Mul', 'f16', [[3, 7], [7]], 0),
  half('Max', 'f16', [[2, 9], [2, 9], [9]], 0),
  half('Min', 'bf16', [[11], [11]], 0),
  half('Less', 'f16', [[5, 3], [5, 3]], 0),
  // One f16 ulp is 2^-10 of the value: a result within it of the reference's.
  half('Exp', 'f16', [[4, 5]], 2 ** -10),
  half('Add', 'bf16', [[6], [2, 6]], 2 ** -7),
  f64Math('Exp'),
  f64Math('Log'),
  nary('Add broadcast [2,3,4,5] + [3,1,5]', 'Add', [[2, 3, 4, 5], [3, 1, 5]]),
  nary('Add broadcast [2,3,4] + [3,1]', 'Add', [[2, 3, 4], [3, 1]]),
  nary('Sub scalar', 'Sub', [[7, 3], [1]]),
  nary('Mul', 'Mul', [[70], [70]]),
  nary('Div broadcast first', 'Div', [[1, 4], [3, 4]]),
  nary('Max variadic', 'Max', [[3, 5], [5], [3, 1]]),
  nary('Mean', 'Mean', [[4, 4], [4, 4]]),
  nary('Mean of 3 broadcast', 'Mean', [[2, 3], [3], [2, 1]]),
  nary('Sum broadcast', 'Sum', [[2, 3], [3]]),
  {
    name: 'Max / Min / Clip propagate NaN',
    build: (b) => {
      const x = b.input('x', [6]);
      const special = b.constant('c', makeTensor('f32', [6], [NaN, 0.5, -3, NaN, 2, -0.25]));
      const max = b.op('Max', [x, special]);
      const min = b.op('Min', [special, x]);
      const clip = b.op('Clip', [special, b.scalar('lo', -1), b.scalar('hi', 1)]);
      b.output(b.op('Concat', [max, min, clip], { axis: 0 }, 'y'));
    },
  },
  unary('Relu', 'Relu', [3, 33]),
  unary('Sigmoid', 'Sigmoid', [100]),
  unary('Tanh', 'Tanh', [100]),
  unary('Exp', 'Exp', [50]),
  unary('Erf', 'Erf', [64]),
  { name: 'Sqrt of Abs', build: (b) => b.output(b.op('Sqrt', [b.op('Abs', [b.input('x', [40])])], {}, 'y')) },
  unary('Gelu tanh', 'Gelu', [45], { approximate: 'tanh' }),
  unary('LeakyRelu', 'LeakyRelu', [30], { alpha: 0.2 }),
  unary('HardSigmoid', 'HardSigmoid', [30], { alpha: 0.3, beta: 0.4 }),
  nary('PRelu [2,3,4] slope [3,1]', 'PRelu', [[2, 3, 4], [3, 1]]),
  { name: 'PRelu constant slope', build: (b) => b.output(b.op('PRelu', [b.input('a', [2, 3, 4]), b.weights('slope', [3, 1])], {}, 'y')) },
  { name: 'Clip upper bound only', build: (b) => b.output(b.op('Clip', [b.input('x', [25]), null, b.scalar('hi', 0.5)], {}, 'y')) },
  { name: 'Pow constant exponent 3', build: (b) => b.output(b.op('Pow', [b.input('a', [5, 6]), b.scalar('e', 3)], {}, 'y')) },
  nary('FusedElementwise mul(sigmoid, add)', 'FusedElementwise', [[3, 10], [10]], { expression: 'mul(sigmoid(x0), add(x1, -1.5))' }),
  nary('FusedElementwise gelu sigmoid tanh div', 'FusedElementwise', [[4, 9], [9]], { expression: 'add(gelu(x0), mul(sigmoid(x1), div(tanh(x0), add(abs(x1), 1.0))))' }),
  unary('FusedElementwise clip erf hard_sigmoid', 'FusedElementwise', [64], { expression: 'clip(add(erf(x0), hard_sigmoid(x0, 0.2, 0.5)), -0.5, 1.5)' }),
  {
    name: 'Less into Where (broadcast)',
    build: (b) => {
      const [a, c] = [b.input('a', [3, 4, 5]), b.input('c', [4, 1])];
      b.output(b.op('Where', [b.op('Less', [a, c], {}, 'lt'), a, c], {}, 'y'));
    },
  },
  nary('Greater into bool (broadcast)', 'Greater', [[2, 7], [7]]),
  ...powCases(),
  dropout(false),
  dropout(true),
]);
