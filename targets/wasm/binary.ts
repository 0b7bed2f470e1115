import { DATA_SECTION_ID, uleb128, wasmSection } from '../../runtime/formats/wasm-module.js';

/**
 * Writing pieces of the WebAssembly binary format that binaryen does not write for us. The module and section
 * framing the runtime reads back (header, section ids, LEB128 sizes, custom sections) is runtime/formats/wasm-module.ts.
 */
export { concatBytes } from '../../runtime/formats/bytes.js';

export function sleb128(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** The data section with one active segment of memory 0 at a constant offset. */
export function wasmDataSection(offset: number, parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  // count 1; flags 0 (active, memory 0); i32.const offset; end; byte count
  return wasmSection(DATA_SECTION_ID, [1, 0x00, 0x41, ...sleb128(offset), 0x0b, ...uleb128(total)], parts);
}
