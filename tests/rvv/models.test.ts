import { describe, expect, it } from 'vitest';
import { optimize } from '../../compiler/driver.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { buildRvv } from '../../targets/rvv/build.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { modelPath, SHARED_MODELS } from '../support/shared.js';
import { relativeError } from '../wasm/harness.js';
import { runBuild, rvvToolsReady } from './harness.js';

// The four shared models compiled ONCE each for rvv with the default -O2 pipeline; the same ELF runs under
// qemu at VLEN 128, 256 and 512 and must match the reference interpreter on the unoptimized graph.
describe.runIf(rvvToolsReady())('rvv on the shared models', () => {
  for (const name of SHARED_MODELS) {
    it(`${name}: one ELF matches the reference at VLEN ${VLENS.join(', ')}`, () => {
      const inputShapes = name === 'tiny_encoder' ? { input: [1, 32, 64] } : undefined;
      const original = importOnnxFile(modelPath(name), { inputShapes });
      const { feeds } = prepareFeeds(original, {}, 5);
      const expected = runGraph(original, feeds);
      const started = performance.now();
      const graph = importOnnxFile(modelPath(name), { inputShapes });
      optimize(graph, { target: 'rvv', print: () => {} });
      const build = buildRvv(graph);
      const compileMs = performance.now() - started;
      for (const vlen of VLENS) {
        const { outputs, ms } = runBuild(build, feeds, vlen);
        const error = relativeError(outputs, expected);
        console.log(`rvv ${name} VLEN ${vlen}: compiled in ${compileMs.toFixed(0)} ms, qemu ${ms.toFixed(0)} ms, max relative error ${error.toExponential(2)}`);
        expect(error).toBeLessThanOrEqual(1e-4);
      }
    }, 300_000);
  }
});
