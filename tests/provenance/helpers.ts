import { readFileSync, writeFileSync } from 'node:fs';
import { compileGraph } from '../../compiler/driver.js';
import { onnx } from '../../compiler/onnx/proto.js';
import { generateKeyPair, sealArtifact, wasmCustomSection, type KeyPair, type SealInputs } from '../../compiler/provenance/index.js';
import { GraphBuilder, makeTensor } from '../../ir/index.js';
import { customSectionPayload, wasmSections } from '../../runtime/formats/wasm-module.js';
import { WASM_SEAL_SECTION } from '../../runtime/formats/wasm-seal.js';
import type { SealDocument } from '../../runtime/formats/seal-document.js';
import { sharedPath } from '../support/shared.js';

/** A small wasm artifact with code, a data section (a constant output: the "weights") and an I/O table. */
export function smallWasm(weights: number[] = [1, 2, 3, 4, 5, 6, 7, 8]): Uint8Array {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'f32', shape: [2, 6] });
  const shape = b.constant('shape', makeTensor('i64', [2], [3, 4]));
  b.output(b.op('Flatten', [b.op('Reshape', [x, shape], {}, 'r')], { axis: 1 }, 'y'));
  b.output(b.constant('w', makeTensor('f32', [weights.length], weights)));
  return compileGraph(b.build(), { target: 'wasm', optLevel: 0 }).artifact.bytes;
}

export const SOURCE = { name: 'small.onnx', sha256: 'ab'.repeat(32) };

export function seal(bytes: Uint8Array, inputs: Partial<SealInputs> = {}): Uint8Array {
  return sealArtifact(bytes, { artifactName: 'small.wasm', source: SOURCE, target: 'wasm', pipeline: 'plan-memory', ...inputs }).bytes;
}

let keys: { a: KeyPair; b: KeyPair } | undefined;
/** Two key pairs: `a` is the trusted publisher, `b` someone else. */
export function testKeys(): { a: KeyPair; b: KeyPair } {
  return (keys ??= { a: generateKeyPair(), b: generateKeyPair() });
}

export function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] = out[at]! ^ 0x01;
  return out;
}

/** Byte range of the content of a section (by id, or by custom section name). */
export function sectionContent(bytes: Uint8Array, which: number | string): { start: number; end: number } {
  const s = wasmSections(bytes).find((x) => (typeof which === 'number' ? x.id === which : x.id === 0 && x.name === which));
  if (!s) throw new Error(`no section ${which}`);
  return { start: s.contentStart, end: s.end };
}

export const ONNX_FLATTEN = () => sharedPath('onnx-backend', 'node', 'test_flatten_axis1', 'model.onnx');

/** Copies an ONNX model, adding metadata_props entries. */
export function withMetadata(source: string, dest: string, props: Record<string, string>): string {
  const model = onnx.ModelProto.decode(readFileSync(source));
  model.metadataProps = [...(model.metadataProps ?? []), ...Object.entries(props).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }))];
  writeFileSync(dest, onnx.ModelProto.encode(model).finish());
  return dest;
}

/** Rewrites the seal of a sealed wasm artifact (which must be its last section) through `edit`. */
export function editSeal(bytes: Uint8Array, edit: (doc: SealDocument) => void): Uint8Array {
  const sections = wasmSections(bytes);
  const last = sections[sections.length - 1]!;
  const doc = JSON.parse(new TextDecoder().decode(customSectionPayload(bytes, last))) as SealDocument;
  edit(doc);
  return concat(bytes.subarray(0, last.start), wasmCustomSection(WASM_SEAL_SECTION, new TextEncoder().encode(JSON.stringify(doc))));
}

/** The artifact without its last section (the seal). */
export function stripLastSection(bytes: Uint8Array): Uint8Array {
  const sections = wasmSections(bytes);
  return bytes.slice(0, sections[sections.length - 1]!.start);
}

export function lastSection(bytes: Uint8Array): Uint8Array {
  const sections = wasmSections(bytes);
  return bytes.slice(sections[sections.length - 1]!.start);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

export const decodePayload = (payload: string): Record<string, unknown> => JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
export const encodePayload = (statement: unknown): string => Buffer.from(JSON.stringify(statement)).toString('base64');

/** The seal document of a sealed wasm artifact. */
export function sealDocument(bytes: Uint8Array): SealDocument {
  const sections = wasmSections(bytes);
  return JSON.parse(new TextDecoder().decode(customSectionPayload(bytes, sections[sections.length - 1]!))) as SealDocument;
}
