import { EdgecRuntimeError } from './errors.js';

/** Element types as artifacts name them, and the typed arrays that hold them. */
export type ElementArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

type ArrayConstructor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): ElementArray; readonly name: string; BYTES_PER_ELEMENT: number };

const ARRAYS: Record<string, ArrayConstructor> = {
  f32: Float32Array,
  f64: Float64Array,
  // Half-precision floats travel as their raw 2-byte encodings (compiler/io/artifact-io.ts converts).
  f16: Uint16Array,
  bf16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
  bool: Uint8Array,
  i16: Int16Array,
  u16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
};

export interface TensorInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

export function arrayTypeFor(dtype: string): ArrayConstructor {
  const type = ARRAYS[dtype];
  if (!type) throw new EdgecRuntimeError('UNSUPPORTED_ARTIFACT', `element type '${dtype}' is not supported by this runtime`);
  return type;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

/** A feed: the data alone (its shape is the declared one), or data with a shape to check. */
export type Feed = ElementArray | { data: ElementArray; shape?: readonly number[] };

/** Checks a feed against its input's declared type; returns its data. */
export function checkFeed(info: TensorInfo, feed: Feed | undefined): ElementArray {
  if (feed === undefined) throw new EdgecRuntimeError('RUNTIME_INPUT', `input '${info.name}' (${info.dtype}[${info.shape.join(',')}]) is not fed`);
  const data = ArrayBuffer.isView(feed) ? feed : feed.data;
  const shape = ArrayBuffer.isView(feed) ? undefined : feed.shape;
  const type = arrayTypeFor(info.dtype);
  if (!(data instanceof type)) {
    const got = (data as object | null)?.constructor?.name ?? typeof data;
    throw new EdgecRuntimeError('RUNTIME_INPUT', `input '${info.name}' must be ${info.dtype} (${type.name}), got ${got}`);
  }
  if (shape && (shape.length !== info.shape.length || shape.some((d, i) => d !== info.shape[i]))) {
    throw new EdgecRuntimeError('RUNTIME_INPUT', `input '${info.name}' must have shape [${info.shape.join(',')}], got [${shape.join(',')}]`);
  }
  const expected = elementCount(info.shape);
  if (data.length !== expected) {
    throw new EdgecRuntimeError('RUNTIME_INPUT', `input '${info.name}' must hold ${expected} elements ([${info.shape.join(',')}]), got ${data.length}`);
  }
  return data;
}
