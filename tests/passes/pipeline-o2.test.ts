import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { optimize } from '../../compiler/driver.js';
import { printGraph, type Tensor } from '../../ir/index.js';
import type { MemoryPlanReport } from '../../passes/plan-memory.js';
import { runGraph } from '../../targets/reference/index.js';
import { modelPath, SHARED_MODELS } from '../support/shared.js';

function relativeDeviation(a: Tensor, b: Tensor): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.data.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(Number(a.data[i]) - Number(b.data[i])));
    maxRef = Math.max(maxRef, Math.abs(Number(a.data[i])));
  }
  return maxDiff / maxRef;
}

// The whole -O2 pipeline of the wasm target (cleanup, fusion, plan-memory) on each shared model, imported as
// exported (the importer's own shape folding off, so the passes do all the work).
describe('-O2 on the shared models', () => {
  for (const name of SHARED_MODELS) {
    it(`${name}: fewer nodes, a small arena, same outputs, deterministic`, () => {
      const load = () => importOnnxFile(modelPath(name), { foldShapeComputations: false, inputShapes: name === 'tiny_encoder' ? { input: [1, 32, 64] } : undefined });
      const original = load();
      const optimized = load();
      const before = optimized.nodes.length;
      const { reports } = optimize(optimized, { target: 'wasm', verifyEach: true, print: () => {} });
      const memory = reports.get('plan-memory') as MemoryPlanReport;
      const { feeds } = prepareFeeds(original, {}, 11);
      const expected = runGraph(original, feeds);
      const actual = runGraph(optimized, feeds);
      const deviation = Math.max(...original.outputs.map((o) => relativeDeviation(expected[o.name]!, actual[o.name]!)));
      console.log(
        `-O2 ${name}: nodes ${before} -> ${optimized.nodes.length}, arena ${memory.arenaBytes} B vs naive ${memory.naiveBytes} B ` +
          `(${((memory.arenaBytes / memory.naiveBytes) * 100).toFixed(1)}%), max relative output deviation ${deviation.toExponential(2)}`,
      );
      expect(optimized.nodes.length).toBeLessThan(before);
      expect(memory.arenaBytes).toBeLessThan(memory.naiveBytes / 2);
      expect(deviation).toBeLessThanOrEqual(1e-4);
      if (name === 'tiny_encoder') {
        const shapeOps = optimized.nodes.filter((n) => ['Shape', 'Gather', 'Concat', 'Unsqueeze', 'ConstantOfShape', 'Equal', 'Where'].includes(n.op));
        expect(shapeOps.map((n) => n.op)).toEqual([]);
      }
      const again = load();
      optimize(again, { target: 'wasm', print: () => {} });
      expect(printGraph(again) === printGraph(optimized)).toBe(true);
    });
  }
});
