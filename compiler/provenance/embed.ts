import { elfSealDescriptor } from '../../runtime/elf-seal.js';
import { containerFor, WASM_SEAL_SECTION, type SealContainer } from '../../runtime/seal.js';
import { withSeal } from '../../runtime/webgpu-bundle.js';
import { concatBytes, wasmCustomSection } from '../../targets/wasm/binary.js';
import { provenanceError } from './errors.js';

/**
 * Writing a seal into an artifact, one writer per artifact kind. Reading is the runtime's job (SealContainer
 * in runtime/seal.ts); a new kind adds a container there and a writer here:
 *   - rvv: fills the `.note.edgec.seal` ELF note (owner "edgec") reserved by the generated C source; the digest
 *     covers the file with the note's descriptor zeroed, so the container's `unsealed` is that zeroed copy.
 *   - webgpu: the bundle header's seal field; the digest covers the bundle without it.
 */
export interface SealWriter {
  readonly kind: string;
  /** The artifact with the seal payload embedded; `unsealed` carries no seal. */
  embed(unsealed: Uint8Array, payload: Uint8Array): Uint8Array;
}

export const wasmSealWriter: SealWriter = {
  kind: 'wasm',
  embed(unsealed, payload) {
    return concatBytes([unsealed, wasmCustomSection(WASM_SEAL_SECTION, payload)]);
  },
};

/** rvv: the payload goes into the reserved `.note.edgec.seal` descriptor as u32 length + bytes, in place. */
export const elfSealWriter: SealWriter = {
  kind: 'rvv',
  embed(unsealed, payload) {
    const descriptor = elfSealDescriptor(unsealed);
    if (!descriptor) throw provenanceError('SEAL_INVALID', 'the ELF has no .note.edgec.seal note to hold the seal');
    const room = descriptor.end - descriptor.start - 4;
    if (payload.length > room) throw provenanceError('SEAL_INVALID', `the seal (${payload.length} bytes) does not fit the ${room} bytes the ELF note reserves`);
    const out = new Uint8Array(unsealed);
    new DataView(out.buffer).setUint32(descriptor.start, payload.length, true);
    out.set(payload, descriptor.start + 4);
    return out;
  },
};

export const webgpuSealWriter: SealWriter = {
  kind: 'webgpu',
  embed: (unsealed, payload) => withSeal(unsealed, payload),
};

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
