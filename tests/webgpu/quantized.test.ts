import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { type Graph, type Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { compileWebGpu } from '../../targets/webgpu/index.js';
import { PACKED_DOT_FEATURE } from '../../targets/webgpu/kernels/quantized.js';
import { caseFeeds, caseGraph } from '../kernels/case.js';
import { POOL } from '../kernels/cases/pool.js';
import { QDOT_PATH_CASES, QUANTIZED, qdot } from '../kernels/cases/quantized.js';
import { modelPath } from '../support/shared.js';
import { requireGpu, runOnWebGpu } from './harness.js';

// WebGPU's two dot-product paths for the quantized IR: QConv / QMatMul on i8 x i8 use dot4I8Packed where the
// adapter has packed_4x8_integer_dot_product, else (optionalFeatures: false) the fallback loop; both must equal
// the reference bit for bit. The other quantized ops need no optional feature. (Every quantized op's
// bit-exactness on the default path: tests/kernels/quantized.test.ts and pool.test.ts.)

async function expectExact(build: () => Graph, feeds: Record<string, Tensor>, path: 'packed' | 'fallback' | 'plain') {
  const expected = runGraph(build(), feeds);
  const { outputs, features } = await runOnWebGpu(build(), feeds, { load: { optionalFeatures: path !== 'fallback' } });
  expect(features).toEqual(path === 'packed' ? [PACKED_DOT_FEATURE] : []);
  for (const [name, e] of Object.entries(expected)) {
    expect(outputs[name]!.dtype).toBe(e.dtype);
    expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(Array.from(e.data as ArrayLike<number>));
  }
}

describe('webgpu quantized ops other than QConv / QMatMul use no optional WGSL feature', () => {
  const isDot = (g: Graph) => g.nodes.some((n) => n.op === 'QConv' || n.op === 'QMatMul');
  const plain = [...QUANTIZED.cases, ...POOL.cases.filter((c) => /^MaxPool [ui]8 /.test(c.name))].filter((c) => !isDot(caseGraph(c)));
  it(`${plain.length} cases (QuantizeF32, QRequantize, DequantizeF32, QAdd, QGlobalAveragePool, 8-bit MaxPool) compile without one`, () => {
    expect(plain.length).toBeGreaterThanOrEqual(10);
    for (const c of plain) {
      const graph = caseGraph(c);
      runPipeline(graph, 'plan-memory', PASSES, { verifyEach: true, evaluate: referenceEvaluate });
      expect(compileWebGpu(graph).manifest.dispatches.filter((d) => d.languageFeature !== undefined), c.name).toEqual([]);
    }
  });
});

if (requireGpu('webgpu quantized')) {
  describe('webgpu QConv / QMatMul are bit-exact with the reference on both dot paths', () => {
    for (const [name, spec] of QDOT_PATH_CASES) {
      it(name, async () => {
        const c = qdot(name, spec);
        const build = () => caseGraph(c);
        const feeds = caseFeeds(c);
        const i8 = spec.x[0] === 'i8' && spec.w[0] === 'i8';
        await expectExact(build, feeds, i8 ? 'packed' : 'plain');
        if (i8) await expectExact(build, feeds, 'fallback');
      });
    }
  });

  describe('webgpu quantized squeezenet1_1 end to end', () => {
    it('the int8 graph from edgec quantize (8-bit MaxPool included) gives the reference output bit for bit', async () => {
      const graph = importOnnxFile(modelPath('squeezenet1_1'));
      const q = quantizeModel(graph, { calibration: syntheticInputs(graph, 1), method: 'minmax' });
      expect(q.int8.nodes.some((n) => n.op === 'MaxPool' && n.inputs[0]!.type.dtype === 'u8')).toBe(true);
      const feeds = syntheticInputs(graph, 1, 12345)[0]!;
      const expected = runGraph(q.int8, feeds);
      const { outputs, features, artifact } = await runOnWebGpu(q.int8, feeds);
      console.log(`webgpu int8 squeezenet1_1: ${artifact.manifest.dispatches.length} dispatches, optional features used: ${features.join(', ') || 'none'}`);
      for (const [name, e] of Object.entries(expected)) {
        const values = Array.from(e.data as ArrayLike<number>);
        expect(new Set(values).size, 'a non-degenerate output').toBeGreaterThan(100);
        expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(values);
      }
    }, 300_000);
  });
}
