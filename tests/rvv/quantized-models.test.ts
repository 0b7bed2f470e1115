import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { modelPath } from '../support/shared.js';
import { buildForRvv, runBuild, rvvToolsReady } from './harness.js';

// A whole quantized model on rvv, bit-exact at every VLEN. (Each quantized op on its own, on every target:
// tests/kernels/quantized.test.ts and pool.test.ts.)
describe.runIf(rvvToolsReady())('rvv quantized models (bit-exact with the reference)', () => {
  it('the int8 squeezenet1_1 from edgec quantize gives the reference output bit for bit', () => {
    const graph = importOnnxFile(modelPath('squeezenet1_1'));
    const q = quantizeModel(graph, { calibration: syntheticInputs(graph, 1), method: 'minmax' });
    const ops = new Set(q.int8.nodes.map((n) => n.op));
    for (const op of ['QuantizeF32', 'QConv', 'MaxPool', 'QGlobalAveragePool', 'DequantizeF32']) expect(ops.has(op), op).toBe(true);
    const feeds = syntheticInputs(graph, 1, 12345)[0]!;
    const expected = runGraph(q.int8, feeds);
    const rvv = buildForRvv(q.int8);
    for (const vlen of VLENS) {
      const { outputs } = runBuild(rvv, feeds, vlen);
      for (const [name, e] of Object.entries(expected)) {
        const values = Array.from(e.data as ArrayLike<number>);
        expect(new Set(values).size, 'a non-degenerate output').toBeGreaterThan(100);
        expect(Array.from(outputs[name]!.data as ArrayLike<number>), `${name} at VLEN ${vlen}`).toEqual(values);
      }
    }
  }, 300_000);
});
