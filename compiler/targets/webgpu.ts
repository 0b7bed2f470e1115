import { EdgecError } from '../../ir/index.js';
import { webgpuTarget } from '../../targets/webgpu/index.js';
import { compilerVersion } from '../provenance/build-info.js';
import { readProvenance } from '../provenance/verify.js';
import { nodeGpu, nodeGpuProblem } from '../webgpu-node.js';
import type { TargetEntry } from './entry.js';
import { openRuntimeArtifact, prepareRuntimeBench } from './runtime-artifacts.js';

/**
 * WebGPU: bundles run in this process through the runtime on Dawn (SwiftShader without a GPU). A session holds
 * one device for all its loads (requesting a device per model would dominate a sweep of small cases); bench
 * times it in a loop of its own, as SwiftShader's worker threads would load the CPU contenders.
 */
export const webgpuEntry: TargetEntry = {
  target: webgpuTarget,
  runsOn: 'through the runtime on Dawn (SwiftShader without a GPU), one device for all cases',
  artifactExtension: '.edgecgpu',
  options: () => ({}),
  missing: nodeGpuProblem,
  async session() {
    const gpu = await nodeGpu();
    let device: Promise<GPUDevice> | undefined;
    const sharedDevice = () =>
      (device ??= (async () => {
        const adapter = await gpu.requestAdapter();
        if (!adapter) throw new EdgecError('NO_GPU_ADAPTER', `no WebGPU adapter: ${await nodeGpuProblem()}`);
        const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
        return adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize, maxBufferSize } });
      })());
    return {
      label: 'webgpu',
      open: async (bytes) => openRuntimeArtifact(bytes, { gpu, device: await sharedDevice() }),
      close: () => void device?.then((d) => d.destroy()),
    };
  },
  seal: { tools: () => [compilerVersion()], read: readProvenance },
  bench: {
    rtol: 1e-3,
    options: {},
    measure: 'timed-alone',
    note: () => 'webgpu timed in its own loop',
    prepare: async (build, context) => prepareRuntimeBench(build.bytes, context.feeds, { gpu: await nodeGpu() }),
  },
};
