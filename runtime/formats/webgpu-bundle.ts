import { startsWith } from './bytes.js';
import { FormatError } from './errors.js';

/**
 * The WebGPU bundle file: one artifact holding shaders, dispatch list, buffer plan, I/O table, weights and
 * the provenance seal.
 *
 *   offset 0   magic "EDGECGPU" (8 bytes)
 *          8   u32 format version (1)
 *         12   u32 manifest offset,  16  u32 manifest length   (UTF-8 JSON, BundleManifest)
 *         20   u32 weights offset,   24  u32 weights length    (the weights buffer's bytes, 16-byte aligned)
 *         28   u32 seal offset,      32  u32 seal length       (0, 0 until sealed; the seal is last in the file)
 *         36   zero padding to 48
 *
 * All integers little-endian. The seal's digest covers the file without the seal: the bytes before the seal
 * with the two seal fields zero.
 *
 * Every shader's entry point is `main`, and every shader declares one bind group (group 0) whose binding i is
 * the buffer BUNDLE_BINDINGS[i]: 0 the arena (read-write storage), 1 the weights (read-only storage).
 */
export const BUNDLE_MAGIC = 'EDGECGPU';
export const BUNDLE_VERSION = 1;
export const BUNDLE_HEADER_BYTES = 48;
export const BUNDLE_FORMAT = 'edgec.webgpu/1';
export const BUNDLE_BINDINGS = ['arena', 'weights'] as const;
export const ARENA_BINDING = BUNDLE_BINDINGS.indexOf('arena');
export const WEIGHTS_BINDING = BUNDLE_BINDINGS.indexOf('weights');
export const SHADER_ENTRY_POINT = 'main';
/** Byte offset of the seal offset and length fields. */
const SEAL_FIELDS = 28;
const MAGIC_BYTES = [...BUNDLE_MAGIC].map((c) => c.charCodeAt(0));

export interface BundleIoEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Which buffer holds it (graph outputs that are constants live in the weights) and the byte offset there. */
  buffer: 'arena' | 'weights';
  offset: number;
}

export interface BundleDispatch {
  /** Index into `shaders`. */
  shader: number;
  workgroups: [number, number, number];
  /** A WGSL language feature `shader` needs, and the shader to run instead when the adapter lacks it. */
  languageFeature?: string;
  fallback?: number;
  /** The IR node it computes, for profiles and messages. */
  node: string;
  op: string;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  /** Every shader binds group 0: binding 0 the arena (read-write storage), binding 1 the weights (read-only). */
  bindings: typeof BUNDLE_BINDINGS;
  arenaBytes: number;
  weightsBytes: number;
  /** Device limits the bundle needs beyond nothing (the runtime requests them and refuses when unavailable). */
  limits: Record<string, number>;
  /** WGSL language features the shaders need (e.g. packed_4x8_integer_dot_product). */
  languageFeatures: string[];
  shaders: string[];
  dispatches: BundleDispatch[];
  inputs: BundleIoEntry[];
  outputs: BundleIoEntry[];
}

/** Where the header says each section lies. */
export interface BundleLayout {
  manifest: [offset: number, length: number];
  weights: [offset: number, length: number];
  seal: [offset: number, length: number];
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function encodeBundle(manifest: BundleManifest, weights: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const manifestOffset = BUNDLE_HEADER_BYTES;
  const weightsOffset = align(manifestOffset + json.length, 16);
  const total = weightsOffset + weights.length;
  const bytes = new Uint8Array(total);
  bytes.set(MAGIC_BYTES, 0);
  const view = new DataView(bytes.buffer);
  [BUNDLE_VERSION, manifestOffset, json.length, weightsOffset, weights.length, 0, 0].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  bytes.set(json, manifestOffset);
  bytes.set(weights, weightsOffset);
  return bytes;
}

export const isBundle = (bytes: Uint8Array): boolean => startsWith(bytes, MAGIC_BYTES);

/** The header's sections; throws an Error when they do not fit the file. */
export function bundleLayout(bytes: Uint8Array): BundleLayout {
  if (!isBundle(bytes) || bytes.length < BUNDLE_HEADER_BYTES) throw new Error('not an edgec WebGPU bundle (bad header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (at: number) => view.getUint32(at, true);
  if (word(8) !== BUNDLE_VERSION) throw new Error(`bundle format version ${word(8)} is not supported (${BUNDLE_VERSION})`);
  const layout: BundleLayout = { manifest: [word(12), word(16)], weights: [word(20), word(24)], seal: [word(SEAL_FIELDS), word(SEAL_FIELDS + 4)] };
  for (const [name, [offset, length]] of Object.entries(layout) as [string, [number, number]][]) {
    if (offset + length > bytes.length || (length > 0 && offset < BUNDLE_HEADER_BYTES)) throw new Error(`the bundle's ${name} section (${offset}+${length}) lies outside the file`);
  }
  return layout;
}

/** The bundle without its seal: the bytes before the seal with the seal fields zero. */
export function unsealedBundle(bytes: Uint8Array, layout: BundleLayout): Uint8Array {
  const end = layout.seal[1] > 0 ? layout.seal[0] : bytes.length;
  // A copy, never a view: Node Buffers' slice() shares memory, and the caller's bytes must stay as they are.
  const copy = new Uint8Array(end);
  copy.set(bytes.subarray(0, end));
  new DataView(copy.buffer).setUint32(SEAL_FIELDS, 0, true);
  new DataView(copy.buffer).setUint32(SEAL_FIELDS + 4, 0, true);
  return copy;
}

/** The bundle with `payload` as its seal, 16-byte aligned at the end (`unsealed` carries no seal). */
export function bundleWithSeal(unsealed: Uint8Array, payload: Uint8Array): Uint8Array {
  const at = align(unsealed.length, 16);
  const out = new Uint8Array(at + payload.length);
  out.set(unsealed, 0);
  out.set(payload, at);
  const view = new DataView(out.buffer);
  view.setUint32(SEAL_FIELDS, at, true);
  view.setUint32(SEAL_FIELDS + 4, payload.length, true);
  return out;
}

/**
 * The manifest and the weights of a bundle. A FormatError: 'unsupported' for a manifest of another format,
 * 'malformed' for a header or manifest that does not hold together.
 */
export function decodeBundle(bytes: Uint8Array): { manifest: BundleManifest; weights: Uint8Array } {
  let layout: BundleLayout;
  let manifest: Partial<BundleManifest> | null;
  try {
    layout = bundleLayout(bytes);
    manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(layout.manifest[0], layout.manifest[0] + layout.manifest[1]))) as Partial<BundleManifest> | null;
  } catch (e) {
    throw new FormatError('malformed', `not a valid WebGPU bundle: ${(e as Error).message}`);
  }
  if (manifest?.format !== BUNDLE_FORMAT) throw new FormatError('unsupported', `unknown WebGPU bundle format '${String(manifest?.format)}'`);
  if (!Array.isArray(manifest.shaders) || !Array.isArray(manifest.dispatches) || !Array.isArray(manifest.inputs) || !Array.isArray(manifest.outputs)) {
    throw new FormatError('malformed', 'the WebGPU bundle manifest lacks shaders, dispatches, inputs or outputs');
  }
  if (manifest.weightsBytes !== layout.weights[1]) throw new FormatError('malformed', 'the manifest and the header disagree on the weights size');
  return { manifest: manifest as BundleManifest, weights: bytes.subarray(layout.weights[0], layout.weights[0] + layout.weights[1]) };
}
