import { expect } from 'vitest';
import { prepareFeeds } from '../../compiler/feeds.js';
import { fromArtifactView, toArtifactFeeds } from '../../compiler/io/artifact-io.js';
import type { DType, Graph, Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { load } from '../../runtime/index.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { compileWasm, type WasmArtifact } from '../../targets/wasm/index.js';
import type { WasmOptions } from '../../targets/wasm/kernel.js';

/**
 * Compiles a graph for wasm (after `pipeline`, which must end with plan-memory) and runs it through the
 * runtime, returning the outputs as tensors (copied out of the module's memory).
 */
export async function runOnWasm(
  graph: Graph,
  feeds: Record<string, Tensor>,
  options: { pipeline?: string; wasm?: Partial<WasmOptions> } = {},
): Promise<{ outputs: Record<string, Tensor>; artifact: WasmArtifact }> {
  runPipeline(graph, options.pipeline ?? 'plan-memory', PASSES, { verifyEach: true, evaluate: referenceEvaluate });
  const artifact = compileWasm(graph, options.wasm);
  const model = await load(artifact.bytes);
  const views = await model.run(toArtifactFeeds(feeds));
  const outputs: Record<string, Tensor> = {};
  for (const o of model.outputs) outputs[o.name] = fromArtifactView(o.dtype as DType, o.shape, views[o.name]!);
  return { outputs, artifact };
}

/** max |a - b| / max |reference| over all outputs; exact comparison for integer and bool outputs. */
export function relativeError(actual: Record<string, Tensor>, expected: Record<string, Tensor>): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    expect(a, `output '${name}' is missing`).toBeDefined();
    expect(a!.shape).toEqual(e.shape);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < e.data.length; i++) {
      const x = Number(a!.data[i]);
      const y = Number(e.data[i]);
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      if (!Number.isNaN(y)) {
        maxDiff = Math.max(maxDiff, Math.abs(x - y));
        maxRef = Math.max(maxRef, Math.abs(y));
      }
    }
    worst = Math.max(worst, maxRef === 0 ? maxDiff : maxDiff / maxRef);
  }
  return worst;
}

/**
 * Builds the graph twice (the pipeline mutates it), runs it on the reference interpreter and on wasm with the
 * same seeded inputs, and asserts the wasm outputs are within `tolerance` (relative to the largest reference value).
 */
export async function expectWasmMatchesReference(
  build: () => Graph,
  options: { pipeline?: string; tolerance?: number; seed?: number; wasm?: Partial<WasmOptions> } = {},
): Promise<{ error: number; artifact: WasmArtifact }> {
  const reference = build();
  const { feeds } = prepareFeeds(reference, {}, options.seed ?? 1);
  const expected = runGraph(reference, feeds);
  const { outputs, artifact } = await runOnWasm(build(), feeds, options);
  const error = relativeError(outputs, expected);
  expect(error).toBeLessThanOrEqual(options.tolerance ?? 1e-5);
  return { error, artifact };
}
