import { makeTensor, type Attributes } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';
import { unary } from './shapes.js';

/**
 * Softmax / LogSoftmax along every kind of axis (and large inputs: max-subtract), BatchNormalization with
 * constant and run-time parameters, InstanceNormalization, LayerNormalization (last axis, several axes,
 * broadcast Scale/B, Mean/InvStdDev outputs, long rows), LRN (odd and even windows, fewer channels than the
 * window, each form of the power: beta 1, 1/2, 3/4 and others).
 */

/** Deterministic, varied constants (positive where variances need to be). */
function values(n: number, scale: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => offset + scale * Math.sin(1.7 * i + 0.3));
}

const SOFTMAX_AXES: [number[], number][] = [
  [[3, 10], -1],
  [[2, 1000], 1],
  [[4, 7], 1],
  [[2, 3, 5], 1],
  [[2, 3, 5], 0],
  [[2, 6, 9], 1],
  [[1, 12, 3], -2],
  [[5], 0],
  [[2, 3, 2], 2],
  [[1, 4, 300], 1],
];

function softmaxCases(): KernelCase[] {
  return ['Softmax', 'LogSoftmax'].flatMap((op) => [
    ...SOFTMAX_AXES.map(([shape, axis]) => unary(`${op} [${shape}] axis ${axis}`, op, shape, { axis })),
    { name: `${op} of large inputs (max-subtract)`, build: (b) => b.output(b.op(op, [b.op('Mul', [b.input('x', [3, 17]), b.constant('big', makeTensor('f32', [1], [500]))], {}, 'xs')], { axis: 1 }, 'y')) },
  ]);
}

function batchNorm(shape: number[], constantParams: boolean, epsilon = 1e-5): KernelCase {
  return {
    name: `BatchNormalization [${shape}] ${constantParams ? 'constant' : 'run-time'} parameters`,
    build: (b) => {
      const c = shape[1]!;
      const params = [['scale', values(c, 0.5, 1)], ['B', values(c, 0.3)], ['mean', values(c, 0.2)], ['var', values(c, 0.4, 0.6)]] as const;
      const operands = params.map(([name, v]) => (constantParams ? b.constant(name, makeTensor('f32', [c], v)) : b.op('Abs', [b.input(name, [c])], {}, `${name}_abs`)));
      b.output(b.op('BatchNormalization', [b.input('x', shape), ...operands], { epsilon }, 'y'));
    },
  };
}

function instanceNorm(shape: number[]): KernelCase {
  return {
    name: `InstanceNormalization [${shape}]`,
    build: (b) => {
      const c = shape[1]!;
      const scale = b.constant('scale', makeTensor('f32', [c], values(c, 0.5, 1)));
      b.output(b.op('InstanceNormalization', [b.input('x', shape), scale, b.constant('B', makeTensor('f32', [c], values(c, 0.3)))], { epsilon: 1e-4 }, 'y'));
    },
  };
}

interface LayerNormSpec {
  bias?: boolean;
  /** How many of Mean and InvStdDev are outputs too. */
  stats?: 0 | 1 | 2;
  scaleShape?: number[];
  scaleInput?: boolean;
}

function layerNorm(shape: number[], axis: number, opts: LayerNormSpec = {}, options: Partial<KernelCase> = {}): KernelCase {
  const a = axis < 0 ? axis + shape.length : axis;
  const normShape = opts.scaleShape ?? shape.slice(a);
  const n = normShape.reduce((p, d) => p * d, 1);
  return {
    name: `LayerNormalization [${shape}] axis ${axis}${opts.scaleInput ? ' run-time scale' : ''}${opts.bias === false ? ' no bias' : ''}${opts.scaleShape ? ` scale [${opts.scaleShape}]` : ''}${opts.stats ? ` ${opts.stats} statistics out` : ''}`,
    ...options,
    build: (b) => {
      const scale = opts.scaleInput ? b.input('scale', normShape) : b.constant('scale', makeTensor('f32', normShape, values(n, 0.5, 1)));
      const bias = opts.bias === false ? null : b.constant('B', makeTensor('f32', normShape, values(n, 0.3)));
      const outs = ['y', 'mean', 'inv'].slice(0, 1 + (opts.stats ?? 0));
      b.output(...b.node('LayerNormalization', [b.input('x', shape), scale, bias], { axis, epsilon: 1e-5 } as Attributes, outs));
    },
  };
}

function lrn(shape: number[], attrs: { size: number; alpha?: number; beta?: number; bias?: number }): KernelCase {
  const given = Object.entries(attrs).map(([k, v]) => `${k} ${v}`).join(' ');
  return { name: `LRN [${shape}] ${given}`, build: (b) => b.output(b.op('LRN', [b.input('x', shape)], attrs, 'y')) };
}

export const NORM = family('norm', [
  ...softmaxCases(),
  ...[[1, 3, 5, 5], [2, 8, 7], [2, 5], [1, 16, 1, 13]].map((shape) => batchNorm(shape, true, 1e-3)),
  batchNorm([2, 4, 3, 5], false),
  ...[[2, 3, 5, 5], [1, 4, 37], [1, 2, 64, 64], [3, 2, 1, 3]].map(instanceNorm),
  ...[[2, 5, 64], [3, 768], [4, 7], [1, 3, 33]].flatMap((shape) => [layerNorm(shape, -1), layerNorm(shape, -1, { bias: false, scaleInput: true })]),
  layerNorm([2, 3, 4, 5], 1),
  layerNorm([2, 3, 4, 5], 2, { scaleShape: [1, 5] }),
  layerNorm([2, 3, 4, 5], -2, { stats: 2 }),
  layerNorm([6, 10], 1, { stats: 1 }),
  layerNorm([2, 3, 4, 5], 0, { stats: 2, scaleShape: [4, 1] }),
  // Long rows stay accurate (blocked sums).
  layerNorm([2, 20000], -1, {}, { tolerance: { wasm: 2e-6 } }),
  lrn([1, 3, 5, 5], { size: 5 }),
  lrn([1, 3, 5, 5], { size: 5, alpha: 2, beta: 0.75, bias: 0.5 }),
  lrn([2, 8, 7, 6], { size: 3, alpha: 0.5, beta: 0.5, bias: 2 }),
  lrn([1, 6, 4, 5], { size: 4, alpha: 1, beta: 0.6, bias: 1.5 }),
  lrn([1, 2, 3, 3], { size: 6, alpha: 3, beta: 1.3, bias: 1 }),
  lrn([2, 5, 9], { size: 2, alpha: 1.5, beta: 1, bias: 1 }),
  lrn([1, 16, 13, 13], { size: 5, alpha: 1e-4, beta: 0.75, bias: 1 }),
  lrn([1, 32, 3, 1, 2], { size: 7, alpha: 0.8, beta: 0.9, bias: 1.1 }),
  {
    name: 'Softmax f16 [3,37] (computed in f32)',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -10 },
    build: (b) => b.output(b.op('Softmax', [b.input('x', { dtype: 'f16', shape: [3, 37] })], { axis: -1 }, 'y')),
  },
  ...(['Softmax', 'LogSoftmax'] as const).map(
    (op): KernelCase => ({
      name: `${op} f64 middle axis`,
      comparison: 'elementwise',
      tolerance: { wasm: 1e-14 },
      build: (b) => b.output(b.op(op, [b.input('x', { dtype: 'f64', shape: [2, 9, 3] })], { axis: 1 }, 'y')),
    }),
  ),
]);
