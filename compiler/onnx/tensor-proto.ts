import { readFileSync } from 'node:fs';
import {
  allocArray,
  arrayFromBytes,
  arrayToBytes,
  bfloat16ToFloat,
  dtypeBytes,
  EdgecError,
  halfToFloat,
  type DType,
  type Tensor,
  type TypedArray,
} from '../../ir/index.js';
import { irDTypeToOnnx, onnxDTypeToIr } from './dtypes.js';
import { readExternalData } from './external-data.js';
import { DATA_LOCATION_EXTERNAL, hasField, int64ToBigInt, onnx, uint64ToBigInt, type Int64Field, type TensorProto } from './proto.js';

/** Limits that keep hostile models from making us allocate absurdly: per dim and per tensor. */
export const MAX_DIM = 2 ** 31;
export const MAX_ELEMENTS = 2 ** 31;

export interface TensorContext {
  /** The model (or .pb) file: named in messages, and the base folder of external data. */
  file?: string;
  /** Overrides "tensor '<name>'" in messages (e.g. "attribute 'value' of node 'c'"). */
  what?: string;
}

/** Dims of a TensorProto as numbers; BAD_SHAPE for negative or absurd dims or element counts. */
export function checkedDims(dims: readonly Int64Field[], what: string, file?: string): number[] {
  const shape: number[] = [];
  let total = 1;
  for (const raw of dims) {
    const d = int64ToBigInt(raw);
    if (d < 0n) throw new EdgecError('BAD_SHAPE', `${what} has a negative dim ${d}`, { file });
    if (d > BigInt(MAX_DIM)) throw new EdgecError('BAD_SHAPE', `${what} has an absurd dim ${d} (more than 2^31)`, { file });
    shape.push(Number(d));
    total *= Number(d);
  }
  if (total > MAX_ELEMENTS) throw new EdgecError('BAD_SHAPE', `${what} has ${total} elements (more than 2^31)`, { file });
  return shape;
}

/** An IR tensor from a TensorProto (raw_data, the typed fields, or external data), checking sizes first. */
export function tensorFromProto(proto: TensorProto, ctx: TensorContext = {}): Tensor {
  const { file } = ctx;
  const what = ctx.what ?? `tensor '${proto.name ?? ''}'`;
  const dtype = onnxDTypeToIr(proto.dataType ?? 0, what, { file });
  const shape = checkedDims(proto.dims ?? [], what, file);
  const n = shape.reduce((a, b) => a * b, 1);
  const byteSize = n * dtypeBytes(dtype);
  if (proto.segment) throw new EdgecError('UNSUPPORTED_FEATURE', `${what} is segmented, which is not supported`, { file });

  if (proto.dataLocation === DATA_LOCATION_EXTERNAL) {
    return { dtype, shape, data: arrayFromBytes(dtype, readExternalData(proto, byteSize, file)) };
  }
  const raw = proto.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== byteSize) {
      throw new EdgecError('BAD_DATA', `${what} has ${raw.length} bytes of raw data; shape [${shape.join(',')}] of ${dtype} needs ${byteSize}`, { file });
    }
    return { dtype, shape, data: arrayFromBytes(dtype, plainBytes(raw)) };
  }
  const [field, values] = typedField(proto, dtype);
  if (values.length !== n) {
    const got = values.length === 0 ? 'no data' : `${values.length} values in ${field}`;
    throw new EdgecError('BAD_DATA', `${what} has ${got}; shape [${shape.join(',')}] needs ${n}`, { file });
  }
  return { dtype, shape, data: fromTypedField(dtype, values) };
}

/**
 * protobufjs hands out bytes fields as Node Buffers sharing one big buffer; Buffer.slice does not copy, which
 * arrayFromBytes relies on. A plain Uint8Array view over the same memory makes its slice() a real copy.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

type FieldValues = readonly number[] | readonly Int64Field[];

/** Which typed field holds a dtype's data when raw_data is not used (see onnx.proto). */
function typedField(proto: TensorProto, dtype: DType): [string, FieldValues] {
  switch (dtype) {
    case 'f32':
      return ['float_data', proto.floatData ?? []];
    case 'f64':
      return ['double_data', proto.doubleData ?? []];
    case 'i64':
      return ['int64_data', proto.int64Data ?? []];
    case 'u64':
    case 'u32':
      return ['uint64_data', proto.uint64Data ?? []];
    default:
      // int32_data also carries i8/u8/i16/u16/bool and the bit patterns of f16/bf16.
      return ['int32_data', proto.int32Data ?? []];
  }
}

function fromTypedField(dtype: DType, values: FieldValues): TypedArray {
  const n = values.length;
  const out = allocArray(dtype, n);
  if (dtype === 'i64') {
    const dst = out as BigInt64Array;
    for (let i = 0; i < n; i++) dst[i] = int64ToBigInt(values[i] as Int64Field);
  } else if (dtype === 'u64') {
    const dst = out as BigUint64Array;
    for (let i = 0; i < n; i++) dst[i] = uint64ToBigInt(values[i] as Int64Field);
  } else if (dtype === 'u32') {
    const dst = out as Uint32Array;
    for (let i = 0; i < n; i++) dst[i] = Number(uint64ToBigInt(values[i] as Int64Field));
  } else if (dtype === 'f16' || dtype === 'bf16') {
    const decode = dtype === 'f16' ? halfToFloat : bfloat16ToFloat;
    const dst = out as Float32Array;
    for (let i = 0; i < n; i++) dst[i] = decode((values[i] as number) & 0xffff);
  } else if (dtype === 'bool') {
    const dst = out as Uint8Array;
    for (let i = 0; i < n; i++) dst[i] = values[i] ? 1 : 0;
  } else {
    const dst = out as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < n; i++) dst[i] = values[i] as number;
  }
  return out;
}

function decodeProto(bytes: Uint8Array, file?: string): TensorProto {
  if (bytes.length === 0) throw new EdgecError('ONNX_DECODE', 'the file is empty, not an ONNX TensorProto', { file });
  try {
    return onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new EdgecError('ONNX_DECODE', `not a valid ONNX TensorProto (${(e as Error).message})`, { file });
  }
}

/** A serialized TensorProto (e.g. an ONNX test case's input_0.pb) as a named IR tensor. */
export function decodeTensorProto(bytes: Uint8Array, file?: string): { name: string; tensor: Tensor } {
  const proto = decodeProto(bytes, file);
  if (!hasField(proto, 'dataType')) throw new EdgecError('ONNX_DECODE', 'not an ONNX TensorProto (it has no data type)', { file });
  return { name: proto.name ?? '', tensor: tensorFromProto(proto, { file }) };
}

export function readTensorProtoFile(path: string): { name: string; tensor: Tensor } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new EdgecError('IO', `cannot read tensor file: ${(e as Error).message}`, { file: path });
  }
  return decodeTensorProto(bytes, path);
}

/** Serializes an IR tensor as a TensorProto with little-endian raw_data. */
export function encodeTensorProto(name: string, tensor: Tensor): Uint8Array {
  const rawData = tensor.dtype === 'bool' ? Uint8Array.from(tensor.data as Uint8Array, (x) => (x ? 1 : 0)) : arrayToBytes(tensor.dtype, tensor.data);
  return onnx.TensorProto.encode({ name, dims: [...tensor.shape], dataType: irDTypeToOnnx(tensor.dtype), rawData }).finish();
}
