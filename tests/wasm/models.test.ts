import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../compiler/driver.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { makeTensor, type DType, type Tensor } from '../../ir/index.js';
import { load } from '../../runtime/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { ortSession, runOrt } from '../support/ort.js';
import { modelPath, SHARED_MODELS } from '../support/shared.js';
import { relativeError } from './harness.js';

// The four shared models compiled for wasm with the default -O2 pipeline, run through the runtime, and
// compared with the reference interpreter (unoptimized graph) and onnxruntime-node on the same input.
describe('wasm on the shared models', () => {
  for (const name of SHARED_MODELS) {
    it(`${name} matches the reference and onnxruntime-node`, async () => {
      const inputShapes = name === 'tiny_encoder' ? { input: [1, 32, 64] } : undefined;
      const original = importOnnxFile(modelPath(name), { inputShapes });
      const { feeds } = prepareFeeds(original, {}, 5);
      const expected = runGraph(original, feeds);
      const started = performance.now();
      const { artifact } = compileGraph(importOnnxFile(modelPath(name), { inputShapes }), { target: 'wasm', print: () => {} });
      const compileMs = performance.now() - started;
      const model = await load(artifact.bytes);
      const views = await model.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: t.data, shape: t.shape }])));
      const actual: Record<string, Tensor> = {};
      for (const o of model.outputs) actual[o.name] = makeTensor(o.dtype as DType, o.shape, views[o.name]! as ArrayLike<number>);
      const vsReference = relativeError(actual, expected);
      const vsOrt = relativeError(actual, await runOrt(await ortSession(modelPath(name)), feeds));
      console.log(`wasm ${name}: ${artifact.bytes.length} bytes, compiled in ${compileMs.toFixed(0)} ms; max relative error vs reference ${vsReference.toExponential(2)}, vs onnxruntime-node ${vsOrt.toExponential(2)}`);
      expect(vsReference).toBeLessThanOrEqual(1e-4);
      expect(vsOrt).toBeLessThanOrEqual(1e-4);
    });
  }
});
