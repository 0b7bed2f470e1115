import { startsWith } from './bytes.js';

/**
 * Reading the section headers of a little-endian ELF64 file (what clang links for rvv), enough to find edgec's
 * own sections (elf-seal-note.ts, rvv-io.ts) and to hash code and read-only data apart:
 *
 *   file header     0x00 "\x7fELF" | 0x04 u8 class (2 = 64-bit) | 0x05 u8 data (1 = little-endian) | ...
 *                   0x28 u64 e_shoff | 0x3a u16 e_shentsize | 0x3c u16 e_shnum | 0x3e u16 e_shstrndx
 *   section header  +0 u32 sh_name (offset in the e_shstrndx string table) | +4 u32 sh_type | +8 u64 sh_flags |
 *                   +24 u64 sh_offset | +32 u64 sh_size
 *
 * NOBITS sections (.bss) take no bytes in the file and are given size 0.
 */
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const SHF_EXECINSTR = 0x4;
const SHT_NOBITS = 8;

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
}

export const isElf = (bytes: Uint8Array): boolean => startsWith(bytes, ELF_MAGIC);

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
