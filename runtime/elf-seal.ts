/**
 * The rvv artifact's seal: an ELF64 note section `.note.edgec.seal` (owner "edgec") reserved by the generated
 * C source with a fixed-size, zeroed descriptor. A sealed ELF holds in that descriptor a little-endian u32
 * payload length, then the payload (the seal JSON), then zeros. The digest covers the file with the whole
 * descriptor zeroed, which is exactly the file as linked.
 */

export const ELF_SEAL_SECTION = '.note.edgec.seal';
export const ELF_SEAL_OWNER = 'edgec';
/** The section holding the model's I/O signature (JSON), written by the generated C source. */
export const ELF_IO_SECTION = '.edgec.io';
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const SHF_EXECINSTR = 0x4;
const SHT_NOBITS = 8;

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
}

export const isElf = (bytes: Uint8Array): boolean => bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);

/** The section headers of a little-endian ELF64 file; throws when it is not one or is truncated. */
export function elfSections(bytes: Uint8Array): ElfSection[] {
  if (!isElf(bytes)) throw new Error('not an ELF file (bad magic)');
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error('not a little-endian ELF64 file');
  if (bytes.length < 64) throw new Error('truncated ELF header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const shoff = u64(0x28);
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  if (shentsize < 64 || shoff + shnum * shentsize > bytes.length || shstrndx >= shnum) throw new Error('ELF section headers run past the end of the file');
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return { nameOffset: view.getUint32(at, true), type: view.getUint32(at + 4, true), flags: u64(at + 8), offset: u64(at + 24), size: u64(at + 32) };
  });
  const strtab = raw[shstrndx]!;
  if (strtab.offset + strtab.size > bytes.length) throw new Error('the ELF section name table runs past the end of the file');
  const nameAt = (off: number) => {
    let end = strtab.offset + off;
    while (end < strtab.offset + strtab.size && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(strtab.offset + off, end));
  };
  return raw.map((s) => {
    if (s.type !== SHT_NOBITS && s.offset + s.size > bytes.length) throw new Error(`an ELF section runs past the end of the file`);
    return { name: nameAt(s.nameOffset), type: s.type, flags: s.flags, offset: s.offset, size: s.type === SHT_NOBITS ? 0 : s.size };
  });
}

/** Byte range of the seal note's descriptor, or null when the file has no such note. */
export function elfSealDescriptor(bytes: Uint8Array): { start: number; end: number } | null {
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
export function elfSealPayload(bytes: Uint8Array, d: { start: number; end: number }): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(d.start, true);
  if (length === 0) return null;
  if (d.start + 4 + length > d.end) throw new Error(`the seal length ${length} runs past the note's descriptor`);
  return bytes.subarray(d.start + 4, d.start + 4 + length);
}

/** The file with the seal descriptor zeroed (what the digest covers). */
export function elfUnsealed(bytes: Uint8Array, d: { start: number; end: number }): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy.fill(0, d.start, d.end);
  return copy;
}

/** The bytes of the sections matching `keep`, concatenated in file order (for per-part digests). */
export function elfSectionBytes(bytes: Uint8Array, keep: (s: ElfSection) => boolean): Uint8Array {
  const parts = elfSections(bytes).filter((s) => s.size > 0 && keep(s));
  const out = new Uint8Array(parts.reduce((n, s) => n + s.size, 0));
  let at = 0;
  for (const s of parts) {
    out.set(bytes.subarray(s.offset, s.offset + s.size), at);
    at += s.size;
  }
  return out;
}

export const isCodeSection = (s: ElfSection): boolean => (s.flags & SHF_EXECINSTR) !== 0;
export const isReadOnlyDataSection = (s: ElfSection): boolean => s.name.startsWith('.rodata');
