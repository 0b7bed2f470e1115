import { pipelineFor } from '../../passes/pipelines.js';
import type { Target } from '../target.js';
import { compileWebGpu } from './compile.js';
import { parseWebGpuOptions } from './kernel.js';
import { WEBGPU_KERNELS } from './kernels/index.js';

export { compileWebGpu, unsupportedByWebGpu, type WebGpuArtifact } from './compile.js';
export { BUNDLE_MAGIC, type BundleManifest } from '../../runtime/formats/webgpu-bundle.js';
export { webgpuOps } from './kernels/index.js';

export const webgpuTarget: Target = {
  name: 'webgpu',
  description: 'WebGPU compute shaders in WGSL (one .edgecgpu bundle: shaders, dispatch list, buffer plan, weights, I/O table)',
  pipeline: (level) => pipelineFor(level, 'plan-memory'),
  check: (node) => WEBGPU_KERNELS.check(node),
  compile(graph, options) {
    const artifact = compileWebGpu(graph, parseWebGpuOptions(options));
    const m = artifact.manifest;
    return {
      bytes: artifact.bytes,
      extension: '.edgecgpu',
      summary: { bytes: artifact.bytes.length, arenaBytes: m.arenaBytes, weightsBytes: m.weightsBytes, shaders: m.shaders.length, dispatches: m.dispatches.length },
    };
  },
};
