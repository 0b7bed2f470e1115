import { makeTensor, type Attributes, type DType, type Value } from '../../../ir/index.js';
import { family, type CaseBuilder, type KernelCase } from '../case.js';
import { unary } from './shapes.js';

/**
 * ArgMax / ArgMin over inner, middle and outer axes, with many ties (values from a few levels) so that
 * select_last_index matters; i64 levels far apart in the high word, with the low word telling ties apart.
 */
function argCase(op: string, dtype: DType, shape: number[], attrs: Attributes): KernelCase {
  const n = shape.reduce((a, b) => a * b, 1);
  const level = (i: number) => ((i * 7) % 5) - 2;
  const data = dtype === 'i64' ? Array.from({ length: n }, (_, i) => (BigInt(level(i)) << 40n) + BigInt(i % 2)) : Array.from({ length: n }, (_, i) => level(i) * (dtype === 'f32' ? 0.5 : 1));
  return {
    name: `${op} ${dtype} [${shape}] ${JSON.stringify(attrs)}`,
    comparison: 'exact',
    feeds: () => ({ x: makeTensor(dtype, shape, data) }),
    build: (b) => b.output(b.op(op, [b.input('x', { dtype, shape })], attrs, 'y')),
  };
}

const ARG_CASES = ['ArgMax', 'ArgMin'].flatMap((op) => [
  argCase(op, 'f32', [3, 4, 5], { axis: 1 }),
  argCase(op, 'f32', [3, 4, 5], { axis: -1, keepdims: 0, select_last_index: 1 }),
  argCase(op, 'i32', [6, 7], { axis: 0, select_last_index: 1 }),
  argCase(op, 'i64', [4, 9], { axis: 1 }),
  argCase(op, 'i64', [4, 9], { axis: 1, select_last_index: 1 }),
]);

/** ReduceLogSum's operand made positive (|x|), so the log is of a positive sum. */
const positive = (b: CaseBuilder, op: string, x: Value): Value => (op === 'ReduceLogSum' ? b.op('Abs', [x], {}, 'abs_x') : x);

/** Row reductions: Softmax / LogSoftmax (inner and outer axes), LayerNormalization, ReduceX over axes, ArgMax / ArgMin. */
export const REDUCE = family('reduce', [
  unary('Softmax last axis', 'Softmax', [3, 4, 37], { axis: -1 }),
  unary('Softmax middle axis 150', 'Softmax', [3, 150, 4], { axis: 1 }),
  unary('LogSoftmax axis 1', 'LogSoftmax', [5, 19], { axis: 1 }),
  unary('LogSoftmax last axis 130', 'LogSoftmax', [2, 130], { axis: -1 }),
  { name: 'LayerNormalization axis 1', build: (b) => b.output(b.op('LayerNormalization', [b.input('x', [3, 2, 40]), b.weights('s', [2, 40]), b.weights('b', [2, 40])], { axis: 1 }, 'y')) },
  { name: 'LayerNormalization last axis 70', build: (b) => b.output(b.op('LayerNormalization', [b.input('x', [2, 5, 70]), b.weights('s', [70]), b.weights('bias', [70])], { axis: -1, epsilon: 1e-5 }, 'y')) },
  { name: 'LayerNormalization broadcast scale no bias', build: (b) => b.output(b.op('LayerNormalization', [b.input('x', [2, 5, 7]), b.weights('s', [1, 7])], { axis: 1 }, 'y')) },
  { name: 'ReduceMean middle axis', build: (b) => b.output(b.op('ReduceMean', [b.input('x', [2, 6, 5]), b.i64('axes', [1])], { keepdims: 0 }, 'y')) },
  { name: 'ReduceMean axes 0,2 keepdims', build: (b) => b.output(b.op('ReduceMean', [b.input('x', [3, 4, 5]), b.i64('axes', [0, 2])], { keepdims: 1 }, 'y')) },
  { name: 'ReduceMax last axes', build: (b) => b.output(b.op('ReduceMax', [b.input('x', [3, 4, 5]), b.i64('axes', [1, 2])], {}, 'y')) },
  { name: 'ReduceMax axis -1', build: (b) => b.output(b.op('ReduceMax', [b.input('x', [3, 4, 5]), b.i64('axes', [-1])], { keepdims: 0 }, 'y')) },
  unary('ReduceSum all', 'ReduceSum', [4, 9]),
  unary('ArgMax last axis 150', 'ArgMax', [3, 150], { axis: -1 }),
  { name: 'ArgMin i32 rows with ties, last index', build: (b) => b.output(b.op('ArgMin', [b.input('x', { dtype: 'i32', shape: [4, 67] })], { axis: 1, select_last_index: 1 }, 'y')) },
  { name: 'ArgMax i64 middle axis with ties', build: (b) => b.output(b.op('ArgMax', [b.input('x', { dtype: 'i64', shape: [2, 9, 11] })], { axis: 1, keepdims: 0 }, 'y')) },
  unary('ArgMin columns, last index', 'ArgMin', [7, 37], { axis: 0, select_last_index: 1 }),
  { name: 'ReduceL2 all', build: (b) => b.output(b.op('ReduceL2', [b.input('x', [3, 4, 5]), null], {}, 'y')) },
  ...ARG_CASES,
  // A zero-size reduced axis: every output element is the reduction of the empty set (ONNX's identities).
  ...(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp'] as const).map(
    (op): KernelCase => ({ name: `${op} empty axis`, comparison: 'exact', build: (b) => b.output(b.op(op, [b.input('x', [2, 0, 5]), b.i64('axes', [1])], {}, 'y')) }),
  ),
  ...(['ReduceMax', 'ReduceMin', 'ReduceMean'] as const).map(
    (op): KernelCase => ({ name: `${op} i64 empty axis`, comparison: 'exact', build: (b) => b.output(b.op(op, [b.input('x', { dtype: 'i64', shape: [3, 0] }), b.i64('axes', [-1])], { keepdims: 0 }, 'y')) }),
  ),
  { name: 'ReduceLogSumExp f64 axis 1', build: (b) => b.output(b.op('ReduceLogSumExp', [b.input('x', { dtype: 'f64', shape: [3, 7, 4] }), b.i64('axes', [1])], {}, 'y')) },
  { name: 'ReduceSum f64 axes 0,2', build: (b) => b.output(b.op('ReduceSum', [b.input('x', { dtype: 'f64', shape: [3, 7, 4] }), b.i64('axes', [0, 2])], { keepdims: 0 }, 'y')) },
  ...(['ReduceMax', 'ReduceMin'] as const).map(
    (op): KernelCase => ({ name: `${op} bool last axis`, comparison: 'exact', build: (b) => b.output(b.op(op, [b.input('x', { dtype: 'bool', shape: [6, 3] }), b.i64('axes', [1])], { keepdims: 0 }, 'y')) }),
  ),
  { name: 'ReduceSum empty kept axis', build: (b) => b.output(b.op('ReduceSum', [b.input('x', [0, 3]), b.i64('axes', [1])], {}, 'y')) },
  // LogSumExp of values whose exp overflows f32 (the maximum is subtracted first), a row of -inf, and two axes.
  {
    name: 'ReduceLogSumExp large values, -inf row, axes 0,2',
    comparison: 'elementwise',
    feeds: () => ({ x: makeTensor('f32', [3, 4, 5], Array.from({ length: 60 }, (_, i) => (i % 20 < 5 ? -Infinity : ((i * 37) % 23) * 9 - 60))) }),
    build: (b) => b.output(b.op('ReduceLogSumExp', [b.input('x', [3, 4, 5]), b.i64('axes', [0, 2])], { keepdims: 0 }, 'y')),
  },
  { name: 'ReduceLogSumExp last axis 70', build: (b) => b.output(b.op('ReduceLogSumExp', [b.input('x', [3, 70]), b.i64('axes', [-1])], {}, 'y')) },
  { name: 'ReduceMin bool axes 0,2 keepdims', comparison: 'exact', build: (b) => b.output(b.op('ReduceMin', [b.input('x', { dtype: 'bool', shape: [3, 5, 7] }), b.i64('axes', [0, 2])], { keepdims: 1 }, 'y')) },
  // Every ReduceX along rows longer than a vector (inner = 1), across inner columns (a middle axis), and over
  // axes that are not one contiguous run (folded run by run).
  ...(['ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ReduceProd'] as const).flatMap((op): KernelCase[] => [
    { name: `${op} rows 3x67`, build: (b) => b.output(b.op(op, [positive(b, op, b.input('x', [3, op === 'ReduceProd' ? 13 : 67])), b.i64('axes', [1])], {}, 'y')) },
    { name: `${op} middle axis`, build: (b) => b.output(b.op(op, [positive(b, op, b.input('x', [2, 9, 37])), b.i64('axes', [1])], { keepdims: 0 }, 'y')) },
  ]),
  ...(['ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceProd', 'ReduceMean', 'ReduceMax'] as const).map(
    (op): KernelCase => ({ name: `${op} axes 0,2,3`, build: (b) => b.output(b.op(op, [b.input('x', [2, 3, 4, 5]), b.i64('axes', [0, 2, 3])], {}, 'y')) }),
  ),
  { name: 'ReduceMax bool middle axis', comparison: 'exact', build: (b) => b.output(b.op('ReduceMax', [b.input('x', { dtype: 'bool', shape: [2, 5, 33] }), b.i64('axes', [1])], {}, 'y')) },
  { name: 'ReduceL1 f64 rows', build: (b) => b.output(b.op('ReduceL1', [b.input('x', { dtype: 'f64', shape: [4, 9] }), b.i64('axes', [1])], {}, 'y')) },
]);
