/**
 * Element types. Half-precision floats (f16, bf16) are held in Float32Array in memory, rounded to their
 * precision; their byte size is still 2 for layout and file formats.
 */
export const DTYPES = ['f32', 'f16', 'bf16', 'f64', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface DTypeInfo {
  bytes: number;
  float: boolean;
  signed: boolean;
  array: { new (n: number): TypedArray; new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray };
  min: number;
  max: number;
}

const INFO: Record<DType, DTypeInfo> = {
  f32: { bytes: 4, float: true, signed: true, array: Float32Array, min: -3.4028234663852886e38, max: 3.4028234663852886e38 },
  f16: { bytes: 2, float: true, signed: true, array: Float32Array, min: -65504, max: 65504 },
  bf16: { bytes: 2, float: true, signed: true, array: Float32Array, min: -3.3895313892515355e38, max: 3.3895313892515355e38 },
  f64: { bytes: 8, float: true, signed: true, array: Float64Array, min: -Number.MAX_VALUE, max: Number.MAX_VALUE },
  i8: { bytes: 1, float: false, signed: true, array: Int8Array, min: -128, max: 127 },
  u8: { bytes: 1, float: false, signed: false, array: Uint8Array, min: 0, max: 255 },
  i16: { bytes: 2, float: false, signed: true, array: Int16Array, min: -32768, max: 32767 },
  u16: { bytes: 2, float: false, signed: false, array: Uint16Array, min: 0, max: 65535 },
  i32: { bytes: 4, float: false, signed: true, array: Int32Array, min: -2147483648, max: 2147483647 },
  u32: { bytes: 4, float: false, signed: false, array: Uint32Array, min: 0, max: 4294967295 },
  i64: { bytes: 8, float: false, signed: true, array: BigInt64Array, min: -9223372036854775808, max: 9223372036854775807 },
  u64: { bytes: 8, float: false, signed: false, array: BigUint64Array, min: 0, max: 18446744073709551615 },
  bool: { bytes: 1, float: false, signed: false, array: Uint8Array, min: 0, max: 1 },
};

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}
export const dtypeBytes = (d: DType): number => INFO[d].bytes;
export const isFloat = (d: DType): boolean => INFO[d].float;
export const isInteger = (d: DType): boolean => !INFO[d].float && d !== 'bool';
export const isSigned = (d: DType): boolean => INFO[d].signed;
export const isBigInt = (d: DType): boolean => d === 'i64' || d === 'u64';
export const dtypeRange = (d: DType): [number, number] => [INFO[d].min, INFO[d].max];

/** A zeroed array of n elements in the in-memory representation of dtype. */
export function allocArray(dtype: DType, n: number): TypedArray {
  return new INFO[dtype].array(n);
}

/** View little-endian bytes as the in-memory array of dtype (copying, so alignment never matters). */
export function arrayFromBytes(dtype: DType, bytes: Uint8Array): TypedArray {
  const n = Math.floor(bytes.byteLength / INFO[dtype].bytes);
  if (dtype === 'f16' || dtype === 'bf16') {
    const out = new Float32Array(n);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const decode = dtype === 'f16' ? halfToFloat : bfloat16ToFloat;
    for (let i = 0; i < n; i++) out[i] = decode(dv.getUint16(2 * i, true));
    return out;
  }
  if (dtype === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
    return out;
  }
  // Copy into a fresh buffer: `bytes` may be a view into a larger (or shared, for Node Buffers) ArrayBuffer
  // at an offset the typed array could not be aligned to.
  const copy = new Uint8Array(n * INFO[dtype].bytes);
  copy.set(bytes.subarray(0, copy.length));
  return new INFO[dtype].array(copy.buffer, 0, n);
}

/** Little-endian bytes of an in-memory array (f16/bf16 narrowed back to 2 bytes). */
export function arrayToBytes(dtype: DType, data: TypedArray): Uint8Array {
  if (dtype === 'f16' || dtype === 'bf16') {
    const out = new Uint8Array(data.length * 2);
    const dv = new DataView(out.buffer);
    const encode = dtype === 'f16' ? floatToHalf : floatToBfloat16;
    for (let i = 0; i < data.length; i++) dv.setUint16(2 * i, encode(Number(data[i])), true);
    return out;
  }
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

// IEEE 754 binary16 <-> binary32, round to nearest even.
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

export function floatToHalf(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function bfloat16ToFloat(b: number): number {
  u32Scratch[0] = b << 16;
  return f32Scratch[0];
}

export function floatToBfloat16(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0];
  if (Number.isNaN(x)) return 0x7fc0;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

/** Round a number to what dtype can hold (the value a store into that dtype would produce). */
export function roundToDType(dtype: DType, x: number): number {
  switch (dtype) {
    case 'f32':
      return Math.fround(x);
    case 'f16':
      return halfToFloat(floatToHalf(x));
    case 'bf16':
      return bfloat16ToFloat(floatToBfloat16(x));
    default:
      return x;
  }
}
