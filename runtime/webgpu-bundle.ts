import { runtimeErrorOf } from './errors.js';
import { decodeBundle, type BundleManifest } from './formats/webgpu-bundle.js';

/**
 * Reading a WebGPU bundle for load(): the layout is runtime/formats/webgpu-bundle.ts's (the compiler writes it
 * with the same module); this turns its errors into the runtime's. (`isBundle` is re-exported for the CLI.)
 */
export { isBundle } from './formats/webgpu-bundle.js';

export function readBundle(bytes: Uint8Array): { manifest: BundleManifest; weights: Uint8Array } {
  try {
    return decodeBundle(bytes);
  } catch (e) {
    throw runtimeErrorOf(e);
  }
}
