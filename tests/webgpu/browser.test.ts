import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../compiler/driver.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { makeTensor, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { chromiumProblem, installEdgecPage, openBrowser } from '../support/browser.js';
import { modelPath } from '../support/shared.js';
import { relativeError } from '../wasm/harness.js';

// The runtime in a real browser: headless Chromium with WebGPU on SwiftShader loads a page from a local
// server, imports edgec's runtime as ES modules, fetches a compiled bundle, runs it through navigator.gpu and
// returns the outputs, which must match the reference interpreter.
const problem = chromiumProblem();

interface PageResult {
  outputs: Record<string, { shape: number[]; data: number[] }>;
}

describe('webgpu in headless Chromium', () => {
  if (problem && !process.env.CI) {
    console.warn(`skipping the browser test: ${problem}`);
    return;
  }
  it('runs tiny_encoder from a bundle through navigator.gpu and matches the reference', async () => {
    if (problem) throw new Error(`the browser test needs ${problem}`);
    const inputShapes = { input: [1, 32, 64] };
    const original = importOnnxFile(modelPath('tiny_encoder'), { inputShapes });
    const { feeds } = prepareFeeds(original, {}, 3);
    const expected = runGraph(original, feeds);
    const { artifact } = compileGraph(importOnnxFile(modelPath('tiny_encoder'), { inputShapes }), { target: 'webgpu', print: () => {} });
    const session = await openBrowser();
    try {
      const url = session.serve('tiny_encoder.edgecgpu', artifact.bytes);
      const plainFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
      await installEdgecPage(session);
      type PageApi = { edgecPage: { adapter(): Promise<string>; load(name: string, url: string): Promise<{ dispatches: number }>; run(name: string, feeds: Record<string, number[]>): Promise<PageResult['outputs']> } };
      const adapter = await session.page.evaluate(() => (window as unknown as PageApi).edgecPage.adapter());
      const { dispatches } = await session.page.evaluate((url) => (window as unknown as PageApi).edgecPage.load('tiny', url), url);
      const outputs = await session.page.evaluate((feeds) => (window as unknown as PageApi).edgecPage.run('tiny', feeds), plainFeeds);
      const result = { adapter, dispatches, outputs };
      const actual: Record<string, Tensor> = {};
      for (const [name, o] of Object.entries(result.outputs)) actual[name] = makeTensor('f32', o.shape, o.data);
      const error = relativeError(actual, expected);
      console.log(`browser webgpu tiny_encoder on ${result.adapter}: ${result.dispatches} dispatches, max relative error vs reference ${error.toExponential(2)}`);
      expect(result.adapter).toContain('swiftshader');
      expect(error).toBeLessThanOrEqual(1e-3);
    } finally {
      await session.close();
    }
  }, 180_000);
});
