import { EdgecRuntimeError } from './errors.js';
import { loadWasm, type LoadedModel, type WasmLoadOptions } from './wasm.js';

export { EdgecRuntimeError } from './errors.js';
export type { LoadedModel, Profiler, WasmLoadOptions } from './wasm.js';

export type LoadOptions = WasmLoadOptions;
export type { ElementArray, Feed, TensorInfo } from './tensors.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Loads any edgec artifact (by its magic bytes) and returns `{ inputs, outputs, run }`. */
export async function load(bytes: Uint8Array, options: LoadOptions = {}): Promise<LoadedModel> {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return loadWasm(bytes, options);
  throw new EdgecRuntimeError('UNSUPPORTED_ARTIFACT', 'not an edgec artifact this runtime knows (expected a WebAssembly module)');
}
