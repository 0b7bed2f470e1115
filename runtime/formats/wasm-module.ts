import { concatBytes, startsWith } from './bytes.js';

/**
 * The WebAssembly binary layout edgec reads and writes around what binaryen emits:
 *
 *   module          = "\0asm" | u32 version 1 (little-endian) | section*
 *   section         = u8 id | uleb128 n | content[n]
 *   custom section  = id 0, content = uleb128 k | name[k] (UTF-8) | payload
 *
 * Section ids edgec cares about: 0 (custom: edgec's `edgec.io` table, wasm-io.ts, and `edgec.seal`,
 * wasm-seal.ts) and 11 (data: the weights). Sizes are unsigned LEB128, at most 5 bytes for a u32.
 */
export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
export const WASM_HEADER = [...WASM_MAGIC, 0x01, 0x00, 0x00, 0x00];
export const CUSTOM_SECTION_ID = 0;
export const DATA_SECTION_ID = 11;

export const isWasm = (bytes: Uint8Array): boolean => startsWith(bytes, WASM_MAGIC);

export function uleb128(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** An unsigned LEB128 u32 at `at`: its value and the offset after it. */
export function readU32Leb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 0, i = at; shift < 35; shift += 7, i++) {
    if (i >= bytes.length) throw new Error('truncated LEB128');
    const b = bytes[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new Error('LEB128 longer than 5 bytes');
}

/** A section: id, LEB128 size, then the head bytes and the body parts, copied once. */
export function wasmSection(id: number, head: readonly number[], body: readonly Uint8Array[]): Uint8Array {
  const bodyBytes = body.reduce((n, p) => n + p.length, 0);
  const size = head.length + bodyBytes;
  const prefix = [id, ...uleb128(size)];
  const out = new Uint8Array(prefix.length + size);
  out.set(prefix, 0);
  out.set(head, prefix.length);
  let at = prefix.length + head.length;
  for (const p of body) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A custom section (id 0): LEB128 name length, name, payload. */
export function wasmCustomSection(name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  return wasmSection(CUSTOM_SECTION_ID, [...uleb128(nameBytes.length), ...nameBytes], [payload]);
}

export interface WasmSection {
  id: number;
  /** Custom sections only. */
  name?: string;
  /** Byte range of the whole section, id byte included. */
  start: number;
  end: number;
  /** Where the section's content starts (after the size; for custom sections, before the name). */
  contentStart: number;
}

/** The sections of a wasm module, in order; throws when the module is truncated or malformed at the section level. */
export function wasmSections(bytes: Uint8Array): WasmSection[] {
  if (!startsWith(bytes, WASM_HEADER)) throw new Error('not a WebAssembly module (bad header)');
  const sections: WasmSection[] = [];
  let at = WASM_HEADER.length;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at]!;
    const [size, contentStart] = readU32Leb(bytes, at + 1);
    const end = contentStart + size;
    if (end > bytes.length) throw new Error(`section ${id} at byte ${start} runs past the end of the module`);
    const section: WasmSection = { id, start, end, contentStart };
    if (id === CUSTOM_SECTION_ID) {
      const [length, nameStart] = readU32Leb(bytes, contentStart);
      if (nameStart + length > end) throw new Error(`custom section at byte ${start} has a name longer than the section`);
      section.name = new TextDecoder().decode(bytes.subarray(nameStart, nameStart + length));
    }
    sections.push(section);
    at = end;
  }
  return sections;
}

/** The payload of a custom section (after its name). */
export function customSectionPayload(bytes: Uint8Array, s: WasmSection): Uint8Array {
  const [length, nameStart] = readU32Leb(bytes, s.contentStart);
  return bytes.subarray(nameStart + length, s.end);
}

/** The module's 8-byte header followed by `sections` (each copied whole), e.g. a module without its seal. */
export function wasmModuleOf(bytes: Uint8Array, sections: readonly WasmSection[]): Uint8Array {
  return concatBytes([bytes.subarray(0, WASM_HEADER.length), ...sections.map((s) => bytes.subarray(s.start, s.end))]);
}
