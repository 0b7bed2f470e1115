import { makeTensor } from '../../../ir/index.js';
import { family, type CaseBuilder } from '../case.js';
import { unary } from './shapes.js';

/** Data movement: Transpose, Slice with steps, Concat, Split, Gather (constant and run-time indices), GatherElements, Pad, Expand, Tile, Reshape views. */
export const MOVEMENT = family('movement', [
  unary('Transpose 4-D', 'Transpose', [2, 3, 4, 5], { perm: [0, 2, 3, 1] }),
  { name: 'Slice with steps', build: (b) => b.output(b.op('Slice', [b.input('x', [6, 10]), b.i64('s', [1, 9]), b.i64('e', [5, 0]), b.i64('a', [0, 1]), b.i64('t', [2, -3])], {}, 'y')) },
  { name: 'Slice negative steps', build: (b) => b.output(b.op('Slice', [b.input('x', [6, 7]), b.i64('s', [5, 1]), b.i64('e', [0, 7]), b.i64('a', [0, 1]), b.i64('t', [-2, 3])], {}, 'y')) },
  { name: 'Concat axis 1', build: (b) => b.output(b.op('Concat', [b.input('a', [2, 3, 4]), b.input('b', [2, 5, 4])], { axis: 1 }, 'y')) },
  {
    name: 'Concat of three, one operand twice',
    build: (b) => {
      const a = b.input('a', [2, 3, 4]);
      b.output(b.op('Concat', [a, b.input('c', [2, 5, 4]), a], { axis: 1 }, 'y'));
    },
  },
  { name: 'Expand', build: (b) => b.output(b.op('Expand', [b.input('x', [3, 1]), b.i64('s', [2, 3, 4])], {}, 'y')) },
  { name: 'Tile 2x2', build: (b) => b.output(b.op('Tile', [b.input('x', [2, 3]), b.i64('r', [2, 2])], {}, 'y')) },
  { name: 'Tile 2x3', build: (b) => b.output(b.op('Tile', [b.input('x', [2, 3]), b.i64('r', [2, 3])], {}, 'y')) },
  { name: 'Pad constant -2.5', build: (b) => b.output(b.op('Pad', [b.input('x', [2, 3, 4]), b.i64('p', [0, 1, 2, 1, 0, 3]), b.scalar('v', -2.5)], {}, 'y')) },
  { name: 'Pad constant 1.5', build: (b) => b.output(b.op('Pad', [b.input('x', [2, 3, 4]), b.i64('p', [0, 1, 2, 0, 2, 1]), b.scalar('v', 1.5)], {}, 'y')) },
  ...['edge', 'wrap', 'reflect'].map((mode) => ({
    name: `Pad ${mode}`,
    build: (b: CaseBuilder) => b.output(b.op('Pad', [b.input('x', [2, 3, 4]), b.i64('p', [0, 2, 3, 1, 2, 1])], { mode }, 'y')),
  })),
  { name: 'Pad reflect beyond one period, i64 elements', build: (b) => b.output(b.op('Pad', [b.input('x', { dtype: 'i64', shape: [3, 2] }), b.i64('p', [5, 1, 4, 3])], { mode: 'reflect' }, 'y')), comparison: 'exact' },
  { name: 'Pad edge with axes and a crop', build: (b) => b.output(b.op('Pad', [b.input('x', [4, 5]), b.i64('p', [-1, 3]), null, b.i64('a', [1])], { mode: 'edge' }, 'y')) },
  { name: 'Gather constant 2-D indices axis 1', build: (b) => b.output(b.op('Gather', [b.input('x', [3, 5, 2]), b.constant('i', makeTensor('i64', [2, 2], [4n, -1n, 0n, 2n]))], { axis: 1 }, 'y')) },
  { name: 'Gather constant indices axis 0', build: (b) => b.output(b.op('Gather', [b.input('x', [5, 4]), b.i64('i', [4, -1, 0, 2])], { axis: 0 }, 'y')) },
  {
    name: 'Gather run-time i64 indices, rows',
    feeds: () => ({ i: makeTensor('i64', [2, 3], [4n, -1n, 0n, 2n, -5n, 1n]) }),
    build: (b) => b.output(b.op('Gather', [b.input('x', [3, 5, 7]), b.input('i', { dtype: 'i64', shape: [2, 3] })], { axis: 1 }, 'y')),
  },
  {
    name: 'Gather run-time i32 indices, elements (last axis)',
    feeds: () => ({ i: makeTensor('i32', [40], Array.from({ length: 40 }, (_, k) => ((k * 7) % 19) - 9)) }),
    build: (b) => b.output(b.op('Gather', [b.input('x', [3, 10]), b.input('i', { dtype: 'i32', shape: [40] })], { axis: 1 }, 'y')),
  },
  {
    name: 'GatherElements axis 0, negative indices',
    feeds: () => ({ i: makeTensor('i64', [2, 37], Array.from({ length: 74 }, (_, k) => BigInt(((k * 5) % 7) - 3))) }),
    build: (b) => b.output(b.op('GatherElements', [b.input('x', [4, 40]), b.input('i', { dtype: 'i64', shape: [2, 37] })], { axis: 0 }, 'y')),
  },
  {
    name: 'GatherElements last axis, i32 indices, u8 data',
    feeds: () => ({ i: makeTensor('i32', [3, 2, 45], Array.from({ length: 270 }, (_, k) => (k * 11) % 50)) }),
    build: (b) => b.output(b.op('GatherElements', [b.input('x', { dtype: 'u8', shape: [3, 2, 50] }), b.input('i', { dtype: 'i32', shape: [3, 2, 45] })], { axis: -1 }, 'y')),
  },
  { name: 'Size', comparison: 'exact', build: (b) => b.output(b.op('Size', [b.input('x', [3, 4, 5])], {}, 'y')) },
  { name: 'Split uneven axis 1', build: (b) => b.output(...b.node('Split', [b.input('x', [2, 7, 3]), b.i64('s', [2, 4, 1])], { axis: 1 }, ['y0', 'y1', 'y2'])) },
  { name: 'Split i64 last axis', build: (b) => b.output(...b.node('Split', [b.input('x', { dtype: 'i64', shape: [3, 6] })], { axis: -1, num_outputs: 2 }, ['y0', 'y1'])) },
  { name: 'Split u8 axis 0', build: (b) => b.output(...b.node('Split', [b.input('x', { dtype: 'u8', shape: [5, 3] }), b.i64('s', [3, 2])], { axis: 0 }, ['y0', 'y1'])) },
  {
    name: 'GatherElements constant indices axis 0',
    build: (b) => b.output(b.op('GatherElements', [b.input('x', [3, 4]), b.constant('i', makeTensor('i64', [2, 4], [2n, 0n, -1n, 1n, 0n, 0n, 2n, -3n]))], { axis: 0 }, 'y')),
  },
  {
    name: 'GatherElements run-time i64 indices axis 1 of i64 data',
    feeds: () => ({ i: makeTensor('i64', [2, 3, 5], Array.from({ length: 30 }, (_, k) => BigInt(((k * 5) % 7) - 3))) }),
    build: (b) => b.output(b.op('GatherElements', [b.input('x', { dtype: 'i64', shape: [2, 4, 5] }), b.input('i', { dtype: 'i64', shape: [2, 3, 5] })], { axis: 1 }, 'y')),
    comparison: 'exact',
  },
  {
    name: 'GatherElements run-time i32 indices last axis',
    feeds: () => ({ i: makeTensor('i32', [3, 6], Array.from({ length: 18 }, (_, k) => ((k * 3) % 9) - 4)) }),
    build: (b) => b.output(b.op('GatherElements', [b.input('x', [3, 5]), b.input('i', { dtype: 'i32', shape: [3, 6] })], { axis: -1 }, 'y')),
  },
  { name: 'Shape with start and end, and Size', comparison: 'exact', build: (b) => { const x = b.input('x', [2, 3, 4, 5]); b.output(b.op('Shape', [x], { start: 1, end: -1 }, 's'), b.op('Size', [x], {}, 'n')); } },
  { name: 'Reshape of a graph input', build: (b) => b.output(b.op('Reshape', [b.input('x', [4, 6]), b.i64('s', [3, 8])], {}, 'y')) },
  { name: 'Reshape 3-D to 2-D', build: (b) => b.output(b.op('Reshape', [b.input('x', [2, 3, 4]), b.i64('s', [4, 6])], {}, 'y')) },
  // Pad whose constant_value is a graph input (read at run time).
  {
    name: 'Pad run-time constant_value with axes',
    feeds: () => ({ v: makeTensor('f32', [], [-7.25]) }),
    build: (b) => b.output(b.op('Pad', [b.input('x', [3, 4, 5]), b.i64('p', [1, -1, 2, 2]), b.input('v', []), b.i64('a', [0, 2])], {}, 'y')),
  },
  {
    name: 'Pad run-time i64 constant_value',
    comparison: 'exact',
    feeds: () => ({ v: makeTensor('i64', [], [-(2n ** 40n) - 3n]) }),
    build: (b) => b.output(b.op('Pad', [b.input('x', { dtype: 'i64', shape: [2, 3] }), b.i64('p', [1, 0, 0, 2]), b.input('v', { dtype: 'i64', shape: [] })], {}, 'y')),
  },
  // 2-byte elements (f16 / bf16): odd sizes, so output words straddle rows.
  { name: 'Transpose f16 [3,5,7] perm 2,0,1', comparison: 'exact', build: (b) => b.output(b.op('Transpose', [b.input('x', { dtype: 'f16', shape: [3, 5, 7] })], { perm: [2, 0, 1] }, 'y')) },
  {
    name: 'Concat f16 axis 1 odd parts',
    comparison: 'exact',
    build: (b) => b.output(b.op('Concat', [b.input('a', { dtype: 'f16', shape: [3, 1, 5] }), b.input('b', { dtype: 'f16', shape: [3, 3, 5] })], { axis: 1 }, 'y')),
  },
  { name: 'Slice bf16 with steps', comparison: 'exact', build: (b) => b.output(b.op('Slice', [b.input('x', { dtype: 'bf16', shape: [5, 9] }), b.i64('s', [4, 1]), b.i64('e', [-10, 8]), b.i64('a', [0, 1]), b.i64('st', [-2, 3])], {}, 'y')) },
  { name: 'Gather f16 axis 1 constant indices', comparison: 'exact', build: (b) => b.output(b.op('Gather', [b.input('x', { dtype: 'f16', shape: [3, 5, 3] }), b.i64('i', [4, -1, 0])], { axis: 1 }, 'y')) },
  {
    name: 'GatherElements i8 run-time i32 indices axis 0',
    comparison: 'exact',
    feeds: () => ({ i: makeTensor('i32', [3, 7], Array.from({ length: 21 }, (_, k) => ((k * 5) % 9) - 4)) }),
    build: (b) => b.output(b.op('GatherElements', [b.input('x', { dtype: 'i8', shape: [5, 7] }), b.input('i', { dtype: 'i32', shape: [3, 7] })], { axis: 0 }, 'y')),
  },
  { name: 'Gather bool rows', comparison: 'exact', build: (b) => b.output(b.op('Gather', [b.input('x', { dtype: 'bool', shape: [4, 3] }), b.i64('i', [3, 0, 3, 1, 2])], { axis: 0 }, 'y')) },
  { name: 'Unsqueeze and Reshape of an f16 graph input', comparison: 'exact', build: (b) => b.output(b.op('Reshape', [b.op('Unsqueeze', [b.input('x', { dtype: 'f16', shape: [3, 5] }), b.i64('a', [1])], {}, 'u'), b.i64('s', [5, 3])], {}, 'y')) },
  // Pad with the constant read at run time, and border modes padding every axis of a 3-D tensor (corners).
  { name: 'Pad constant value at run time', build: (b) => b.output(b.op('Pad', [b.input('x', [3, 5]), b.i64('p', [1, 2, 2, 1]), b.input('v', { dtype: 'f32', shape: [] })], {}, 'y')) },
  ...['reflect', 'edge', 'wrap'].map((mode) => ({
    name: `Pad ${mode} every axis of 3-D`,
    build: (b: CaseBuilder) => b.output(b.op('Pad', [b.input('x', [3, 4, 37]), b.i64('p', [1, 2, 2, 2, 1, 3])], { mode }, 'y')),
  })),
]);
