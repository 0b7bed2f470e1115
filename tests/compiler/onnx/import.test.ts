import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../compiler/onnx/index.js';
import { EdgecError, formatType } from '../../../ir/index.js';
import { attr, encodeModel, makeModel, modelProto, node, rawF32, T } from './make-model.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecError);
    return (e as EdgecError).code;
  }
  return 'no error';
}

describe('graph structure', () => {
  it('keeps value and node names, types inputs from value_info and types nodes by inference', () => {
    const g = importOnnx(
      makeModel({
        inputs: [{ name: 'input', shape: ['batch', 4] }],
        outputs: ['out'],
        initializers: [rawF32('w', [4, 2], new Array(8).fill(0.5)), rawF32('b', [2], [1, 2])],
        nodes: [node('MatMul', ['input', 'w'], ['mm'], {}, 'matmul_0'), node('Add', ['mm', 'b'], ['out'], {}, 'add_0')],
      }),
    );
    expect(g.name).toBe('test');
    expect(g.inputs.map((v) => `${v.name}:${formatType(v.type)}`)).toEqual(['input:f32[batch,4]']);
    expect(g.constants.map((v) => v.name)).toEqual(['w', 'b']);
    expect(g.nodes.map((n) => `${n.name}=${n.op}`)).toEqual(['matmul_0=MatMul', 'add_0=Add']);
    expect(g.nodes[0]!.outputs[0]!.name).toBe('mm');
    expect(formatType(g.outputs[0]!.type)).toBe('f32[batch,2]');
  });

  it('drops initializers from the inputs (old models list them as inputs too)', () => {
    const g = importOnnx(
      makeModel({
        irVersion: 3,
        inputs: [{ name: 'x', shape: [2] }, { name: 'w', shape: [2] }],
        outputs: ['y'],
        initializers: [rawF32('w', [2], [1, 2])],
        nodes: [node('Mul', ['x', 'w'], ['y'])],
      }),
    );
    expect(g.inputs.map((v) => v.name)).toEqual(['x']);
    expect(g.constants.map((v) => v.name)).toEqual(['w']);
  });

  it('maps dims: dim_value, dim_param and neither ("?")', () => {
    const g = importOnnx(makeModel({ inputs: [{ name: 'x', shape: [3, 'seq', null] }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])] }));
    expect(g.inputs[0]!.type.shape).toEqual([3, 'seq', '?']);
  });

  it('sorts nodes that are not in topological order', () => {
    const g = importOnnx(
      makeModel({
        inputs: [{ name: 'x', shape: [2] }],
        outputs: ['z'],
        nodes: [node('Neg', ['y'], ['z']), node('Abs', ['x2'], ['y']), node('Relu', ['x'], ['x2'])],
      }),
    );
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu', 'Abs', 'Neg']);
  });

  it('fills metadata from metadata_props and the model header', () => {
    const proto = modelProto({
      opset: 13,
      inputs: [{ name: 'x', shape: [1] }],
      outputs: ['y'],
      nodes: [node('Relu', ['x'], ['y'])],
      metadata: { license: 'Apache-2.0', author: 'someone' },
      producerName: 'pytorch',
    });
    const g = importOnnx(encodeModel({ ...proto, producerVersion: '1.13.0', domain: 'org.example', modelVersion: 3, docString: 'a doc' }));
    expect(g.metadata).toEqual({
      license: 'Apache-2.0',
      author: 'someone',
      'onnx.producer_name': 'pytorch',
      'onnx.producer_version': '1.13.0',
      'onnx.ir_version': '8',
      'onnx.opset': '13',
      'onnx.domain': 'org.example',
      'onnx.model_version': '3',
      'onnx.doc_string': 'a doc',
    });
  });

  it('a graph output can be an input or an initializer', () => {
    const g = importOnnx(makeModel({ inputs: [{ name: 'x', shape: [2] }], outputs: ['x', 'c'], initializers: [rawF32('c', [1], [3])] }));
    expect(g.outputs.map((v) => v.name)).toEqual(['x', 'c']);
  });

  it('accepts the ai.onnx domain spelled out', () => {
    const proto = modelProto({ inputs: [{ name: 'x', shape: [2] }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])] });
    proto.graph!.node![0]!.domain = 'ai.onnx';
    expect(importOnnx(encodeModel(proto)).nodes[0]!.op).toBe('Relu');
  });
});

describe('inputShapes', () => {
  const model = makeModel({
    inputs: [
      { name: 'a', shape: ['batch', 32, null] },
      { name: 'b', shape: ['batch', 1] },
    ],
    outputs: ['y', 'z'],
    nodes: [node('Relu', ['a'], ['y']), node('Neg', ['b'], ['z'])],
  });

  it('fixes symbolic and unknown dims, and pins the same symbol in other inputs', () => {
    const g = importOnnx(model, { inputShapes: { a: [1, 32, 64] } });
    expect(formatType(g.inputs[0]!.type)).toBe('f32[1,32,64]');
    expect(formatType(g.inputs[1]!.type)).toBe('f32[1,1]');
    expect(formatType(g.outputs[0]!.type)).toBe('f32[1,32,64]');
  });

  it('rejects a wrong rank, a conflicting static dim, an unknown name and conflicting symbols', () => {
    expect(codeOf(() => importOnnx(model, { inputShapes: { a: [1, 32] } }))).toBe('BAD_SHAPE');
    expect(codeOf(() => importOnnx(model, { inputShapes: { a: [1, 31, 64] } }))).toBe('BAD_SHAPE');
    expect(codeOf(() => importOnnx(model, { inputShapes: { nope: [1] } }))).toBe('USAGE');
    expect(codeOf(() => importOnnx(model, { inputShapes: { a: [1, 32, 64], b: [2, 1] } }))).toBe('BAD_SHAPE');
    expect(codeOf(() => importOnnx(model, { inputShapes: { a: [1, -32, 64] } }))).toBe('BAD_SHAPE');
  });

  it('gives a shape to an input that has none; without it that is an error', () => {
    const noShape = makeModel({ inputs: [{ name: 'x' }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])] });
    expect(codeOf(() => importOnnx(noShape))).toBe('UNSUPPORTED_FEATURE');
    expect(importOnnx(noShape, { inputShapes: { x: [2, 2] } }).inputs[0]!.type.shape).toEqual([2, 2]);
  });

  it('rejects unsupported input element types naming the input', () => {
    const m = makeModel({ inputs: [{ name: 'text', shape: [1], elemType: T.STRING }], outputs: ['text'] });
    expect(() => importOnnx(m)).toThrow(/text/);
    expect(codeOf(() => importOnnx(m))).toBe('UNSUPPORTED_DTYPE');
  });
});

describe('attributes', () => {
  it('decodes int, float, string, ints and tensor attributes', () => {
    const g = importOnnx(
      makeModel({
        inputs: [{ name: 's', shape: [2], elemType: T.INT64 }],
        outputs: ['y'],
        nodes: [node('ConstantOfShape', ['s'], ['y'], { value: attr.tensor({ dims: [1], dataType: T.INT32, int32Data: [7] }) })],
      }),
    );
    const value = g.nodes[0]!.attrs['value'];
    expect(value).toMatchObject({ dtype: 'i32', shape: [1] });
    expect(formatType(g.outputs[0]!.type)).toBe('i32[?,?]');
  });
});
