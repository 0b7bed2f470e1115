import { EdgecRuntimeError } from './errors.js';

/**
 * Reading the WebGPU bundle (format written by targets/webgpu/bundle.ts; the runtime imports nothing of the
 * compiler, so the header layout is repeated here):
 *
 *   "EDGECGPU" | u32 version | u32 manifest offset, length | u32 weights offset, length | u32 seal offset, length
 *
 * in a 48-byte header, little-endian; the seal, when present, is the last thing in the file.
 */
export const BUNDLE_MAGIC = [0x45, 0x44, 0x47, 0x45, 0x43, 0x47, 0x50, 0x55]; // "EDGECGPU"
const HEADER_BYTES = 48;
const SEAL_FIELDS = 28; // byte offset of the seal offset and length fields

export interface IoEntry {
  name: string;
  dtype: string;
  shape: number[];
  buffer: 'arena' | 'weights';
  offset: number;
}

export interface Manifest {
  format: string;
  arenaBytes: number;
  weightsBytes: number;
  limits: Record<string, number>;
  languageFeatures: string[];
  shaders: string[];
  dispatches: { shader: number; workgroups: [number, number, number]; node: string; op: string; languageFeature?: string; fallback?: number }[];
  inputs: IoEntry[];
  outputs: IoEntry[];
}

export interface BundleLayout {
  manifest: [offset: number, length: number];
  weights: [offset: number, length: number];
  seal: [offset: number, length: number];
}

export const isBundle = (bytes: Uint8Array): boolean => bytes.length >= 8 && BUNDLE_MAGIC.every((b, i) => bytes[i] === b);

/** The header's sections; throws an Error when they do not fit the file. */
export function bundleLayout(bytes: Uint8Array): BundleLayout {
  if (!isBundle(bytes) || bytes.length < HEADER_BYTES) throw new Error('not an edgec WebGPU bundle (bad header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (at: number) => view.getUint32(at, true);
  if (word(8) !== 1) throw new Error(`bundle format version ${word(8)} is not supported (1)`);
  const layout: BundleLayout = { manifest: [word(12), word(16)], weights: [word(20), word(24)], seal: [word(28), word(32)] };
  for (const [name, [offset, length]] of Object.entries(layout) as [string, [number, number]][]) {
    if (offset + length > bytes.length || (length > 0 && offset < HEADER_BYTES)) throw new Error(`the bundle's ${name} section (${offset}+${length}) lies outside the file`);
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

/** The bundle with `payload` as its seal (replacing none: `unsealed` carries no seal). */
export function withSeal(unsealed: Uint8Array, payload: Uint8Array): Uint8Array {
  const at = Math.ceil(unsealed.length / 16) * 16;
  const out = new Uint8Array(at + payload.length);
  out.set(unsealed, 0);
  out.set(payload, at);
  const view = new DataView(out.buffer);
  view.setUint32(SEAL_FIELDS, at, true);
  view.setUint32(SEAL_FIELDS + 4, payload.length, true);
  return out;
}

export function readBundle(bytes: Uint8Array): { manifest: Manifest; weights: Uint8Array } {
  let layout: BundleLayout;
  let manifest: Manifest;
  try {
    layout = bundleLayout(bytes);
    manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(layout.manifest[0], layout.manifest[0] + layout.manifest[1]))) as Manifest;
  } catch (e) {
    throw new EdgecRuntimeError('ARTIFACT_INVALID', `not a valid WebGPU bundle: ${(e as Error).message}`);
  }
  if (manifest?.format !== 'edgec.webgpu/1') throw new EdgecRuntimeError('UNSUPPORTED_ARTIFACT', `unknown WebGPU bundle format '${String(manifest?.format)}'`);
  if (!Array.isArray(manifest.shaders) || !Array.isArray(manifest.dispatches) || !Array.isArray(manifest.inputs) || !Array.isArray(manifest.outputs)) {
    throw new EdgecRuntimeError('ARTIFACT_INVALID', 'the WebGPU bundle manifest lacks shaders, dispatches, inputs or outputs');
  }
  if (manifest.weightsBytes !== layout.weights[1]) throw new EdgecRuntimeError('ARTIFACT_INVALID', 'the manifest and the header disagree on the weights size');
  return { manifest, weights: bytes.subarray(layout.weights[0], layout.weights[0] + layout.weights[1]) };
}
