import { pipelineFor } from '../../passes/pipelines.js';
import type { Target } from '../target.js';
import { compileWebGpu } from './compile.js';
import type { WebGpuOptions } from './kernel.js';
import { gpuKernelFor } from './kernels/index.js';

export { compileWebGpu, unsupportedByWebGpu, type WebGpuArtifact } from './compile.js';
export { BUNDLE_MAGIC, type BundleManifest } from './bundle.js';
export { webgpuOps } from './kernels/index.js';

export const webgpuTarget: Target = {
  name: 'webgpu',
  description: 'WebGPU compute shaders in WGSL (one .edgecgpu bundle: shaders, dispatch list, buffer plan, weights, I/O table)',
  pipeline: (level) => pipelineFor(level, 'plan-memory'),
  check(node) {
    const kernel = gpuKernelFor(node.op);
    return kernel ? kernel.check(node) : `no webgpu kernel for ${node.op}`;
  },
  compile(graph, options) {
    const artifact = compileWebGpu(graph, options as Partial<WebGpuOptions>);
    const m = artifact.manifest;
    return {
      bytes: artifact.bytes,
      extension: '.edgecgpu',
      summary: { bytes: artifact.bytes.length, arenaBytes: m.arenaBytes, weightsBytes: m.weightsBytes, shaders: m.shaders.length, dispatches: m.dispatches.length },
    };
  },
};
