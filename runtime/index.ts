import { EdgecRuntimeError } from './errors.js';
import { enforceSeal, type SealReport, type VerifyOptions } from './seal.js';
import { loadWasm, type LoadedModel, type WasmLoadOptions } from './wasm.js';
import { isWasm } from './formats/wasm-module.js';
import { isBundle } from './formats/webgpu-bundle.js';
import { loadWebGpu, type GpuLoadedModel, type WebGpuLoadOptions } from './webgpu.js';

export { EdgecRuntimeError, type RuntimeErrorCode } from './errors.js';
export type { LoadedModel, Profiler, WasmLoadOptions } from './wasm.js';
export type { GpuLoadedModel, WebGpuLoadOptions } from './webgpu.js';
export { verifySeal, keyIdOf, type PublicKeyInput, type SealProblem, type SealReport, type VerifyOptions } from './seal.js';
export type { Contract, DataLineageEntry } from './contract.js';

/**
 * Options of load(): the wasm loader's (`profiler`), the WebGPU loader's (`gpu`, `device`), plus what the
 * seal must satisfy — `trustedKeys` (PEM or raw Ed25519 public keys; when given, a signature by one of them is
 * required), `requireSignature`, `intendedUse` (checked against the contract's permitted and prohibited uses)
 * and `now` (for notBefore / expires).
 */
export type LoadOptions = WasmLoadOptions & WebGpuLoadOptions & VerifyOptions;
export type { ElementArray, Feed, TensorInfo } from './tensors.js';

/**
 * A loaded model, with what its seal said when it had one (null: unsealed, loaded because nothing was required).
 * `kind` tells them apart: a wasm model's run() returns its outputs at once, a webgpu model's a Promise of them
 * (`await model.run(feeds)` suits both).
 */
export type SealedModel = (LoadedModel | GpuLoadedModel) & { readonly seal: SealReport | null };

/**
 * Loads any edgec artifact (by its magic bytes) and returns `{ inputs, outputs, run }`. The seal is verified
 * and the contract enforced before anything is instantiated; a refusal is an EdgecRuntimeError (SEAL_MISSING,
 * SEAL_INVALID, UNTRUSTED_SIGNER, CONTRACT_VIOLATION) whose message names the failed clause.
 */
export async function load(bytes: Uint8Array, options: LoadOptions = {}): Promise<SealedModel> {
  if (isWasm(bytes)) {
    const report = await enforceSeal(bytes, options);
    const model = await loadWasm(bytes, options);
    return Object.assign(model, { seal: report.sealed ? report : null });
  }
  if (isBundle(bytes)) {
    const report = await enforceSeal(bytes, options);
    const model = await loadWebGpu(bytes, options);
    return Object.assign(model, { seal: report.sealed ? report : null });
  }
  throw new EdgecRuntimeError('UNSUPPORTED_ARTIFACT', 'not an edgec artifact this runtime knows (expected a WebAssembly module or a WebGPU bundle)');
}
