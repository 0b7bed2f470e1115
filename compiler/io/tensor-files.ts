import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { EdgecError, type Tensor } from '../../ir/index.js';
import { encodeTensorProto, readTensorProtoFile } from '../onnx/index.js';
import { decodeNpy, encodeNpy } from './npy.js';

/** Reads a tensor from a .npy file or an ONNX TensorProto .pb file, chosen by extension. */
export function readTensorFile(path: string): Tensor {
  const ext = extname(path).toLowerCase();
  let bytes: Uint8Array;
  try {
    if (ext === '.pb') return readTensorProtoFile(path).tensor;
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof EdgecError) throw e;
    throw new EdgecError('IO', `cannot read tensor file: ${(e as Error).message}`, { file: path });
  }
  if (ext === '.npy') return decodeNpy(bytes, path);
  throw new EdgecError('USAGE', `unknown tensor file type '${ext}' (use .npy or .pb)`, { file: path });
}

export function writeTensorFile(path: string, name: string, tensor: Tensor): void {
  const ext = extname(path).toLowerCase();
  const bytes = ext === '.pb' ? encodeTensorProto(name, tensor) : encodeNpy(tensor);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new EdgecError('IO', `cannot write tensor file: ${(e as Error).message}`, { file: path });
  }
}
