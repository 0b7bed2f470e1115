import { expect, it } from 'vitest';
import { prepareFeeds } from '../../compiler/feeds.js';
import { fromArtifactView, toArtifactFeeds } from '../../compiler/io/artifact-io.js';
import { nodeGpu, nodeGpuProblem } from '../../compiler/webgpu-node.js';
import type { DType, Graph, Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { load, type LoadOptions } from '../../runtime/index.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { compileWebGpu, type WebGpuArtifact } from '../../targets/webgpu/index.js';
import type { WebGpuOptions } from '../../targets/webgpu/kernel.js';
import { relativeError } from '../wasm/harness.js';

/**
 * What is missing for WebGPU in Node (null when Dawn finds an adapter). Suites that need the GPU call
 * `requireGpu()`: under CI a missing adapter is a failing test naming what is missing; elsewhere the suite
 * is skipped with that message printed.
 */
export const gpuProblem = await nodeGpuProblem();

export function requireGpu(suite: string): boolean {
  if (!gpuProblem) return true;
  if (process.env.CI) {
    it(`${suite}: needs a WebGPU adapter`, () => {
      throw new Error(`${suite} needs WebGPU in Node: ${gpuProblem}`);
    });
  } else {
    console.warn(`skipping ${suite}: ${gpuProblem}`);
  }
  return false;
}

/** One device for a whole test file (every load would otherwise request its own). */
let shared: Promise<GPUDevice> | undefined;
export function sharedDevice(): Promise<GPUDevice> {
  shared ??= (async () => {
    const adapter = await (await nodeGpu()).requestAdapter();
    if (!adapter) throw new Error(`no WebGPU adapter: ${gpuProblem}`);
    return adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
  })();
  return shared;
}

/** Compiles a planned graph for webgpu and runs it on the shared device; outputs copied into tensors. */
export async function runOnWebGpu(
  graph: Graph,
  feeds: Record<string, Tensor>,
  options: { pipeline?: string; webgpu?: Partial<WebGpuOptions>; load?: LoadOptions } = {},
): Promise<{ outputs: Record<string, Tensor>; artifact: WebGpuArtifact; features: string[] }> {
  runPipeline(graph, options.pipeline ?? 'plan-memory', PASSES, { verifyEach: true, evaluate: referenceEvaluate });
  const artifact = compileWebGpu(graph, options.webgpu);
  const model = await load(artifact.bytes, { device: await sharedDevice(), gpu: await nodeGpu(), ...options.load });
  if (model.kind !== 'webgpu') throw new Error('expected a webgpu model');
  try {
    const views = await model.run(toArtifactFeeds(feeds));
    const outputs: Record<string, Tensor> = {};
    for (const o of model.outputs) outputs[o.name] = fromArtifactView(o.dtype as DType, o.shape, views[o.name]!);
    const features = [...new Set(model.dispatches.flatMap((d) => (d.feature ? [d.feature] : [])))];
    return { outputs, artifact, features };
  } finally {
    model.destroy();
  }
}

/**
 * Builds the graph twice (the pipeline mutates it), runs it on the reference interpreter and on WebGPU with
 * the same seeded inputs, and asserts max |gpu - ref| <= tolerance x max |ref| (exact for integer outputs).
 */
export async function expectWebGpuMatchesReference(
  build: () => Graph,
  options: { pipeline?: string; tolerance?: number; seed?: number; webgpu?: Partial<WebGpuOptions> } = {},
): Promise<{ error: number; artifact: WebGpuArtifact }> {
  const reference = build();
  const { feeds } = prepareFeeds(reference, {}, options.seed ?? 1);
  const expected = runGraph(reference, feeds);
  const { outputs, artifact } = await runOnWebGpu(build(), feeds, options);
  const error = relativeError(outputs, expected);
  expect(error).toBeLessThanOrEqual(options.tolerance ?? 1e-4);
  return { error, artifact };
}
