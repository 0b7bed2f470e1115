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

/** `op` over graph inputs of one dtype and these shapes, with seeded random values. */
function typed(name: string, op: string, dtype: DType, shapes: number[][]): KernelCase {
  return { name, tolerance: { wasm: 0, rvv: 0 }, build: (b) => b.output(b.op(op, shapes.map((s, i) => b.input('abcd'[i]!, { dtype, shape: s })), {}, 'y')) };
}

/** Integer arithmetic at the edges: division by zero and toward zero, |INT_MIN|, Pow with negative exponents. */
function integerEdges(): KernelCase[] {
  const xs = [-128, -7, -1, 0, 1, 7, 127, 100, -100, 5, -5, 3, 2, -2, 64, -64, 9];
  const ys = [3, 2, 0, 5, -1, -2, 1, 0, 7, -3, 2, 4, 6, -1, 3, 2, -9];
  const feeds = (dtype: DType) => () => ({ a: makeTensor(dtype, [17], xs), b: makeTensor(dtype, [17], ys) });
  const two = (dtype: DType) => (b: Parameters<KernelCase['build']>[0]) => [b.input('a', { dtype, shape: [17] }), b.input('b', { dtype, shape: [17] })];
  return [
    { name: 'Div i8 (toward zero, x / 0 = 0)', tolerance: { wasm: 0, rvv: 0 }, feeds: feeds('i8'), build: (b) => b.output(b.op('Div', two('i8')(b), {}, 'y')) },
    {
      name: 'Abs and Neg i8 (INT_MIN wraps)',
      tolerance: { wasm: 0, rvv: 0 },
      feeds: feeds('i8'),
      build: (b) => {
        const [a] = two('i8')(b);
        b.output(b.op('Abs', [a!], {}, 'y'), b.op('Neg', [a!], {}, 'z'));
      },
    },
    {
      name: 'Pow i32 ** i32 (negative exponents)',
      tolerance: { wasm: 0, rvv: 0 },
      feeds: () => ({ a: makeTensor('i32', [17], xs.map((x) => Math.sign(x) * Math.min(Math.abs(x), 9))), b: makeTensor('i32', [17], ys) }),
      build: (b) => b.output(b.op('Pow', two('i32')(b), {}, 'y')),
    },
  ];
}

/**
 * Integer elements over their whole range: extremes (overflowing sums and products must wrap), zero (an
 * integer Div by zero gives 0), negatives (Div truncates toward zero). 64-bit values reach past 2^32 (the high
 * word) but keep results below 2^53, where the reference, which computes in doubles, is exact: large values
 * in the first operand only, the others within +-12345.
 */
function integers(dtype: DType, n: number, salt: number): (number | bigint)[] {
  const bits = Number(dtype.slice(1));
  const [lo, hi] = dtype.startsWith('u') ? [0, 2 ** bits - 1] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
  const picks = [0, 1, 2, 3, 7, -1, -2, -7, lo, hi, lo + 1, hi - 1, 100, -100, 12345, -12345];
  return Array.from({ length: n }, (_, i) => {
    const v = picks[(i * 5 + salt) % picks.length]!;
    if (bits < 64) return Math.min(Math.max(v, lo), hi);
    const small = BigInt(Math.max(-12345, Math.min(12345, dtype === 'u64' ? Math.abs(v) : v)));
    if (salt !== 0 || i % 4 !== 0) return small;
    const big = BigInt((i * 7919) % 100) * 4294967311n + BigInt(i % 3);
    return dtype === 'i64' && i % 8 === 0 ? -big : big;
  });
}

/** An integer op on given values of one dtype, compared exactly. */
function integerCase(op: string, dtype: DType, shapes: number[][], attrs: Record<string, number> = {}): KernelCase {
  const names = shapes.map((_, k) => `x${k}`);
  return {
    name: `${op} ${dtype} ${shapes.map((s) => `[${s}]`).join(' ')}`,
    comparison: 'exact',
    feeds: () => Object.fromEntries(shapes.map((shape, k) => [names[k], makeTensor(dtype, shape, integers(dtype, shape.reduce((a, b) => a * b, 1), 3 * k) as number[])])),
    build: (b) => b.output(b.op(op, shapes.map((shape, k) => b.input(names[k]!, { dtype, shape })), attrs, 'y')),
  };
}

function integerCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const dtype of ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64'] as DType[]) {
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) cases.push(integerCase(op, dtype, [[3, 16], [16]]));
    cases.push(integerCase('Max', dtype, [[2, 8], [8], [2, 1]]));
    cases.push(integerCase('Min', dtype, [[5, 7], [5, 1]]));
  }
  for (const dtype of ['i8', 'i32', 'i64'] as DType[]) {
    cases.push(integerCase('Neg', dtype, [[20]]));
    cases.push(integerCase('Abs', dtype, [[20]]));
    cases.push(integerCase('Relu', dtype, [[20]]));
  }
  cases.push(integerCase('Sum', 'i16', [[4, 6], [6], [4, 1]]));
  for (const dtype of ['i16', 'u16', 'u32', 'i64', 'u64'] as DType[]) {
    for (const op of ['Equal', 'Less', 'Greater']) cases.push(integerCase(op, dtype, [[4, 8], [8]]));
  }
  for (const dtype of ['i8', 'u16', 'i64'] as DType[]) {
    cases.push({
      name: `Where on ${dtype} (broadcast)`,
      comparison: 'exact',
      feeds: () => ({ a: makeTensor(dtype, [3, 5], integers(dtype, 15, 0) as number[]), b: makeTensor(dtype, [5], integers(dtype, 5, 4) as number[]) }),
      build: (b) => {
        const [a, c] = [b.input('a', { dtype, shape: [3, 5] }), b.input('b', { dtype, shape: [5] })];
        b.output(b.op('Where', [b.op('Less', [a, c], {}, 'lt'), a, c], {}, 'y'));
      },
    });
  }
  for (const dtype of ['i8', 'u16', 'i64'] as DType[]) {
    cases.push({
      name: `Clip ${dtype} with bounds, and with the upper bound only`,
      comparison: 'exact',
      feeds: () => ({ x: makeTensor(dtype, [24], integers(dtype, 24, 1) as number[]) }),
      build: (b) => {
        const x = b.input('x', { dtype, shape: [24] });
        const bound = (name: string, v: number) => b.constant(name, makeTensor(dtype, [], dtype.endsWith('64') ? [BigInt(v)] : [v]));
        b.output(b.op('Clip', [x, bound('lo', 2), bound('hi', 100)], {}, 'y'), b.op('Clip', [x, null, bound('hi2', 7)], {}, 'z'));
      },
    });
  }
  for (const dtype of ['i32', 'i64', 'u32'] as DType[]) {
    const xs = [2, 3, -3, 0, 1, -1, 7, -2, 5, 10, 2, -1].map((x) => (dtype === 'u32' ? Math.abs(x) : x));
    const ys = [0, 1, 2, 3, 5, 7, 4, 3, 13, 9, 31, 6].map((y, i) => (dtype === 'u32' || i % 5 !== 4 ? y : -y));
    const vals = (v: number[]) => (dtype === 'i64' ? v.map(BigInt) : v) as number[];
    cases.push({
      name: `Pow ${dtype} ** ${dtype} (wrapping, negative exponents)`,
      comparison: 'exact',
      feeds: () => ({ x: makeTensor(dtype, [12], vals(xs)), y: makeTensor(dtype, [12], vals(ys)) }),
      build: (b) => b.output(b.op('Pow', [b.input('x', { dtype, shape: [12] }), b.input('y', { dtype, shape: [12] })], {}, 'z')),
    });
  }
  return cases;
}

/**
 * Cast between every kind of element: floats with NaN, infinities, halfway and subnormal values, values beyond
 * the 32-bit range (float-to-integer casts truncate and wrap), negatives into unsigned types; integers of every
 * width into floats and each other (sign- or zero-extended), and into bool.
 */
const CAST_FLOATS = [0, -0, 1.5, -2.5, 0.1, 65504, 65520, 1e-7, 6e-8, -3e9, 3e9, 1e20, -1e20, 2 ** -140, NaN, Infinity, -Infinity, 255.9, -128.7, 33000.5];

function castCase(from: DType, to: DType): KernelCase {
  const values = from === 'bool' ? CAST_FLOATS.map((v) => (v ? 1 : 0)) : FLOAT_TYPES.has(from) ? CAST_FLOATS : integers(from, CAST_FLOATS.length, 1);
  return {
    name: `Cast ${from} to ${to}`,
    comparison: 'exact',
    feeds: () => ({ x: makeTensor(from, [CAST_FLOATS.length], values as number[]) }),
    build: (b) => b.output(b.op('Cast', [b.input('x', { dtype: from, shape: [CAST_FLOATS.length] })], { to }, 'y')),
  };
}

const FLOAT_TYPES = new Set<DType>(['f32', 'f16', 'bf16', 'f64']);

function castCases(): KernelCase[] {
  const all: DType[] = ['f16', 'bf16', 'f64', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'bool'];
  return [
    ...all.map((to) => castCase('f32', to)),
    ...all.map((from) => castCase(from, 'f32')),
    ...(
      [
        ['f64', 'f16'],
        ['f16', 'f64'],
        ['bf16', 'f16'],
        ['i32', 'f64'],
        ['u32', 'f64'],
        ['i64', 'i8'],
        ['i8', 'i64'],
        ['u16', 'i64'],
        ['i16', 'u32'],
        ['u64', 'i16'],
        ['bool', 'i64'],
        ['i64', 'bool'],
      ] as [DType, DType][]
    ).map(([from, to]) => castCase(from, to)),
  ];
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
    tolerance: { wasm: 1e-15, rvv: 1e-14 },
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
  typed('Add i32 broadcast', 'Add', 'i32', [[3, 5], [5]]),
  typed('Sub u8 (wrapping)', 'Sub', 'u8', [[40], [40]]),
  typed('Mul i16 broadcast', 'Mul', 'i16', [[2, 9], [2, 1]]),
  typed('Min u16 variadic', 'Min', 'u16', [[3, 4], [4], [3, 1]]),
  typed('Max i64 broadcast', 'Max', 'i64', [[5, 3], [3]]),
  typed('Add f64', 'Add', 'f64', [[2, 7], [7]]),
  typed('Equal i16 into bool', 'Equal', 'i16', [[4, 6], [6]]),
  typed('Less u32 into bool', 'Less', 'u32', [[33], [33]]),
  typed('Greater f64 into bool', 'Greater', 'f64', [[3, 3], [3, 1]]),
  {
    name: 'Where i64 (broadcast)',
    tolerance: { wasm: 0, rvv: 0 },
    build: (b) => {
      const [a, c] = [b.input('a', [3, 4, 5]), b.input('c', [4, 1])];
      const [x, y] = [b.input('x', { dtype: 'i64', shape: [4, 5] }), b.input('z', { dtype: 'i64', shape: [3, 1, 5] })];
      b.output(b.op('Where', [b.op('Greater', [a, c], {}, 'gt'), x, y], {}, 'y'));
    },
  },
  ...integerEdges(),
  { name: 'Log of Abs', build: (b) => b.output(b.op('Log', [b.op('Abs', [b.input('x', [40])])], {}, 'y')) },
  unary('Floor', 'Floor', [37]),
  unary('Ceil', 'Ceil', [37]),
  ...integerCases(),
  ...castCases(),
  dropout(false),
  dropout(true),
]);
