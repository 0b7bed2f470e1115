import { allocArray, arrayFromBytes, arrayToBytes, EdgecError, numel, type DType, type Tensor } from '../../ir/index.js';

/**
 * NumPy .npy files (format versions 1-3, little-endian, C order), the usual way to hand tensors to and from
 * Python tooling.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, DType> = {
  '<f4': 'f32',
  '<f2': 'f16',
  '<f8': 'f64',
  '|i1': 'i8',
  '|u1': 'u8',
  '<i2': 'i16',
  '<u2': 'u16',
  '<i4': 'i32',
  '<u4': 'u32',
  '<i8': 'i64',
  '<u8': 'u64',
  '|b1': 'bool',
};
const DTYPE_TO_DESCR = Object.fromEntries(Object.entries(DESCR_TO_DTYPE).map(([k, v]) => [v, k])) as Record<DType, string>;

export function decodeNpy(bytes: Uint8Array, file = '<npy>'): Tensor {
  const fail = (message: string): never => {
    throw new EdgecError('BAD_DATA', message, { file });
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) fail('not a .npy file (bad magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > bytes.length) fail('truncated .npy header');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) fail(`unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') fail('Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray');
  const dtype = DESCR_TO_DTYPE[descr!] ?? fail(`unsupported .npy dtype '${descr}'`);
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`bad .npy shape (${shapeText})`)));
  const n = numel(shape);
  const bytesPerElement = dtype === 'f16' ? 2 : allocArray(dtype, 0).BYTES_PER_ELEMENT;
  const body = bytes.subarray(headerStart + headerLen);
  if (body.length !== n * bytesPerElement) fail(`.npy data holds ${body.length} bytes; shape [${shape.join(',')}] of ${dtype} needs ${n * bytesPerElement}`);
  return { dtype, shape, data: arrayFromBytes(dtype, body) };
}

export function encodeNpy(t: Tensor): Uint8Array {
  const descr = DTYPE_TO_DESCR[t.dtype];
  if (!descr) throw new EdgecError('UNSUPPORTED_DTYPE', `.npy has no ${t.dtype} type`);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so the data starts 64-byte aligned, ending the header with a newline (format rule).
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = arrayToBytes(t.dtype, t.data);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}
