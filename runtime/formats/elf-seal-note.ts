import { elfSections } from './elf.js';

/**
 * The rvv artifact's seal: an ELF note section `.note.edgec.seal`, reserved by the generated C source
 * (targets/rvv/compile.ts) with a fixed-size, zeroed descriptor:
 *
 *   u32 namesz = 6 | u32 descsz = ELF_SEAL_NOTE_BYTES | u32 type = ELF_SEAL_NOTE_TYPE | "edgec\0" padded to 4 | desc[descsz]
 *
 * A sealed ELF holds in the descriptor a little-endian u32 payload length, the payload (the seal JSON), then
 * zeros; a length of 0 means not sealed. The digest covers the file with the whole descriptor zeroed, which is
 * exactly the file as linked, so sealing never moves a byte of code or data.
 */
export const ELF_SEAL_SECTION = '.note.edgec.seal';
export const ELF_SEAL_OWNER = 'edgec';
/** ELF note type of the seal note (edgec's own; owners namespace the types). */
export const ELF_SEAL_NOTE_TYPE = 0x45444753; // "SGDE": edgec seal
/** Descriptor bytes reserved for the seal: the u32 payload length, the payload, zeros. */
export const ELF_SEAL_NOTE_BYTES = 65536;

export interface ElfSealDescriptor {
  start: number;
  end: number;
}

/** Byte range of the seal note's descriptor, or null when the file has no such note. */
export function elfSealDescriptor(bytes: Uint8Array): ElfSealDescriptor | null {
  const note = elfSections(bytes).find((s) => s.name === ELF_SEAL_SECTION);
  if (!note) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (note.size < 12) throw new Error(`the ${ELF_SEAL_SECTION} section is too small for a note`);
  const namesz = view.getUint32(note.offset, true);
  const descsz = view.getUint32(note.offset + 4, true);
  const start = note.offset + 12 + Math.ceil(namesz / 4) * 4;
  const owner = new TextDecoder().decode(bytes.subarray(note.offset + 12, note.offset + 12 + Math.max(0, namesz - 1)));
  if (owner !== ELF_SEAL_OWNER) throw new Error(`the ${ELF_SEAL_SECTION} note's owner is '${owner}', not '${ELF_SEAL_OWNER}'`);
  if (start + descsz > note.offset + note.size || descsz < 4) throw new Error(`the ${ELF_SEAL_SECTION} note's descriptor does not fit its section`);
  return { start, end: start + descsz };
}

/** The seal payload in a descriptor (null when the descriptor is all zeros: not sealed). */
export function elfSealPayload(bytes: Uint8Array, d: ElfSealDescriptor): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(d.start, true);
  if (length === 0) return null;
  if (d.start + 4 + length > d.end) throw new Error(`the seal length ${length} runs past the note's descriptor`);
  return bytes.subarray(d.start + 4, d.start + 4 + length);
}

/** The file with the seal descriptor zeroed (what the digest covers). */
export function elfUnsealed(bytes: Uint8Array, d: ElfSealDescriptor): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy.fill(0, d.start, d.end);
  return copy;
}

/** The ELF with `payload` in its seal note's descriptor, in place of the zeros (`unsealed` carries no seal). */
export function elfWithSeal(unsealed: Uint8Array, payload: Uint8Array): Uint8Array {
  const descriptor = elfSealDescriptor(unsealed);
  if (!descriptor) throw new Error(`the ELF has no ${ELF_SEAL_SECTION} note to hold the seal`);
  const room = descriptor.end - descriptor.start - 4;
  if (payload.length > room) throw new Error(`the seal (${payload.length} bytes) does not fit the ${room} bytes the ELF note reserves`);
  const out = new Uint8Array(unsealed);
  new DataView(out.buffer).setUint32(descriptor.start, payload.length, true);
  out.set(payload, descriptor.start + 4);
  return out;
}
