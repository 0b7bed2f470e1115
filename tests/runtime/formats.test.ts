import { describe, expect, it } from 'vitest';
import { DTYPES, dtypeBytes } from '../../ir/index.js';
import { EdgecRuntimeError } from '../../runtime/errors.js';
import { ELF_MAGIC, elfSectionBytes, isCodeSection } from '../../runtime/formats/elf.js';
import { ELF_SEAL_NOTE_TYPE, ELF_SEAL_OWNER, ELF_SEAL_SECTION, elfSealDescriptor, elfSealPayload, elfUnsealed, elfWithSeal } from '../../runtime/formats/elf-seal-note.js';
import { FormatError } from '../../runtime/formats/errors.js';
import { base64Decode } from '../../runtime/formats/bytes.js';
import { decodeRvvIoTable, encodeRvvIoTable, RVV_IO_FORMAT, RVV_IO_SECTION, type RvvIoEntry } from '../../runtime/formats/rvv-io.js';
import { byproductName, decodeStatement, DSSE_PAYLOAD_TYPE, encodeSealDocument, pae, parseSealDocument, recordedDigests, SEAL_FORMAT, STATEMENT_TYPE, type SealDocument, type Statement } from '../../runtime/formats/seal-document.js';
import { decodeWasmIoTable, encodeWasmIoTable, WASM_IO_FORMAT, WASM_IO_SECTION, type WasmIoTable } from '../../runtime/formats/wasm-io.js';
import { customSectionPayload, readU32Leb, uleb128, WASM_HEADER, wasmCustomSection, wasmSections } from '../../runtime/formats/wasm-module.js';
import { WASM_SEAL_SECTION, wasmWithSeal } from '../../runtime/formats/wasm-seal.js';
import { BUNDLE_FORMAT, BUNDLE_HEADER_BYTES, bundleLayout, bundleWithSeal, decodeBundle, encodeBundle, unsealedBundle, type BundleManifest } from '../../runtime/formats/webgpu-bundle.js';
import { elfContainer, wasmContainer, webgpuContainer } from '../../runtime/seal.js';
import { arrayTypeFor } from '../../runtime/tensors.js';
import { readBundle } from '../../runtime/webgpu-bundle.js';

// Every artifact layout is defined once in runtime/formats/: what the writer there produces, the reader there
// (and the runtime's seal containers built on it) reads back unchanged.

const text = (s: string) => new TextEncoder().encode(s);
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
/** What `f` throws (null when it returns). */
function thrown(f: () => unknown): unknown {
  try {
    f();
    return null;
  } catch (e) {
    return e;
  }
}
const formatError = (f: () => unknown): FormatError => {
  const e = thrown(f);
  expect(e).toBeInstanceOf(FormatError);
  return e as FormatError;
};

/** A minimal little-endian ELF64 file with the given sections (plus the null section and .shstrtab). */
function tinyElf(sections: { name: string; flags?: number; bytes: Uint8Array }[]): Uint8Array {
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const nameOffsets: number[] = [];
  let strtab = '';
  for (const n of names) {
    nameOffsets.push(strtab.length);
    strtab += n + '\0';
  }
  const all = [{ flags: 0, bytes: new Uint8Array(0), type: 0 }, ...sections.map((s) => ({ flags: s.flags ?? 0, bytes: s.bytes, type: 1 })), { flags: 0, bytes: text(strtab), type: 3 }];
  const offsets: number[] = [];
  let at = 64;
  for (const s of all) {
    at = Math.ceil(at / 8) * 8;
    offsets.push(at);
    at += s.bytes.length;
  }
  const shoff = Math.ceil(at / 8) * 8;
  const out = new Uint8Array(shoff + 64 * all.length);
  const view = new DataView(out.buffer);
  out.set([...ELF_MAGIC, 2, 1, 1], 0);
  view.setBigUint64(0x28, BigInt(shoff), true);
  view.setUint16(0x3a, 64, true);
  view.setUint16(0x3c, all.length, true);
  view.setUint16(0x3e, all.length - 1, true);
  all.forEach((s, i) => {
    out.set(s.bytes, offsets[i]!);
    const h = shoff + 64 * i;
    view.setUint32(h, nameOffsets[i]!, true);
    view.setUint32(h + 4, s.type, true);
    view.setBigUint64(h + 8, BigInt(s.flags), true);
    view.setBigUint64(h + 24, BigInt(offsets[i]!), true);
    view.setBigUint64(h + 32, BigInt(s.bytes.length), true);
  });
  return out;
}

/** The seal note as the generated C source reserves it, with a `descsz`-byte zeroed descriptor. */
function sealNote(descsz: number): Uint8Array {
  const note = new Uint8Array(12 + 8 + descsz);
  const view = new DataView(note.buffer);
  view.setUint32(0, ELF_SEAL_OWNER.length + 1, true);
  view.setUint32(4, descsz, true);
  view.setUint32(8, ELF_SEAL_NOTE_TYPE, true);
  note.set(text(ELF_SEAL_OWNER), 12);
  return note;
}

describe('runtime/formats: each writer round-trips through its reader', () => {
  it('wasm module framing: LEB128 sizes and custom sections', () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 32 - 1]) expect(readU32Leb(Uint8Array.from(uleb128(n)), 0)).toEqual([n, uleb128(n).length]);
    const payload = new Uint8Array(300).map((_, i) => i & 0xff); // a size that needs two LEB128 bytes
    const module = Uint8Array.from([...WASM_HEADER, ...wasmCustomSection('edgec.test', payload)]);
    expect(WebAssembly.validate(module)).toBe(true);
    const [section] = wasmSections(module);
    expect(section).toMatchObject({ id: 0, name: 'edgec.test', start: 8, end: module.length });
    same(customSectionPayload(module, section!), payload);
    same(new Uint8Array(WebAssembly.Module.customSections(new WebAssembly.Module(module), 'edgec.test')[0]!), payload);
  });

  it('wasm I/O table: the edgec.io section the target writes is the table the runtime reads', () => {
    const table: WasmIoTable = {
      format: WASM_IO_FORMAT,
      inputs: [{ name: 'x', dtype: 'f32', shape: [1, 3], offset: 64 }],
      outputs: [{ name: 'y', dtype: 'i64', shape: [], offset: 128 }],
      nodes: [{ name: 'n0', op: 'Relu' }],
    };
    const module = new WebAssembly.Module(Uint8Array.from([...WASM_HEADER, ...wasmCustomSection(WASM_IO_SECTION, encodeWasmIoTable(table))]));
    expect(decodeWasmIoTable(new Uint8Array(WebAssembly.Module.customSections(module, WASM_IO_SECTION)[0]!))).toEqual(table);
    expect(formatError(() => decodeWasmIoTable(text('{'))).kind).toBe('malformed');
    const other = formatError(() => decodeWasmIoTable(encodeWasmIoTable({ ...table, format: 'edgec.io/2' as typeof WASM_IO_FORMAT })));
    expect([other.kind, other.message]).toEqual(['unsupported', "unknown I/O table format 'edgec.io/2'"]);
  });

  it('wasm seal: the appended edgec.seal section is found last, and the module without it is the unsealed one', () => {
    const module = Uint8Array.from([...WASM_HEADER, ...wasmCustomSection(WASM_IO_SECTION, text('{}'))]);
    const payload = text('{"format":"edgec.seal/1"}');
    const sealed = wasmWithSeal(module, payload);
    expect(wasmSections(sealed).at(-1)?.name).toBe(WASM_SEAL_SECTION);
    const opened = wasmContainer.open(sealed);
    expect(opened.problems).toEqual([]);
    expect(opened.seals).toHaveLength(1);
    same(opened.seals[0]!, payload);
    same(opened.unsealed, module);
    expect(wasmContainer.open(wasmWithSeal(sealed, payload)).problems[0]).toContain('a second seal was appended');
  });

  it('rvv seal note: the payload written into the reserved descriptor reads back, and zeroing it gives the linked file', () => {
    const linked = tinyElf([
      { name: '.text', flags: 0x6, bytes: Uint8Array.from([0x13, 0, 0, 0]) },
      { name: ELF_SEAL_SECTION, bytes: sealNote(256) },
    ]);
    const descriptor = elfSealDescriptor(linked)!;
    expect(descriptor.end - descriptor.start).toBe(256);
    expect(elfSealPayload(linked, descriptor)).toBeNull();
    const payload = text('{"format":"edgec.seal/1"}');
    const sealed = elfWithSeal(linked, payload);
    expect(sealed.length).toBe(linked.length);
    same(elfSealPayload(sealed, elfSealDescriptor(sealed)!)!, payload);
    same(elfUnsealed(sealed, descriptor), linked);
    const opened = elfContainer.open(sealed);
    same(opened.seals[0]!, payload);
    same(opened.unsealed, linked);
    same(elfSectionBytes(sealed, isCodeSection), Uint8Array.from([0x13, 0, 0, 0]));
    expect(() => elfWithSeal(linked, new Uint8Array(253))).toThrow('does not fit the 252 bytes the ELF note reserves');
    expect(() => elfWithSeal(tinyElf([]), payload)).toThrow(`the ELF has no ${ELF_SEAL_SECTION} note`);
  });

  it('rvv I/O table: the C string the target embeds in .edgec.io decodes to the same entries', () => {
    const inputs: RvvIoEntry[] = [{ name: 'input', dtype: 'f32', shape: [1, 32, 64], bytes: 8192 }];
    const outputs: RvvIoEntry[] = [{ name: 'out', dtype: 'u8', shape: [2], bytes: 2 }];
    const json = encodeRvvIoTable(inputs, outputs);
    const elf = tinyElf([{ name: RVV_IO_SECTION, bytes: text(`${json}\0\0\0`) }]); // a NUL-terminated string, padded
    expect(decodeRvvIoTable(elfSectionBytes(elf, (s) => s.name === RVV_IO_SECTION))).toEqual({ format: RVV_IO_FORMAT, inputs, outputs });
  });

  it('webgpu bundle: header, manifest and weights read back; the seal goes last and comes off to the unsealed bundle', () => {
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      bindings: ['arena', 'weights'],
      arenaBytes: 256,
      weightsBytes: 32,
      limits: { maxStorageBufferBindingSize: 256 },
      languageFeatures: [],
      shaders: ['@compute @workgroup_size(1) fn main() {}'],
      dispatches: [{ shader: 0, workgroups: [1, 1, 1], node: 'n0', op: 'Relu' }],
      inputs: [{ name: 'x', dtype: 'f32', shape: [4], buffer: 'arena', offset: 0 }],
      outputs: [{ name: 'w', dtype: 'f32', shape: [8], buffer: 'weights', offset: 0 }],
    };
    const weights = new Uint8Array(32).map((_, i) => i + 1);
    const bundle = encodeBundle(manifest, weights);
    expect(new TextDecoder().decode(bundle.subarray(0, 8))).toBe('EDGECGPU');
    const layout = bundleLayout(bundle);
    expect(layout.manifest[0]).toBe(BUNDLE_HEADER_BYTES);
    expect(layout.weights[0] % 16).toBe(0);
    expect(layout.seal).toEqual([0, 0]);
    const decoded = decodeBundle(bundle);
    expect(decoded.manifest).toEqual(manifest);
    same(decoded.weights, weights);

    const payload = text('{"format":"edgec.seal/1"}');
    const sealed = bundleWithSeal(bundle, payload);
    const [sealAt, sealLength] = bundleLayout(sealed).seal;
    expect([sealAt % 16, sealAt + sealLength]).toEqual([0, sealed.length]);
    same(unsealedBundle(sealed, bundleLayout(sealed)), bundle);
    const opened = webgpuContainer.open(sealed);
    same(opened.seals[0]!, payload);
    same(opened.unsealed, bundle);
    expect(decodeBundle(sealed).manifest).toEqual(manifest);

    const other = encodeBundle({ ...manifest, format: 'edgec.webgpu/9' as typeof BUNDLE_FORMAT }, weights);
    expect(formatError(() => decodeBundle(other)).kind).toBe('unsupported');
    expect(formatError(() => decodeBundle(encodeBundle({ ...manifest, weightsBytes: 31 }, weights))).message).toBe('the manifest and the header disagree on the weights size');
    expect(formatError(() => decodeBundle(bundle.subarray(0, 40))).kind).toBe('malformed');
    // The runtime reports the same failures with its own codes.
    const refused = thrown(() => readBundle(other));
    expect(refused).toBeInstanceOf(EdgecRuntimeError);
    expect((refused as EdgecRuntimeError).code).toBe('UNSUPPORTED_ARTIFACT');
  });

  it('seal document: what the compiler encodes the runtime parses, statements and recorded digests included', () => {
    const byproducts = [
      { name: byproductName('part', 'code'), digest: { sha256: 'aa'.repeat(32) } },
      { name: byproductName('statement', 'https://edgec.dev/contract/v1'), digest: { sha256: 'bb'.repeat(32) }, mediaType: DSSE_PAYLOAD_TYPE },
    ];
    const statement: Statement = { _type: STATEMENT_TYPE, subject: [{ name: 'm.wasm', digest: { sha256: 'cc'.repeat(32) } }], predicateType: 'https://slsa.dev/provenance/v1', predicate: { runDetails: { byproducts } } };
    const body = text(JSON.stringify(statement));
    const doc: SealDocument = { format: SEAL_FORMAT, keys: [], envelopes: [{ payloadType: DSSE_PAYLOAD_TYPE, payload: Buffer.from(body).toString('base64'), signatures: [] }] };
    const parsed = parseSealDocument(encodeSealDocument(doc));
    expect(parsed).toEqual(doc);
    expect(decodeStatement(parsed.envelopes[0]!)).toEqual(statement);
    same(base64Decode(parsed.envelopes[0]!.payload), body);
    expect([...recordedDigests(statement, 'part')]).toEqual([['code', 'aa'.repeat(32)]]);
    expect([...recordedDigests(statement, 'statement')]).toEqual([['https://edgec.dev/contract/v1', 'bb'.repeat(32)]]);
    expect(new TextDecoder().decode(pae(DSSE_PAYLOAD_TYPE, text('{}')))).toBe('DSSEv1 28 application/vnd.in-toto+json 2 {}');
    expect(() => parseSealDocument(encodeSealDocument({ ...doc, format: 'edgec.seal/2' }))).toThrow("unknown seal format 'edgec.seal/2'");
  });

  it('element types: every IR dtype an artifact can name has a runtime array of its width', () => {
    for (const dtype of DTYPES) expect([dtype, arrayTypeFor(dtype).BYTES_PER_ELEMENT]).toEqual([dtype, dtypeBytes(dtype)]);
  });
});
