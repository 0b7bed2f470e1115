import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGraph, printGraph, verifyGraph, type Graph, type Tensor } from '../../ir/index.js';
import { importOnnxFile, readTensorProtoFile } from '../../compiler/onnx/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { sharedPath } from '../support/shared.js';

const lower = (g: Graph) => runPipeline(g, 'lower-qdq,eliminate-dead-code', PASSES, { verifyEach: true, evaluate: referenceEvaluate });

/** The conformance model with every input but the first turned into a constant holding its test data. */
function caseWithConstantParameters(name: string): { graph: Graph; feeds: Record<string, Tensor>; expected: Tensor } {
  const dir = sharedPath('onnx-backend', 'node', name);
  const graph = importOnnxFile(join(dir, 'model.onnx'));
  const data = join(dir, 'test_data_set_0');
  const inputs = graph.inputs.map((_, i) => readTensorProtoFile(join(data, `input_${i}.pb`)).tensor);
  graph.inputs.slice(1).forEach((v, i) => {
    v.data = inputs[i + 1];
    graph.constants.push(v);
  });
  graph.inputs = graph.inputs.slice(0, 1);
  return { graph, feeds: { [graph.inputs[0]!.name]: inputs[0]! }, expected: readTensorProtoFile(join(data, 'output_0.pb')).tensor };
}

const CASES: [string, string][] = [
  ['test_qlinearconv', 'QConv'],
  ['test_convinteger_with_padding', 'QConv'],
  ['test_convinteger_without_padding', 'QConv'],
  ['test_matmulinteger', 'QMatMul'],
  ...['2D', '3D'].flatMap((r) => ['int8', 'uint8'].flatMap((t) => ['float32', 'float16'].map((f): [string, string] => [`test_qlinearmatmul_${r}_${t}_${f}`, 'QMatMul']))),
];

describe('lower-qdq on the ONNX conformance cases (QOperator form)', () => {
  for (const [name, op] of CASES) {
    it(`${name} lowers to ${op} and gives the expected output`, () => {
      if (!existsSync(sharedPath('onnx-backend', 'node', name))) return;
      const { graph, feeds, expected } = caseWithConstantParameters(name);
      lower(graph);
      expect(graph.nodes.map((n) => n.op)).toEqual([op]);
      const y = Object.values(runGraph(graph, feeds))[0]!;
      expect(y.dtype).toBe(expected.dtype);
      expect(y.shape).toEqual(expected.shape);
      let maxSteps = 0;
      for (let i = 0; i < y.data.length; i++) maxSteps = Math.max(maxSteps, Math.abs(Number(y.data[i]) - Number(expected.data[i])));
      // Integer outputs: exact agreement with the ONNX reference (its float multiplier rounds half to even).
      expect(maxSteps).toBe(0);
    });
  }
});

const QDQ = `graph @g(%x: u8[1,2,4,4]) {
  %x_scale = const f32[] [0.05]
  %x_zp = const u8[] [128]
  %w = const i8[3,2,1,1] [10, -20, 30, -40, 50, -60]
  %w_scale = const f32[3] [0.01, 0.02, 0.03]
  %w_zp = const i8[3] [0, 0, 0]
  %b = const i32[3] [100, -200, 300]
  %b_scale = const f32[3] [0.0005, 0.001, 0.0015]
  %y_scale = const f32[] [0.1]
  %y_zp = const u8[] [0]
  %xf = DequantizeLinear(%x, %x_scale, %x_zp) : f32[1,2,4,4]
  %wf = DequantizeLinear(%w, %w_scale, %w_zp) {axis = 0} : f32[3,2,1,1]
  %bf = DequantizeLinear(%b, %b_scale, _) {axis = 0} : f32[3]
  %c = Conv(%xf, %wf, %bf) : f32[1,3,4,4] @conv
  %r = Relu(%c) : f32[1,3,4,4]
  %y = QuantizeLinear(%r, %y_scale, %y_zp) : u8[1,3,4,4]
  return %y
}
`;

const QOPERATOR = `graph @g(%x: u8[1,2,4,4]) {
  %x_scale = const f32[] [0.05]
  %x_zp = const u8[] [128]
  %w = const i8[3,2,1,1] [10, -20, 30, -40, 50, -60]
  %w_scale = const f32[3] [0.01, 0.02, 0.03]
  %w_zp = const i8[3] [0, 0, 0]
  %b = const i32[3] [100, -200, 300]
  %y_scale = const f32[] [0.1]
  %y_zp = const u8[] [0]
  %y = QLinearConv(%x, %x_scale, %x_zp, %w, %w_scale, %w_zp, %y_scale, %y_zp, %b) : u8[1,3,4,4] @conv
  return %y
}
`;

describe('lower-qdq: QDQ and QOperator forms lower to the same int8 IR', () => {
  it('Conv between DequantizeLinear / QuantizeLinear equals QLinearConv after lowering', () => {
    const a = parseGraph(QDQ);
    const b = parseGraph(QOPERATOR);
    const x = { dtype: 'u8' as const, shape: [1, 2, 4, 4], data: Uint8Array.from({ length: 32 }, (_, i) => (i * 37) % 256) };
    const before = runGraph(a, { x })['y']!;
    lower(a);
    lower(b);
    verifyGraph(a);
    const text = printGraph(a);
    expect(text).toBe(printGraph(b));
    expect(text).toContain('QConv(%x, %w, %b, %y_multiplier, %y_shift)');
    // The QDQ form's float Conv and the integer QConv agree to within one quantization step.
    const after = runGraph(a, { x })['y']!;
    for (let i = 0; i < after.data.length; i++) expect(Math.abs(Number(after.data[i]) - Number(before.data[i]))).toBeLessThanOrEqual(1);
  });

  it('leaves what it cannot lower (blocked quantization) and turns float boundaries into QuantizeF32 / DequantizeF32', () => {
    const g = parseGraph(`graph @g(%x: f32[2,4]) {
  %s = const f32[] [0.5]
  %z = const i8[] [3]
  %bs = const f32[2,2] [0.5, 0.5, 0.5, 0.5]
  %q = QuantizeLinear(%x, %s, %z) : i8[2,4]
  %d = DequantizeLinear(%q, %s, %z) : f32[2,4]
  %qb = QuantizeLinear(%x, %bs, _) {axis = 1, block_size = 2} : u8[2,4]
  return %d, %qb
}
`);
    lower(g);
    expect(g.nodes.map((n) => n.op)).toEqual(['QuantizeF32', 'DequantizeF32', 'QuantizeLinear']);
  });
});
