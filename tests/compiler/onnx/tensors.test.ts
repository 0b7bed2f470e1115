import { describe, expect, it } from 'vitest';
import { decodeTensorProto, encodeTensorProto, importOnnx } from '../../../compiler/onnx/index.js';
import { EdgecError, makeTensor, type Graph, type Tensor } from '../../../ir/index.js';
import onnxProto from 'onnx-proto';
import { attr, i64, makeModel, node, rawF32, T, typedI64 } from './make-model.js';

const { onnx } = onnxProto;

/** A model whose only output is the given initializer, passed through Identity. */
function importInitializer(tensor: onnxProto.onnx.ITensorProto): Graph {
  return importOnnx(makeModel({ outputs: ['y'], initializers: [tensor], nodes: [node('Identity', [tensor.name!], ['y'])] }));
}

function constantData(graph: Graph, name: string): Tensor {
  const v = graph.constants.find((c) => c.name === name);
  expect(v, `constant ${name}`).toBeDefined();
  return v!.data!;
}

function errorOf(fn: () => unknown): EdgecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecError);
    return e as EdgecError;
  }
  throw new Error('expected an EdgecError');
}

describe('initializers', () => {
  it('reads raw little-endian float data', () => {
    const g = importInitializer(rawF32('w', [2, 2], [1, -2.5, 3, 4e-3]));
    const t = constantData(g, 'w');
    expect(t.dtype).toBe('f32');
    expect(t.shape).toEqual([2, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, -2.5, 3, Math.fround(4e-3)]);
  });

  it('reads float_data, double_data and raw int8', () => {
    const g = importOnnx(
      makeModel({
        outputs: ['a', 'b', 'c'],
        initializers: [
          { name: 'f', dims: [3], dataType: T.FLOAT, floatData: [0.5, 1.5, -2] },
          { name: 'd', dims: [2], dataType: T.DOUBLE, doubleData: [0.1, 1e300] },
          { name: 'q', dims: [3], dataType: T.INT8, rawData: new Uint8Array([0xff, 0x7f, 0x80]) },
        ],
        nodes: [node('Identity', ['f'], ['a']), node('Identity', ['d'], ['b']), node('Identity', ['q'], ['c'])],
      }),
    );
    expect(Array.from(constantData(g, 'f').data as Float32Array)).toEqual([0.5, 1.5, -2]);
    expect(Array.from(constantData(g, 'd').data as Float64Array)).toEqual([0.1, 1e300]);
    expect(Array.from(constantData(g, 'q').data as Int8Array)).toEqual([-1, 127, -128]);
  });

  it('reads int32_data for f16, bf16, u8, i16 and bool', () => {
    const g = importOnnx(
      makeModel({
        outputs: ['a', 'b', 'c', 'd', 'e'],
        initializers: [
          // 0x3c00 = 1.0, 0xc000 = -2.0 in binary16; 0x3f80 = 1.0, 0x4040 = 3.0 in bfloat16.
          { name: 'h', dims: [2], dataType: T.FLOAT16, int32Data: [0x3c00, 0xc000] },
          { name: 'bf', dims: [2], dataType: T.BFLOAT16, int32Data: [0x3f80, 0x4040] },
          { name: 'u', dims: [2], dataType: T.UINT8, int32Data: [0, 255] },
          { name: 's', dims: [1], dataType: T.INT16, int32Data: [-300] },
          { name: 'm', dims: [3], dataType: T.BOOL, int32Data: [1, 0, 1] },
        ],
        nodes: ['h', 'bf', 'u', 's', 'm'].map((n, i) => node('Identity', [n], [['a', 'b', 'c', 'd', 'e'][i]!])),
      }),
    );
    expect(constantData(g, 'h').dtype).toBe('f16');
    expect(Array.from(constantData(g, 'h').data as Float32Array)).toEqual([1, -2]);
    expect(Array.from(constantData(g, 'bf').data as Float32Array)).toEqual([1, 3]);
    expect(Array.from(constantData(g, 'u').data as Uint8Array)).toEqual([0, 255]);
    expect(Array.from(constantData(g, 's').data as Int16Array)).toEqual([-300]);
    expect(constantData(g, 'm').dtype).toBe('bool');
    expect(Array.from(constantData(g, 'm').data as Uint8Array)).toEqual([1, 0, 1]);
  });

  it('keeps int64 values exact, beyond 2^53, in int64_data and raw_data', () => {
    const big = 9007199254740993n; // 2^53 + 1: not representable as a double
    const raw = new BigInt64Array([big, -big, 9223372036854775807n]);
    const g = importOnnx(
      makeModel({
        outputs: ['a', 'b'],
        initializers: [
          typedI64('t', [3], [i64(big), i64(-big), i64('-9223372036854775808')]),
          { name: 'r', dims: [3], dataType: T.INT64, rawData: new Uint8Array(raw.buffer) },
        ],
        nodes: [node('Identity', ['t'], ['a']), node('Identity', ['r'], ['b'])],
      }),
    );
    expect(Array.from(constantData(g, 't').data as BigInt64Array)).toEqual([big, -big, -9223372036854775808n]);
    expect(Array.from(constantData(g, 'r').data as BigInt64Array)).toEqual([big, -big, 9223372036854775807n]);
  });

  it('reads uint64_data exactly for u64', () => {
    const g = importInitializer({ name: 'u', dims: [1], dataType: T.UINT64, uint64Data: [i64('-1')] });
    expect(Array.from(constantData(g, 'u').data as BigUint64Array)).toEqual([18446744073709551615n]);
  });

  it('accepts an empty tensor with no data', () => {
    const g = importInitializer({ name: 'e', dims: [0, 3], dataType: T.FLOAT });
    expect(constantData(g, 'e').shape).toEqual([0, 3]);
    expect(constantData(g, 'e').data.length).toBe(0);
  });

  it('rejects data whose length does not match the shape, naming the tensor', () => {
    const e1 = errorOf(() => importInitializer(rawF32('w1', [2, 3], [1, 2, 3])));
    expect(e1.code).toBe('BAD_DATA');
    expect(e1.message).toContain("'w1'");
    const e2 = errorOf(() => importInitializer({ name: 'w2', dims: [4], dataType: T.FLOAT, floatData: [1, 2] }));
    expect(e2.code).toBe('BAD_DATA');
    expect(e2.message).toContain("'w2'");
    const e3 = errorOf(() => importInitializer({ name: 'w3', dims: [2], dataType: T.FLOAT }));
    expect(e3.code).toBe('BAD_DATA');
  });

  it('rejects negative and absurd dims before allocating', () => {
    const neg = errorOf(() => importInitializer({ name: 'n', dims: [2, -1], dataType: T.FLOAT, floatData: [1, 2] }));
    expect(neg.code).toBe('BAD_SHAPE');
    expect(neg.message).toContain("'n'");
    const huge = errorOf(() => importInitializer({ name: 'h', dims: [i64('4294967296')], dataType: T.FLOAT }));
    expect(huge.code).toBe('BAD_SHAPE');
    const many = errorOf(() => importInitializer({ name: 'm', dims: [65536, 65536, 2], dataType: T.FLOAT }));
    expect(many.code).toBe('BAD_SHAPE');
  });

  it('rejects string, complex and float8 tensors with UNSUPPORTED_DTYPE naming the tensor', () => {
    for (const dataType of [T.STRING, T.COMPLEX64, T.FLOAT8E4M3FN]) {
      const e = errorOf(() => importInitializer({ name: 'odd', dims: [1], dataType, rawData: new Uint8Array(8) }));
      expect(e.code).toBe('UNSUPPORTED_DTYPE');
      expect(e.message).toContain("'odd'");
    }
  });
});

describe('Constant nodes', () => {
  it('become graph constants from value, value_float(s) and value_int(s)', () => {
    const g = importOnnx(
      makeModel({
        outputs: ['a', 'b', 'c', 'd', 'e'],
        nodes: [
          node('Constant', [], ['a'], { value: attr.tensor(rawF32('', [2], [1, 2])) }),
          node('Constant', [], ['b'], { value_float: attr.float(0.25) }),
          node('Constant', [], ['c'], { value_floats: attr.floats(1, 2, 3) }),
          node('Constant', [], ['d'], { value_int: attr.int(i64('9007199254740993')) }),
          node('Constant', [], ['e'], { value_ints: attr.ints(-1, 4) }),
        ],
      }),
    );
    expect(g.nodes).toHaveLength(0);
    expect(Array.from(constantData(g, 'a').data as Float32Array)).toEqual([1, 2]);
    expect(constantData(g, 'b')).toMatchObject({ dtype: 'f32', shape: [] });
    expect(constantData(g, 'b').data[0]).toBe(0.25);
    expect(constantData(g, 'c').shape).toEqual([3]);
    expect(constantData(g, 'd')).toMatchObject({ dtype: 'i64', shape: [] });
    expect(constantData(g, 'd').data[0]).toBe(9007199254740993n);
    expect(Array.from(constantData(g, 'e').data as BigInt64Array)).toEqual([-1n, 4n]);
    expect(g.outputs.map((v) => v.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('rejects string and sparse constants', () => {
    const strings = errorOf(() =>
      importOnnx(makeModel({ outputs: ['s'], nodes: [node('Constant', [], ['s'], { value_string: attr.str('hi') })] })),
    );
    expect(strings.code).toBe('UNSUPPORTED_DTYPE');
    const sparse = errorOf(() =>
      importOnnx(
        makeModel({
          outputs: ['s'],
          nodes: [{ op: 'Constant', inputs: [], outputs: ['s'], name: 'sp', attrs: { sparse_value: { type: 11, sparseTensor: { dims: [2] } } } }],
        }),
      ),
    );
    expect(sparse.code).toBe('UNSUPPORTED_FEATURE');
    expect(sparse.message).toContain("'sp'");
  });
});

describe('TensorProto files', () => {
  it('round-trips every dtype through encodeTensorProto and decodeTensorProto', () => {
    const cases: Tensor[] = [
      makeTensor('f32', [2, 2], [1, 2.5, -3, 0]),
      makeTensor('f16', [3], [1, 0.5, -65504]),
      makeTensor('bf16', [2], [1, -2]),
      makeTensor('f64', [1], [Math.PI]),
      makeTensor('i8', [2], [-128, 127]),
      makeTensor('u16', [1], [65535]),
      makeTensor('i64', [2], [9007199254740993n, -5n]),
      makeTensor('u64', [1], [18446744073709551615n]),
      makeTensor('bool', [3], [1, 0, 1]),
      makeTensor('i32', [], [-7]),
    ];
    for (const t of cases) {
      const { name, tensor } = decodeTensorProto(encodeTensorProto('x', t));
      expect(name).toBe('x');
      expect(tensor.dtype).toBe(t.dtype);
      expect(tensor.shape).toEqual(t.shape);
      expect(Array.from(tensor.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
  });

  it('decodes typed-field TensorProtos as written by onnx.numpy_helper', () => {
    const bytes = onnx.TensorProto.encode({ name: 'in', dims: [2], dataType: T.INT32, int32Data: [3, -4] }).finish();
    const { tensor } = decodeTensorProto(bytes, 'input_0.pb');
    expect(Array.from(tensor.data as Int32Array)).toEqual([3, -4]);
  });

  it('rejects empty and garbage bytes with ONNX_DECODE naming the file', () => {
    expect(errorOf(() => decodeTensorProto(new Uint8Array(), 'a.pb')).code).toBe('ONNX_DECODE');
    const e = errorOf(() => decodeTensorProto(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]), 'b.pb'));
    expect(e.code).toBe('ONNX_DECODE');
    expect(e.message).toContain('b.pb');
  });
});
