import { EdgecError, type DType, type ErrorLocation } from '../../ir/index.js';

/** ONNX TensorProto.DataType numbers <-> IR dtype names. */

const ONNX_TO_IR: Record<number, DType> = {
  1: 'f32',
  2: 'u8',
  3: 'i8',
  4: 'u16',
  5: 'i16',
  6: 'i32',
  7: 'i64',
  9: 'bool',
  10: 'f16',
  11: 'f64',
  12: 'u32',
  13: 'u64',
  16: 'bf16',
};

/** Names of the ONNX element types edgec does not support, for messages. */
const UNSUPPORTED_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  8: 'STRING',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
  24: 'FLOAT8E8M0',
  25: 'UINT2',
  26: 'INT2',
};

const IR_TO_ONNX: Record<DType, number> = Object.fromEntries(
  Object.entries(ONNX_TO_IR).map(([k, v]) => [v, Number(k)]),
) as Record<DType, number>;

/** Old (opset < 6) Cast models name the type with a string ('FLOAT'); these are the TensorProto enum names. */
const ONNX_NAMES: Record<string, number> = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
};

export function onnxDTypeName(elemType: number): string {
  const ir = ONNX_TO_IR[elemType];
  if (ir) return Object.keys(ONNX_NAMES).find((k) => ONNX_NAMES[k] === elemType) ?? ir;
  return UNSUPPORTED_NAMES[elemType] ?? `data type ${elemType}`;
}

/**
 * The IR dtype of an ONNX element type; UNSUPPORTED_DTYPE for strings, complex, float8 and the rest.
 * `where` names what carries the type (e.g. "tensor 'w'") so the message says which value is at fault.
 */
export function onnxDTypeToIr(elemType: number, where?: string, location: ErrorLocation = {}): DType {
  const ir = ONNX_TO_IR[elemType];
  if (ir) return ir;
  const subject = where ? `${where} has` : 'has';
  throw new EdgecError('UNSUPPORTED_DTYPE', `${subject} unsupported element type ${onnxDTypeName(elemType)} (${elemType})`, location);
}

export function irDTypeToOnnx(dtype: DType): number {
  const n = IR_TO_ONNX[dtype];
  if (n === undefined) throw new EdgecError('UNSUPPORTED_DTYPE', `dtype ${dtype} has no ONNX element type`);
  return n;
}

/** The ONNX enum number for an old-style type name ('FLOAT'), if it is one. */
export function onnxDTypeFromName(name: string): number | undefined {
  return ONNX_NAMES[name.toUpperCase()];
}
