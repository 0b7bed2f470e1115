import { elfWithSeal } from '../../runtime/formats/elf-seal-note.js';
import { wasmWithSeal } from '../../runtime/formats/wasm-seal.js';
import { bundleWithSeal } from '../../runtime/formats/webgpu-bundle.js';
import { containerFor, type SealContainer } from '../../runtime/seal.js';
import { provenanceError } from './errors.js';

/**
 * Writing a seal into an artifact, one writer per artifact kind. Where each kind keeps its seal is defined once
 * in runtime/formats/ (wasm-seal.ts, elf-seal-note.ts, webgpu-bundle.ts), beside the reader; reading is the
 * runtime's job (SealContainer in runtime/seal.ts). A new kind adds its format there, a container in the runtime
 * and a writer here:
 *   - wasm: an `edgec.seal` custom section appended last; the digest covers the module without it.
 *   - rvv: fills the `.note.edgec.seal` ELF note (owner "edgec") reserved by the generated C source; the digest
 *     covers the file with the note's descriptor zeroed, so the container's `unsealed` is that zeroed copy.
 *   - webgpu: the bundle header's seal field; the digest covers the bundle without it.
 */
export interface SealWriter {
  readonly kind: string;
  /** The artifact with the seal payload embedded; `unsealed` carries no seal. */
  embed(unsealed: Uint8Array, payload: Uint8Array): Uint8Array;
}

export const wasmSealWriter: SealWriter = { kind: 'wasm', embed: wasmWithSeal };

/** rvv: the payload goes into the reserved `.note.edgec.seal` descriptor as u32 length + bytes, in place. */
export const elfSealWriter: SealWriter = {
  kind: 'rvv',
  embed(unsealed, payload) {
    try {
      return elfWithSeal(unsealed, payload);
    } catch (e) {
      throw provenanceError('SEAL_INVALID', (e as Error).message);
    }
  },
};

export const webgpuSealWriter: SealWriter = { kind: 'webgpu', embed: bundleWithSeal };

const WRITERS: ReadonlyMap<string, SealWriter> = new Map([wasmSealWriter, elfSealWriter, webgpuSealWriter].map((w) => [w.kind, w]));

/** The reader and writer for an artifact, by its magic bytes; artifacts that cannot carry a seal are an error. */
export function sealHandlersFor(bytes: Uint8Array): { container: SealContainer; writer: SealWriter } {
  const container = containerFor(bytes);
  const writer = container && WRITERS.get(container.kind);
  if (!container || !writer) throw provenanceError('SEAL_INVALID', 'this artifact kind cannot carry a seal (sealable: wasm, rvv ELF, webgpu bundle)');
  return { container, writer };
}

/** Whether edgec can seal these bytes (the reference target's IR text, for one, cannot). */
export function canSeal(bytes: Uint8Array): boolean {
  const container = containerFor(bytes);
  return !!container && WRITERS.has(container.kind);
}
