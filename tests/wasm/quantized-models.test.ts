import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { verifyGraph } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { modelPath } from '../support/shared.js';
import { runOnWasm } from './harness.js';

/**
 * The int8 graphs of edgec quantize for the shared CNNs, compiled for wasm, give the reference interpreter's
 * integer execution bit for bit: every QConv kernel (Winograd, lanes, gathered taps, depthwise), 8-bit
 * MaxPool, QAdd, QGlobalAveragePool, QMatMul and the float boundaries on real layer shapes.
 */
const MODELS: { model: 'squeezenet1_1' | 'mobilenet_v2' | 'resnet18'; ops: string[] }[] = [
  { model: 'squeezenet1_1', ops: ['QuantizeF32', 'QConv', 'MaxPool', 'QGlobalAveragePool', 'DequantizeF32'] },
  { model: 'mobilenet_v2', ops: ['QuantizeF32', 'QConv', 'QAdd', 'QGlobalAveragePool', 'QMatMul', 'DequantizeF32'] },
  { model: 'resnet18', ops: ['QuantizeF32', 'QConv', 'MaxPool', 'QAdd', 'QGlobalAveragePool', 'QMatMul', 'DequantizeF32'] },
];

describe('wasm int8 shared models (bit-exact with the reference)', () => {
  for (const { model, ops } of MODELS) {
    it(`${model}: the int8 graph from edgec quantize`, async () => {
      const graph = importOnnxFile(modelPath(model));
      const q = quantizeModel(graph, { calibration: syntheticInputs(graph, 1), method: 'minmax' });
      verifyGraph(q.int8);
      const present = new Set(q.int8.nodes.map((n) => n.op));
      for (const op of ops) expect(present.has(op), op).toBe(true);
      expect(q.int8.nodes.filter((n) => n.op === 'MaxPool').every((n) => n.inputs[0]!.type.dtype === 'u8'), 'MaxPool runs on u8').toBe(true);
      expect(unsupportedByWasm(q.int8).map((p) => `${p.node.name}: ${p.reason}`)).toEqual([]);
      const feeds = syntheticInputs(graph, 1, 12345)[0]!;
      const expected = runGraph(q.int8, feeds);
      const { outputs } = await runOnWasm(q.int8, feeds);
      for (const [name, e] of Object.entries(expected)) {
        const values = Array.from(e.data as ArrayLike<number>);
        expect(new Set(values).size, 'a non-degenerate output').toBeGreaterThan(100);
        expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(values);
      }
    }, 300_000);
  }
});
