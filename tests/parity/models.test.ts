import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import type { Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { ortSession, runOrt } from '../support/ort.js';
import { modelPath, SHARED_MODELS } from '../support/shared.js';

/** max |a - b| and max |b|, over all elements. */
function deviation(actual: Tensor, expected: Tensor): { maxDiff: number; maxRef: number } {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.data.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(Number(actual.data[i]) - Number(expected.data[i])));
    maxRef = Math.max(maxRef, Math.abs(Number(expected.data[i])));
  }
  return { maxDiff, maxRef };
}

describe('reference interpreter matches onnxruntime-node on the shared models', () => {
  for (const name of SHARED_MODELS) {
    it(name, async () => {
      const path = modelPath(name);
      // tiny_encoder has a symbolic batch: run it with batch 2 so the Shape/Reshape subgraph is exercised.
      const inputShapes = name === 'tiny_encoder' ? { input: [2, 32, 64] } : undefined;
      const graph = importOnnxFile(path, { inputShapes });
      const { feeds } = prepareFeeds(graph, {}, 42);
      const ours = runGraph(graph, feeds);
      const theirs = await runOrt(await ortSession(path), feeds);
      for (const out of graph.outputs) {
        const expected = theirs[out.name]!;
        expect(expected, `onnxruntime-node gave no output '${out.name}'`).toBeDefined();
        expect(ours[out.name]!.shape).toEqual(expected.shape);
        const { maxDiff, maxRef } = deviation(ours[out.name]!, expected);
        console.log(`parity ${name}/${out.name}: max abs diff ${maxDiff.toExponential(2)}, max |ref| ${maxRef.toExponential(2)}`);
        expect(maxRef).toBeGreaterThan(0);
        expect(maxDiff).toBeLessThanOrEqual(1e-4 * maxRef);
      }
    });
  }
});
