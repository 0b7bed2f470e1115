/**
 * Errors the runtime raises, with the same codes as the compiler's EdgecError so callers handle both alike.
 * The runtime ships to devices and imports nothing from the compiler.
 */
import { FormatError } from './formats/errors.js';

export type RuntimeErrorCode =
  | 'RUNTIME_INPUT'
  | 'ARTIFACT_INVALID'
  | 'UNSUPPORTED_ARTIFACT'
  | 'SEAL_MISSING' // a seal (or a signature) is required and the artifact has none: never sealed, or stripped
  | 'SEAL_INVALID' // the seal is malformed, does not match the artifact, or a signature does not verify
  | 'UNTRUSTED_SIGNER' // validly signed, but not by a trusted key (or not by a signer the contract requires)
  | 'CONTRACT_VIOLATION' // the model's contract forbids this use, target or time
  | 'NO_GPU_ADAPTER' // WebGPU is missing or found no adapter
  | 'GPU_LIMIT' // the model needs a device limit or WGSL feature the adapter lacks
  | 'GPU_ERROR'; // the GPU rejected a run (validation error, device lost)

export class EdgecRuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EdgecRuntimeError';
  }
}

/** A format reader's error as the runtime's: an unknown format is UNSUPPORTED_ARTIFACT, a malformed one ARTIFACT_INVALID. */
export function runtimeErrorOf(e: unknown): unknown {
  if (e instanceof FormatError) return new EdgecRuntimeError(e.kind === 'unsupported' ? 'UNSUPPORTED_ARTIFACT' : 'ARTIFACT_INVALID', e.message);
  return e;
}
