import { describe, expect, it } from 'vitest';
import { EdgecError, GraphBuilder, formatType, type Attributes, type TensorType } from '../../ir/index.js';

/** Infers the output types of one node whose operands are graph inputs of the given types (null = omitted). */
function infer(op: string, operands: (TensorType | null)[], attrs: Attributes = {}, outputs = 1): string[] {
  const b = new GraphBuilder('schema');
  const values = operands.map((type, i) => (type ? b.input(`in${i}`, type) : null));
  const outs = b.node(op, values, attrs, { outputNames: Array.from({ length: outputs }, (_, i) => `out${i}`) });
  return outs.map((v) => formatType(v.type));
}

/** The error code of a node that must not type-check (and the message, to check it names the problem). */
function failure(op: string, operands: (TensorType | null)[], attrs: Attributes = {}, outputs = 1): { code: string; message: string } {
  try {
    infer(op, operands, attrs, outputs);
  } catch (e) {
    if (e instanceof EdgecError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error(`${op} unexpectedly type-checked`);
}

const tt = (dtype: TensorType['dtype'], shape: TensorType['shape']): TensorType => ({ dtype, shape });

describe('QuantizeLinear / DequantizeLinear schemas', () => {
  it('takes the output dtype from the zero point, else output_dtype, else u8', () => {
    expect(infer('QuantizeLinear', [tt('f32', ['N', 3]), tt('f32', []), tt('i8', [])])).toEqual(['i8[N,3]']);
    expect(infer('QuantizeLinear', [tt('f32', ['N', 3]), tt('f32', [3])], { output_dtype: 'u16' })).toEqual(['u16[N,3]']);
    expect(infer('QuantizeLinear', [tt('f16', [2]), tt('f16', [])])).toEqual(['u8[2]']);
  });

  it('rejects a zero point whose dtype differs from output_dtype', () => {
    const f = failure('QuantizeLinear', [tt('f32', [2]), tt('f32', []), tt('i8', [])], { output_dtype: 'u8' });
    expect(f.code).toBe('TYPE_MISMATCH');
    expect(f.message).toMatch(/output_dtype 'u8'.*i8/);
  });

  it('reports unsupported output types (int4, float8, int32) as UNSUPPORTED_DTYPE', () => {
    expect(failure('QuantizeLinear', [tt('f32', [2]), tt('f32', [])], { output_dtype: 'i4' }).code).toBe('UNSUPPORTED_DTYPE');
    expect(failure('QuantizeLinear', [tt('f32', [2]), tt('f32', [])], { output_dtype: 'f8e4m3fn' }).code).toBe('UNSUPPORTED_DTYPE');
    expect(failure('QuantizeLinear', [tt('f32', [2]), tt('f32', []), tt('i32', [])]).code).toBe('UNSUPPORTED_DTYPE');
  });

  it('requires a floating-point scale', () => {
    const f = failure('QuantizeLinear', [tt('f32', [2]), tt('i32', [])]);
    expect(f.code).toBe('TYPE_MISMATCH');
    expect(f.message).toMatch(/scale must be floating point/);
  });

  it('checks the per-axis scale length against the axis dim', () => {
    const f = failure('QuantizeLinear', [tt('f32', [1, 3, 4]), tt('f32', [4]), tt('u8', [4])], { axis: 1 });
    expect(f.code).toBe('BAD_SHAPE');
    expect(f.message).toMatch(/4 values but axis 1 has size 3/);
    expect(infer('QuantizeLinear', [tt('f32', [1, 3, 4]), tt('f32', [4]), tt('u8', [4])], { axis: -1 })).toEqual(['u8[1,3,4]']);
    expect(failure('QuantizeLinear', [tt('f32', [1, 3]), tt('f32', [3])], { axis: 2 }).message).toMatch(/axis 2 is out of range/);
  });

  it('checks blocked scales: ceil(D / block_size) blocks along the axis, other dims equal', () => {
    expect(infer('QuantizeLinear', [tt('f32', [3, 5]), tt('f32', [3, 3])], { axis: 1, block_size: 2 })).toEqual(['u8[3,5]']);
    expect(failure('QuantizeLinear', [tt('f32', [3, 5]), tt('f32', [3, 2])], { axis: 1, block_size: 2 }).message).toMatch(/ceil\(5 \/ 2\) = 3/);
    expect(failure('QuantizeLinear', [tt('f32', [3, 4]), tt('f32', [2, 2])], { axis: 1, block_size: 2 }).code).toBe('BAD_SHAPE');
    expect(failure('QuantizeLinear', [tt('f32', [3, 4]), tt('f32', [3, 2])], { axis: 1, block_size: -1 }).code).toBe('BAD_SHAPE');
  });

  it('requires the zero point to have the scale shape', () => {
    const f = failure('DequantizeLinear', [tt('u8', [2, 3]), tt('f32', [3]), tt('u8', [2])]);
    expect(f.code).toBe('BAD_SHAPE');
    // A scalar scale with a one-element zero point is per-tensor on both sides (as ONNX's own tests use).
    expect(infer('DequantizeLinear', [tt('u8', [2, 3]), tt('f32', []), tt('u8', [1])])).toEqual(['f32[2,3]']);
  });

  it('dequantizes 8/16/32-bit integers into the scale dtype or output_dtype', () => {
    expect(infer('DequantizeLinear', [tt('i32', ['B', 4]), tt('f16', [])])).toEqual(['f16[B,4]']);
    expect(infer('DequantizeLinear', [tt('i16', [4]), tt('f32', [])], { output_dtype: 'f16' })).toEqual(['f16[4]']);
    expect(failure('DequantizeLinear', [tt('f32', [4]), tt('f32', [])]).code).toBe('UNSUPPORTED_DTYPE');
    expect(failure('DequantizeLinear', [tt('u8', [4]), tt('f32', []), tt('i8', [])]).message).toMatch(/zero point .* dtype of x/);
  });

  it('gives DynamicQuantizeLinear a u8 tensor and scalar scale and zero point', () => {
    expect(infer('DynamicQuantizeLinear', [tt('f32', ['N', 8])], {}, 3)).toEqual(['u8[N,8]', 'f32[]', 'u8[]']);
    expect(failure('DynamicQuantizeLinear', [tt('f16', [2])], {}, 3).code).toBe('TYPE_MISMATCH');
  });
});

describe('QLinearConv / ConvInteger schemas', () => {
  const qconv = (x: TensorType, w: TensorType, wScale: TensorType = tt('f32', []), bias: TensorType | null = null) => [
    x, tt('f32', []), tt(x.dtype, []), w, wScale, tt(w.dtype, wScale.shape), tt('f32', []), tt('u8', []), bias,
  ];

  it('infers the conv output shape with symbolic batch and spatial dims', () => {
    expect(infer('QLinearConv', qconv(tt('u8', ['N', 3, 'H', 'W']), tt('i8', [8, 3, 3, 3]), tt('f32', [8])))).toEqual(['u8[N,8,?,?]']);
    expect(infer('QLinearConv', qconv(tt('u8', [1, 3, 224, 224]), tt('u8', [8, 3, 7, 7])), { strides: [2, 2], pads: [3, 3, 3, 3] })).toEqual(['u8[1,8,112,112]']);
    expect(infer('ConvInteger', [tt('u8', [1, 4, 5, 5]), tt('u8', [4, 1, 3, 3])], { group: 4, auto_pad: 'SAME_UPPER', strides: [2, 2] })).toEqual(['i32[1,4,3,3]']);
  });

  it('checks channels against group and kernel_shape against the weight', () => {
    expect(failure('ConvInteger', [tt('u8', [1, 4, 5, 5]), tt('u8', [4, 3, 3, 3])]).message).toMatch(/4 channels but weight expects 3 x group 1/);
    expect(failure('ConvInteger', [tt('u8', [1, 4, 5, 5]), tt('u8', [3, 2, 3, 3])], { group: 2 }).message).toMatch(/do not split into 2 groups/);
    expect(failure('ConvInteger', [tt('u8', [1, 1, 5, 5]), tt('u8', [1, 1, 3, 3])], { kernel_shape: [2, 2] }).code).toBe('BAD_SHAPE');
    expect(failure('ConvInteger', [tt('u8', [1, 1, 5, 5]), tt('u8', [1, 1, 3, 3])], { strides: [1] }).message).toMatch(/strides has 1 values/);
  });

  it('checks per-channel weight scales, zero point dtypes and the bias', () => {
    expect(failure('QLinearConv', qconv(tt('u8', [1, 3, 8, 8]), tt('i8', [8, 3, 3, 3]), tt('f32', [4]))).code).toBe('BAD_SHAPE');
    const badZp = qconv(tt('u8', [1, 3, 8, 8]), tt('i8', [8, 3, 3, 3]));
    badZp[2] = tt('i8', []);
    expect(failure('QLinearConv', badZp).message).toMatch(/x_zero_point .* dtype of its data/);
    expect(failure('QLinearConv', qconv(tt('u8', [1, 3, 8, 8]), tt('i8', [8, 3, 3, 3]), tt('f32', []), tt('f32', [8]))).code).toBe('TYPE_MISMATCH');
    expect(failure('QLinearConv', qconv(tt('u8', [1, 3, 8, 8]), tt('i8', [8, 3, 3, 3]), tt('f32', []), tt('i32', [4]))).code).toBe('BAD_SHAPE');
    expect(failure('ConvInteger', [tt('i16', [1, 1, 5, 5]), tt('u8', [1, 1, 3, 3])]).code).toBe('TYPE_MISMATCH');
  });
});

describe('QLinearMatMul / MatMulInteger schemas', () => {
  const qmm = (a: TensorType, b: TensorType, bScale: TensorType = tt('f32', [])) => [
    a, tt('f32', []), tt(a.dtype, []), b, bScale, tt(b.dtype, bScale.shape), tt('f32', []), tt('i8', []),
  ];

  it('broadcasts batch dims like numpy.matmul', () => {
    expect(infer('QLinearMatMul', qmm(tt('u8', ['B', 3, 4]), tt('i8', [4, 5]), tt('f32', [5])))).toEqual(['i8[B,3,5]']);
    expect(infer('MatMulInteger', [tt('u8', [2, 1, 3, 4]), tt('u8', [5, 4, 6])])).toEqual(['i32[2,5,3,6]']);
    expect(infer('MatMulInteger', [tt('i8', [4]), tt('i8', [4, 6])])).toEqual(['i32[6]']);
  });

  it('rejects mismatched inner dims, unbroadcastable batches and wrong per-column scales', () => {
    expect(failure('MatMulInteger', [tt('u8', [3, 4]), tt('u8', [5, 6])]).message).toMatch(/inner dims differ/);
    expect(failure('MatMulInteger', [tt('u8', [2, 3, 4]), tt('u8', [3, 4, 6])]).message).toMatch(/batch dims do not broadcast/);
    expect(failure('QLinearMatMul', qmm(tt('u8', [3, 4]), tt('u8', [4, 5]), tt('f32', [4]))).code).toBe('BAD_SHAPE');
    expect(failure('MatMulInteger', [tt('u8', [3, 4]), tt('u8', [4, 5]), tt('u8', [4])]).message).toMatch(/per-row parameter has 4 values for 3 rows/);
  });

  it('requires matching zero point dtypes and float scales', () => {
    expect(failure('MatMulInteger', [tt('u8', [3, 4]), tt('u8', [4, 5]), tt('i8', [])]).code).toBe('TYPE_MISMATCH');
    const badScale = qmm(tt('u8', [3, 4]), tt('u8', [4, 5]));
    badScale[1] = tt('i32', []);
    expect(failure('QLinearMatMul', badScale).message).toMatch(/a_scale must be floating point/);
  });
});
