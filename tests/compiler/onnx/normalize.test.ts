import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../compiler/onnx/index.js';
import { EdgecError, formatType, makeTensor, type Graph, type Node, type Value } from '../../../ir/index.js';
import { runGraph } from '../../../targets/reference/index.js';
import { attr, i64, makeModel, node, rawF32, T, typedI64, type InputInit, type NodeInit } from './make-model.js';
import type onnxProto from 'onnx-proto';

/** Attribute-to-operand normalization: older opsets must import into the same canonical IR form as newer ones. */

function build(opset: number, inputs: InputInit[], nodes: NodeInit[], outputs: string[], initializers: onnxProto.onnx.ITensorProto[] = []): Graph {
  return importOnnx(makeModel({ opset, inputs, nodes, outputs, initializers }));
}

function only(g: Graph, op: string): Node {
  const found = g.nodes.filter((n) => n.op === op);
  expect(found, `one ${op} node`).toHaveLength(1);
  return found[0]!;
}

function ints(v: Value | null | undefined): (number | bigint)[] {
  expect(v?.data, 'a constant operand').toBeDefined();
  return Array.from(v!.data!.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' && x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x));
}

const outType = (g: Graph, i = 0): string => formatType(g.outputs[i]!.type);
const x = (shape: (number | string)[], elemType: number = T.FLOAT): InputInit => ({ name: 'x', shape, elemType });

describe('Clip', () => {
  it('opset 6 min/max attributes become scalar operands of the input dtype', () => {
    const g = build(6, [x([2, 3])], [node('Clip', ['x'], ['y'], { min: attr.float(0), max: attr.float(6) })], ['y']);
    const clip = only(g, 'Clip');
    expect(clip.inputs).toHaveLength(3);
    expect(clip.inputs[1]!.data).toMatchObject({ dtype: 'f32', shape: [] });
    expect(clip.inputs[1]!.data!.data[0]).toBe(0);
    expect(clip.inputs[2]!.data!.data[0]).toBe(6);
    expect(clip.inputs[1]!.name).toBe('y_min');
    expect(clip.attrs).toEqual({});
  });

  it('opset 6 with only max leaves min omitted (null)', () => {
    const g = build(6, [x([4])], [node('Clip', ['x'], ['y'], { max: attr.float(1) })], ['y']);
    const clip = only(g, 'Clip');
    expect(clip.inputs[1]).toBeNull();
    expect(clip.inputs[2]!.data!.data[0]).toBe(1);
  });

  it('opset 11 operands pass through, and omitted trailing ones are dropped', () => {
    const g = build(11, [x([4])], [node('Clip', ['x', 'lo', ''], ['y'])], ['y'], [rawF32('lo', [], [-1])]);
    const clip = only(g, 'Clip');
    expect(clip.inputs.map((v) => v?.name ?? null)).toEqual(['x', 'lo']);
  });
});

describe('Reshape, Squeeze, Unsqueeze', () => {
  it('Reshape opset 4 shape attribute becomes an i64 operand', () => {
    const g = build(4, [x([2, 6])], [node('Reshape', ['x'], ['y'], { shape: attr.ints(3, -1) })], ['y']);
    const r = only(g, 'Reshape');
    expect(r.inputs[1]!.type.dtype).toBe('i64');
    expect(ints(r.inputs[1])).toEqual([3, -1]);
    expect(outType(g)).toBe('f32[3,4]');
  });

  it('Squeeze opset 11 (attr) and 13 (operand) import to the same form', () => {
    const g11 = build(11, [x([2, 1, 3])], [node('Squeeze', ['x'], ['y'], { axes: attr.ints(1) })], ['y']);
    const g13 = build(13, [x([2, 1, 3])], [node('Squeeze', ['x', 'axes'], ['y'])], ['y'], [typedI64('axes', [1], [1])]);
    for (const g of [g11, g13]) {
      expect(ints(only(g, 'Squeeze').inputs[1])).toEqual([1]);
      expect(outType(g)).toBe('f32[2,3]');
    }
    expect(only(g11, 'Squeeze').inputs[1]!.name).toBe('y_axes');
  });

  it('Unsqueeze opset 11 (attr) and 13 (operand) import to the same form', () => {
    const g11 = build(11, [x(['n', 3])], [node('Unsqueeze', ['x'], ['y'], { axes: attr.ints(0, -1) })], ['y']);
    const g13 = build(13, [x(['n', 3])], [node('Unsqueeze', ['x', 'axes'], ['y'])], ['y'], [typedI64('axes', [2], [0, -1])]);
    for (const g of [g11, g13]) {
      expect(ints(only(g, 'Unsqueeze').inputs[1])).toEqual([0, -1]);
      expect(outType(g)).toBe('f32[1,n,3,1]');
    }
  });
});

describe('reductions', () => {
  it('ReduceSum opset 11 axes attribute equals opset 13 axes operand', () => {
    const g11 = build(11, [x([2, 3, 4])], [node('ReduceSum', ['x'], ['y'], { axes: attr.ints(1), keepdims: attr.int(0) })], ['y']);
    const g13 = build(13, [x([2, 3, 4])], [node('ReduceSum', ['x', 'axes'], ['y'], { keepdims: attr.int(0) })], ['y'], [typedI64('axes', [1], [1])]);
    for (const g of [g11, g13]) {
      const r = only(g, 'ReduceSum');
      expect(ints(r.inputs[1])).toEqual([1]);
      expect(r.attrs).toEqual({ keepdims: 0 });
      expect(outType(g)).toBe('f32[2,4]');
    }
  });

  it('ReduceMean opset 13 axes attribute equals opset 18 axes operand', () => {
    const g13 = build(13, [x([2, 3, 4])], [node('ReduceMean', ['x'], ['y'], { axes: attr.ints(-1) })], ['y']);
    const g18 = build(18, [x([2, 3, 4])], [node('ReduceMean', ['x', 'axes'], ['y'])], ['y'], [typedI64('axes', [1], [-1])]);
    for (const g of [g13, g18]) {
      expect(ints(only(g, 'ReduceMean').inputs[1])).toEqual([-1]);
      expect(outType(g)).toBe('f32[2,3,1]');
    }
  });

  it('ReduceSum opset 11 without axes reduces everything (no operand)', () => {
    const g = build(11, [x([2, 3])], [node('ReduceSum', ['x'], ['y'])], ['y']);
    expect(only(g, 'ReduceSum').inputs).toHaveLength(1);
    expect(outType(g)).toBe('f32[1,1]');
  });
});

describe('Split, Pad, Slice', () => {
  it('Split opset 11 split attribute becomes an operand', () => {
    const g = build(11, [x([6, 2])], [node('Split', ['x'], ['a', 'b'], { split: attr.ints(2, 4) })], ['a', 'b']);
    const s = only(g, 'Split');
    expect(ints(s.inputs[1])).toEqual([2, 4]);
    expect([outType(g, 0), outType(g, 1)]).toEqual(['f32[2,2]', 'f32[4,2]']);
  });

  it('Split opset 18 with num_outputs imports', () => {
    const g = build(18, [x([2, 6])], [node('Split', ['x'], ['a', 'b', 'c'], { axis: attr.int(1), num_outputs: attr.int(3) })], ['a', 'b', 'c']);
    expect(g.outputs.map((v) => formatType(v.type))).toEqual(['f32[2,2]', 'f32[2,2]', 'f32[2,2]']);
  });

  it('Pad opset 2 pads/value attributes become operands; mode stays', () => {
    const g = build(2, [x([1, 2])], [node('Pad', ['x'], ['y'], { pads: attr.ints(0, 1, 0, 2), value: attr.float(1.5), mode: attr.str('constant') })], ['y']);
    const p = only(g, 'Pad');
    expect(ints(p.inputs[1])).toEqual([0, 1, 0, 2]);
    expect(p.inputs[2]!.data).toMatchObject({ dtype: 'f32', shape: [] });
    expect(p.inputs[2]!.data!.data[0]).toBe(1.5);
    expect(p.attrs).toEqual({ mode: 'constant' });
    expect(outType(g)).toBe('f32[1,5]');
  });

  it('Pad opset 11 operands pass through', () => {
    const g = build(11, [x([1, 2])], [node('Pad', ['x', 'pads'], ['y'], { mode: attr.str('reflect') })], ['y'], [typedI64('pads', [4], [0, 1, 0, 1])]);
    expect(only(g, 'Pad').inputs.map((v) => v?.name)).toEqual(['x', 'pads']);
    expect(outType(g)).toBe('f32[1,4]');
  });

  it('Slice opset 9 attributes equal opset 10 operands, keeping INT64_MAX exact', () => {
    const big = i64('9223372036854775807');
    const g9 = build(9, [x([4, 10])], [node('Slice', ['x'], ['y'], { starts: attr.ints(1, 2), ends: attr.ints(big, -1), axes: attr.ints(0, 1) })], ['y']);
    const g10 = build(10, [x([4, 10])], [node('Slice', ['x', 's', 'e', 'a'], ['y'])], ['y'], [
      typedI64('s', [2], [1, 2]),
      typedI64('e', [2], [big, -1]),
      typedI64('a', [2], [0, 1]),
    ]);
    for (const g of [g9, g10]) {
      const s = only(g, 'Slice');
      expect(ints(s.inputs[1])).toEqual([1, 2]);
      expect(ints(s.inputs[2])).toEqual([9223372036854775807n, -1]);
      expect(ints(s.inputs[3])).toEqual([0, 1]);
      expect(outType(g)).toBe('f32[3,7]');
    }
  });
});

describe('Softmax (opset < 13 coerces to 2-D)', () => {
  it('opset 11 axis=1 on a 3-D input becomes Reshape -> Softmax(axis=-1) -> Reshape', () => {
    const g = build(11, [x([2, 3, 4])], [node('Softmax', ['x'], ['y'], { axis: attr.int(1) }, 'sm')], ['y']);
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape', 'Softmax', 'Reshape']);
    const [flat, soft, back] = g.nodes as [Node, Node, Node];
    expect(ints(flat.inputs[1])).toEqual([-1, 12]);
    expect(formatType(flat.outputs[0]!.type)).toBe('f32[2,12]');
    expect(soft.attrs['axis']).toBe(-1);
    expect(ints(back.inputs[1])).toEqual([2, 3, 4]);
    expect(back.name).toBe('sm');
    expect(g.outputs[0]!.name).toBe('y');
    expect(outType(g)).toBe('f32[2,3,4]');
  });

  it('matches coerced-2D softmax numerically', () => {
    const g = build(11, [x([2, 3, 4])], [node('Softmax', ['x'], ['y'], { axis: attr.int(1) })], ['y']);
    const data = Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);
    const y = runGraph(g, { x: makeTensor('f32', [2, 3, 4], data) })['y']!;
    for (let b = 0; b < 2; b++) {
      const row = data.slice(b * 12, b * 12 + 12);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      row.forEach((v, i) => expect(y.data[b * 12 + i]).toBeCloseTo(Math.exp(v - max) / sum, 5));
    }
  });

  it('opset 11 over the last axis (and the default axis on 2-D) is one Softmax', () => {
    const g = build(11, [x([2, 3, 4])], [node('LogSoftmax', ['x'], ['y'], { axis: attr.int(2) })], ['y']);
    expect(g.nodes.map((n) => n.op)).toEqual(['LogSoftmax']);
    const g2 = build(11, [x([5, 7])], [node('Softmax', ['x'], ['y'])], ['y']);
    expect(g2.nodes.map((n) => n.op)).toEqual(['Softmax']);
    expect(outType(g2)).toBe('f32[5,7]');
  });

  it('opset 13 axis=1 is a plain Softmax over axis 1', () => {
    const g = build(13, [x([2, 3, 4])], [node('Softmax', ['x'], ['y'], { axis: attr.int(1) })], ['y']);
    expect(g.nodes.map((n) => n.op)).toEqual(['Softmax']);
    expect(g.nodes[0]!.attrs['axis']).toBe(1);
  });
});

describe('dtype attributes, Upsample, legacy forms', () => {
  it('Cast.to becomes the IR dtype name', () => {
    const g = build(13, [x([3])], [node('Cast', ['x'], ['y'], { to: attr.int(T.INT64) })], ['y']);
    expect(only(g, 'Cast').attrs['to']).toBe('i64');
    expect(outType(g)).toBe('i64[3]');
    const h = build(13, [x([3])], [node('Cast', ['x'], ['y'], { to: attr.int(T.FLOAT16) })], ['y']);
    expect(outType(h)).toBe('f16[3]');
  });

  it('Cast to an unsupported type is UNSUPPORTED_DTYPE', () => {
    expect(() => build(13, [x([3])], [node('Cast', ['x'], ['y'], { to: attr.int(T.STRING) })], ['y'])).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_DTYPE' }),
    );
  });

  it('Upsample opset 9 becomes Resize(X, null, scales) with asymmetric coordinates', () => {
    const g = build(9, [x([1, 1, 2, 2])], [node('Upsample', ['x', 'scales'], ['y'], { mode: attr.str('nearest') })], ['y'], [rawF32('scales', [4], [1, 1, 2, 3])]);
    const r = only(g, 'Resize');
    expect(r.inputs.map((v) => v?.name ?? null)).toEqual(['x', null, 'scales']);
    expect(r.attrs).toMatchObject({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric' });
    expect(outType(g)).toBe('f32[1,1,4,6]');
  });

  it('Upsample opset 7 scales attribute becomes a constant operand', () => {
    const g = build(7, [x([1, 1, 2, 2])], [node('Upsample', ['x'], ['y'], { scales: attr.floats(1, 1, 2, 2), mode: attr.str('linear') })], ['y']);
    const r = only(g, 'Resize');
    expect(Array.from(r.inputs[2]!.data!.data as Float32Array)).toEqual([1, 1, 2, 2]);
    expect(r.attrs['mode']).toBe('linear');
    expect(outType(g)).toBe('f32[1,1,4,4]');
  });

  it('Resize opset 10 (X, scales) becomes (X, null, scales)', () => {
    const g = build(10, [x([1, 1, 2, 2])], [node('Resize', ['x', 's'], ['y'])], ['y'], [rawF32('s', [4], [1, 1, 2, 2])]);
    expect(only(g, 'Resize').inputs.map((v) => v?.name ?? null)).toEqual(['x', null, 's']);
  });

  it('opset 6 broadcast=1 with axis aligns B by reshaping it', () => {
    const g = build(6, [x([2, 3, 4, 5])], [node('Add', ['x', 'b'], ['y'], { broadcast: attr.int(1), axis: attr.int(1) })], ['y'], [rawF32('b', [3, 4], new Array(12).fill(1))]);
    const add = only(g, 'Add');
    expect(add.attrs).toEqual({});
    expect(add.inputs[1]!.type.shape).toEqual([3, 4, 1]);
    expect(outType(g)).toBe('f32[2,3,4,5]');
  });

  it('Dropout opset 10 ratio attribute becomes an operand; BatchNormalization legacy attributes are dropped', () => {
    const g = build(10, [x([1, 2, 3, 3])], [node('Dropout', ['x'], ['y'], { ratio: attr.float(0.25) })], ['y']);
    expect(only(g, 'Dropout').inputs[1]!.data!.data[0]).toBe(0.25);
    const params = ['s', 'b', 'm', 'v'].map((n) => rawF32(n, [2], [1, 1]));
    const bn = build(6, [x([1, 2, 3, 3])], [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], { is_test: attr.int(1), spatial: attr.int(1), consumed_inputs: attr.ints(0, 0, 0, 1, 1), epsilon: attr.float(1e-5) })], ['y'], params);
    expect(only(bn, 'BatchNormalization').attrs).toEqual({ epsilon: expect.closeTo(1e-5, 8) });
    expect(() => build(7, [x([1, 2, 3, 3])], [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], { spatial: attr.int(0) })], ['y'], params)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_FEATURE' }),
    );
  });

  it('errors from op inference name the node and the model file', () => {
    try {
      importOnnx(makeModel({ inputs: [x([2, 3])], outputs: ['y'], nodes: [node('Reshape', ['x', 's'], ['y'], {}, 'bad_reshape')], initializers: [typedI64('s', [1], [7])] }), { file: 'm.onnx' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EdgecError);
      expect((e as EdgecError).message).toContain('m.onnx');
      expect((e as EdgecError).message).toContain('bad_reshape');
    }
  });
});
