import { existsSync } from 'node:fs';
import { EdgecError } from '../ir/index.js';

/**
 * WebGPU in Node through Dawn (the `webgpu` package), for tests, the CLI and benchmarks; the runtime itself
 * takes the GPU object from its caller and imports nothing of Node. Without a GPU, Dawn finds SwiftShader (the
 * Vulkan implementation on the CPU that Debian's chromium ships) when VK_ICD_FILENAMES points at it: set here
 * when unset and the file exists, so nobody has to export it.
 */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let cached: Promise<GPU> | undefined;

/** The process's one Dawn GPU object (created on first use). */
export function nodeGpu(): Promise<GPU> {
  cached ??= (async () => {
    if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    let webgpu: { create(options: string[]): GPU };
    try {
      webgpu = (await import('webgpu')) as unknown as { create(options: string[]): GPU };
    } catch (e) {
      throw new EdgecError('NO_GPU_ADAPTER', `WebGPU for Node (the webgpu package) cannot be loaded: ${(e as Error).message}`);
    }
    return webgpu.create([]);
  })();
  return cached;
}

/** What is missing for WebGPU in Node, or null when an adapter is available. */
export async function nodeGpuProblem(): Promise<string | null> {
  try {
    const adapter = await (await nodeGpu()).requestAdapter();
    if (!adapter) {
      return `no WebGPU adapter (Dawn found none; without a GPU install chromium, whose SwiftShader is at ${SWIFTSHADER_ICD}, and libvulkan1: scripts/setup.sh)`;
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
