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
 * with the two seal fields zero (runtime/webgpu-bundle.ts reads this format; the layout is repeated there
 * because the runtime imports nothing of the compiler).
 */
export const BUNDLE_MAGIC = 'EDGECGPU';
export const BUNDLE_VERSION = 1;
export const BUNDLE_HEADER_BYTES = 48;
export const BUNDLE_FORMAT = 'edgec.webgpu/1';

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
  bindings: ['arena', 'weights'];
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

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function encodeBundle(manifest: BundleManifest, weights: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const manifestOffset = BUNDLE_HEADER_BYTES;
  const weightsOffset = align(manifestOffset + json.length, 16);
  const total = weightsOffset + weights.length;
  const bytes = new Uint8Array(total);
  bytes.set(new TextEncoder().encode(BUNDLE_MAGIC), 0);
  const view = new DataView(bytes.buffer);
  [BUNDLE_VERSION, manifestOffset, json.length, weightsOffset, weights.length, 0, 0].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  bytes.set(json, manifestOffset);
  bytes.set(weights, weightsOffset);
  return bytes;
}
