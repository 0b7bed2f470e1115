import { makeTensor, type Attributes, type DType } from '../../../ir/index.js';
import { int8Tensor, seededNumbers } from '../../support/seeded-random.js';
import { family, type KernelCase } from '../case.js';
import { unary } from './shapes.js';

/**
 * Pooling: MaxPool / AveragePool in 1-D, 2-D and 3-D (padding, strides, dilation, ceil_mode, auto_pad,
 * count_include_pad, windows wholly in padding), MaxPool's Indices output, 8-bit MaxPool, global pools.
 */

/** MaxPool with its Indices output (i64). */
function withIndices(name: string, shape: number[], attrs: Attributes, options: Partial<KernelCase> = {}): KernelCase {
  return {
    name,
    tolerance: { wasm: 0 },
    ...options,
    build: (b) => {
      const [y, i] = b.node('MaxPool', [b.input('x', shape)], attrs, ['y', 'indices']);
      b.output(y!, i!);
    },
  };
}

/** MaxPool on 8-bit integers: exact everywhere. */
function maxPool8(dtype: DType, shape: number[], attrs: Attributes): KernelCase {
  return {
    name: `MaxPool ${dtype} ${JSON.stringify(shape)} ${JSON.stringify(attrs)}`,
    comparison: 'exact',
    feeds: () => ({ x: int8Tensor(seededNumbers(23), dtype, shape) }),
    build: (b) => b.output(b.op('MaxPool', [b.input('x', { dtype, shape })], attrs, 'y')),
  };
}

/** 2-D windows: plain, padded, strided (1, 2, 3), dilated, ceil_mode, auto_pad, asymmetric pads. */
const WINDOWS_2D: Attributes[] = [
  { kernel_shape: [2, 2], strides: [2, 2] },
  { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
  { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
  { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 },
  { kernel_shape: [2, 3], strides: [1, 3], pads: [1, 0, 0, 2] },
  { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { kernel_shape: [3, 2], dilations: [1, 2], strides: [2, 1] },
  { kernel_shape: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2] },
  { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
  { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER' },
  { kernel_shape: [3, 3], auto_pad: 'VALID', strides: [1, 2] },
  { kernel_shape: [1, 1], strides: [2, 2] },
];

const SHAPES_2D = [
  [1, 2, 9, 13],
  [2, 3, 8, 8],
  [1, 1, 5, 30],
  [1, 4, 17, 6],
];

/** Every 2-D shape x window: MaxPool, AveragePool (undilated windows) with and without count_include_pad. */
function sweep2d(): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const [op, includePad] of [['MaxPool', false], ['AveragePool', false], ['AveragePool', true]] as const) {
    for (const shape of SHAPES_2D) {
      WINDOWS_2D.forEach((window, i) => {
        if (op === 'AveragePool' && window.dilations) return;
        const attrs = includePad ? { ...window, count_include_pad: 1 } : window;
        cases.push(unary(`${op}${includePad ? ' count_include_pad' : ''} ${JSON.stringify(shape)} window ${i} ${JSON.stringify(window)}`, op, shape, attrs));
      });
    }
  }
  return cases;
}

/** 3-D windows: plain, padded, strided, dilated, ceil_mode, asymmetric pads, auto_pad. */
const WINDOWS_3D: Attributes[] = [
  { kernel_shape: [2, 2, 2] },
  { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] },
  { kernel_shape: [3, 2, 3], strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1] },
  { kernel_shape: [3, 3, 3], strides: [2, 2, 2], ceil_mode: 1 },
  { kernel_shape: [2, 2, 2], dilations: [2, 1, 2], pads: [1, 1, 1, 1, 1, 1] },
  { kernel_shape: [3, 3, 3], strides: [2, 2, 2], pads: [0, 0, 0, 2, 2, 2], ceil_mode: 1 },
  { kernel_shape: [3, 3, 3], strides: [2, 2, 2], auto_pad: 'SAME_UPPER' },
];

const INDICES: [number[], Attributes][] = [
  [[2, 3, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  [[1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }],
  [[2, 2, 9], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
  [[1, 2, 4, 5, 6], { kernel_shape: [2, 3, 2], strides: [1, 2, 2], pads: [0, 1, 1, 1, 0, 0] }],
];

export const POOL = family('pool', [
  ...sweep2d(),
  unary('MaxPool 3x3 s2 pad 1', 'MaxPool', [1, 3, 11, 11], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  unary('MaxPool 3x3 s2 pads 1,0 ceil_mode', 'MaxPool', [1, 3, 11, 11], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 0], ceil_mode: 1 }),
  unary('MaxPool ceil_mode', 'MaxPool', [1, 2, 10, 10], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  unary('MaxPool dilated', 'MaxPool', [1, 2, 9, 9], { kernel_shape: [2, 2], dilations: [2, 2] }),
  unary('MaxPool ResNet stem 3x3/2 pad 1 on 112x112', 'MaxPool', [1, 8, 112, 112], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { tolerance: { wasm: 0 } }),
  unary('MaxPool window wholly in padding', 'MaxPool', [1, 1, 4, 4], { kernel_shape: [2, 2], strides: [3, 3], pads: [1, 1, 1, 1], ceil_mode: 1 }),
  unary('MaxPool 1-D k3 s2 pad 1', 'MaxPool', [2, 3, 23], { kernel_shape: [3], strides: [2], pads: [1, 1] }),
  unary('MaxPool 1-D k4 ceil_mode', 'MaxPool', [1, 2, 10], { kernel_shape: [4], strides: [1], ceil_mode: 1 }),
  unary('AveragePool exclude pad', 'AveragePool', [1, 2, 9, 8], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
  unary('AveragePool include pad ceil', 'AveragePool', [1, 2, 9, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1, ceil_mode: 1 }),
  unary('AveragePool 3x2 include pad batch 2', 'AveragePool', [2, 3, 7, 8], { kernel_shape: [3, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }),
  unary('AveragePool 3x3 s2 pad 1 batch 2', 'AveragePool', [2, 3, 7, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  unary('AveragePool dilated', 'AveragePool', [1, 2, 11, 12], { kernel_shape: [3, 3], dilations: [2, 2], pads: [1, 1, 1, 1] }),
  unary('AveragePool window wholly in padding', 'AveragePool', [1, 1, 4, 4], { kernel_shape: [2, 2], strides: [3, 3], pads: [1, 1, 1, 1], ceil_mode: 1 }),
  unary('AveragePool 1-D k3 s2 pad 1', 'AveragePool', [2, 3, 23], { kernel_shape: [3], strides: [2], pads: [1, 1] }),
  unary('AveragePool 1-D k4 ceil_mode', 'AveragePool', [1, 2, 10], { kernel_shape: [4], strides: [1], ceil_mode: 1 }),
  ...['MaxPool', 'AveragePool'].flatMap((op) =>
    WINDOWS_3D.map((attrs, i) => unary(`${op} 3-D window ${i} ${JSON.stringify(attrs)}`, op, [2, 3, 6, 7, 5], attrs, { tolerance: { wasm: op === 'MaxPool' ? 0 : 1e-6 } })),
  ),
  ...WINDOWS_3D.map((attrs, i) => unary(`AveragePool 3-D window ${i} count_include_pad`, 'AveragePool', [1, 2, 5, 6, 7], { ...attrs, count_include_pad: 1 }, { tolerance: { wasm: 1e-6 } })),
  ...[0, 1].flatMap((storage) => INDICES.map(([shape, attrs], i) => withIndices(`MaxPool Indices case ${i} storage_order ${storage}`, shape, { ...attrs, storage_order: storage }))),
  withIndices('MaxPool Indices ties, NaN, windows wholly in padding', [1, 1, 3, 4], { kernel_shape: [2, 2], strides: [2, 2], pads: [2, 2, 0, 0] }, {
    comparison: 'exact',
    feeds: () => ({ x: makeTensor('f32', [1, 1, 3, 4], [1, 1, 1, 1, NaN, 2, 2, 0, 5, 5, 5, -1]) }),
  }),
  maxPool8('u8', [1, 3, 17, 37], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  maxPool8('u8', [1, 2, 9, 70], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 }),
  maxPool8('i8', [2, 2, 9, 20], { kernel_shape: [2, 2] }),
  maxPool8('i8', [1, 3, 12, 33], { kernel_shape: [3, 3], dilations: [2, 2], strides: [1, 2], pads: [2, 2, 2, 2] }),
  maxPool8('u8', [1, 2, 50], { kernel_shape: [3], strides: [2], pads: [1, 1] }),
  maxPool8('u8', [1, 4, 13, 13], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  maxPool8('u8', [2, 6, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  maxPool8('i8', [1, 3, 9, 9], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  ...[[1, 512, 7, 7], [2, 3, 5, 5], [1, 4, 1, 1], [2, 5, 33], [1, 3, 64, 64]].flatMap((shape) =>
    ['GlobalAveragePool', 'GlobalMaxPool'].map((op) => unary(`${op} ${JSON.stringify(shape)}`, op, shape, {}, { tolerance: { wasm: 2e-6 } })),
  ),
  unary('GlobalAveragePool [2,3,5,7]', 'GlobalAveragePool', [2, 3, 5, 7]),
  unary('GlobalAveragePool [2,5,6,7]', 'GlobalAveragePool', [2, 5, 6, 7]),
  unary('GlobalMaxPool [1,3,9,4]', 'GlobalMaxPool', [1, 3, 9, 4]),
  unary('GlobalMaxPool [2,5,6,7]', 'GlobalMaxPool', [2, 5, 6, 7]),
  {
    name: 'MaxPool bf16 3x3 stride 2 (computed in f32)',
    comparison: 'exact',
    build: (b) => b.output(b.op('MaxPool', [b.input('x', { dtype: 'bf16', shape: [1, 2, 9, 9] })], { kernel_shape: [3, 3], strides: [2, 2] }, 'y')),
  },
]);
