/** Writing pieces of the WebAssembly binary format that binaryen does not write for us. */

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
  return wasmSection(0, [...uleb128(nameBytes.length), ...nameBytes], [payload]);
}

/** The data section with one active segment of memory 0 at a constant offset. */
export function wasmDataSection(offset: number, parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const DATA_SECTION_ID = 11;
  // count 1; flags 0 (active, memory 0); i32.const offset; end; byte count
  return wasmSection(DATA_SECTION_ID, [1, 0x00, 0x41, ...sleb128(offset), 0x0b, ...uleb128(total)], parts);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
