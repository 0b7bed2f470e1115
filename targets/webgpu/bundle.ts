/**
 * The WebGPU bundle file the target writes: its header, manifest and encoder are defined once in
 * runtime/formats/webgpu-bundle.ts, which the runtime reads with.
 */
export {
  BUNDLE_FORMAT, BUNDLE_HEADER_BYTES, BUNDLE_MAGIC, BUNDLE_VERSION, encodeBundle,
  type BundleDispatch, type BundleIoEntry, type BundleManifest,
} from '../../runtime/formats/webgpu-bundle.js';
