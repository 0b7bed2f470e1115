import { containerFor, WASM_SEAL_SECTION, type SealContainer } from '../../runtime/seal.js';
import { provenanceError } from './errors.js';

/**
 * Writing a seal into an artifact, one writer per artifact kind. Reading is the runtime's job (SealContainer
 * in runtime/seal.ts); a new kind adds a container there and a writer here:
 *   - rvv: fill the `.note.edgec.seal` ELF note (owner "edgec") reserved by the generated C source; the digest
 *     covers the file with the note's descriptor zeroed, so the container's `unsealed` is that zeroed copy.
 *   - webgpu: the bundle header's seal field; the digest covers the bundle without it.
 */
export interface SealWriter {
  readonly kind: string;
  /** The artifact with the seal payload embedded; `unsealed` carries no seal. */
  embed(unsealed: Uint8Array, payload: Uint8Array): Uint8Array;
}

function uleb128(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** A wasm custom section: id 0, LEB128 size, LEB128 name length, name, payload. */
export function wasmCustomSection(name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const content = [...uleb128(nameBytes.length), ...nameBytes];
  const size = content.length + payload.length;
  const head = Uint8Array.from([0, ...uleb128(size), ...content]);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

export const wasmSealWriter: SealWriter = {
  kind: 'wasm',
  embed(unsealed, payload) {
    const section = wasmCustomSection(WASM_SEAL_SECTION, payload);
    const out = new Uint8Array(unsealed.length + section.length);
    out.set(unsealed);
    out.set(section, unsealed.length);
    return out;
  },
};

const WRITERS: ReadonlyMap<string, SealWriter> = new Map([[wasmSealWriter.kind, wasmSealWriter]]);

/** The reader and writer for an artifact, by its magic bytes; artifacts that cannot carry a seal are an error. */
export function sealHandlersFor(bytes: Uint8Array): { container: SealContainer; writer: SealWriter } {
  const container = containerFor(bytes);
  const writer = container && WRITERS.get(container.kind);
  if (!container || !writer) throw provenanceError('SEAL_INVALID', 'this artifact kind cannot carry a seal (sealable: wasm)');
  return { container, writer };
}

/** Whether edgec can seal these bytes (the reference target's IR text, for one, cannot). */
export function canSeal(bytes: Uint8Array): boolean {
  const container = containerFor(bytes);
  return !!container && WRITERS.has(container.kind);
}
