import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../compiler/driver.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { makeTensor, type DType, type Tensor } from '../../ir/index.js';
import { load } from '../../runtime/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { modelPath, SHARED_MODELS } from '../support/shared.js';
import { relativeError } from '../wasm/harness.js';
import { requireGpu, sharedDevice } from './harness.js';

// The four shared models compiled for webgpu with the default -O2 pipeline, run through the runtime on Dawn
// (SwiftShader without a GPU), and compared with the reference interpreter on the unoptimized graph.
if (requireGpu('webgpu shared models')) {
  describe('webgpu on the shared models', () => {
    for (const name of SHARED_MODELS) {
      it(`${name} matches the reference within 1e-3 x max |reference|`, async () => {
        const inputShapes = name === 'tiny_encoder' ? { input: [1, 32, 64] } : undefined;
        const original = importOnnxFile(modelPath(name), { inputShapes });
        const { feeds } = prepareFeeds(original, {}, 5);
        const expected = runGraph(original, feeds);
        const { artifact } = compileGraph(importOnnxFile(modelPath(name), { inputShapes }), { target: 'webgpu', print: () => {} });
        const started = performance.now();
        const model = await load(artifact.bytes, { device: await sharedDevice() });
        const loadMs = performance.now() - started;
        if (model.kind !== 'webgpu') throw new Error('expected a webgpu model');
        try {
          const runStarted = performance.now();
          const views = await model.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: t.data, shape: t.shape }])));
          const runMs = performance.now() - runStarted;
          const actual: Record<string, Tensor> = {};
          for (const o of model.outputs) actual[o.name] = makeTensor(o.dtype as DType, o.shape, views[o.name]! as ArrayLike<number>);
          const error = relativeError(actual, expected);
          console.log(`webgpu ${name}: ${artifact.summary.dispatches} dispatches, ${artifact.summary.shaders} shaders; load ${loadMs.toFixed(0)} ms, first run ${runMs.toFixed(0)} ms; max relative error vs reference ${error.toExponential(2)}`);
          expect(error).toBeLessThanOrEqual(1e-3);
        } finally {
          model.destroy();
        }
      }, 300_000);
    }
  });
}
