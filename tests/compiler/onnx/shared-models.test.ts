import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../../compiler/onnx/index.js';
import { formatType, isStaticShape, makeTensor, verifyGraph } from '../../../ir/index.js';
import { runGraph } from '../../../targets/reference/index.js';
import { modelPath, SHARED_MODELS } from '../../support/shared.js';

/** The four shared models import into verified IR graphs with the documented inputs and outputs. */

describe('shared models', () => {
  for (const name of SHARED_MODELS.filter((n) => n !== 'tiny_encoder')) {
    it(`${name} imports with static shapes end to end`, () => {
      const g = importOnnxFile(modelPath(name));
      verifyGraph(g);
      expect(g.inputs.map((v) => `${v.name}:${formatType(v.type)}`)).toEqual(['input:f32[1,3,224,224]']);
      expect(g.outputs.map((v) => `${v.name}:${formatType(v.type)}`)).toEqual(['output:f32[1,1000]']);
      expect(g.metadata['onnx.opset']).toBe('13');
      expect(g.metadata['onnx.producer_name']).toBe('pytorch');
      for (const n of g.nodes) for (const v of n.outputs) expect(isStaticShape(v.type.shape), `${v.name} ${formatType(v.type)}`).toBe(true);
      expect(g.nodes.some((n) => n.op === 'Conv')).toBe(true);
    });
  }

  it('mobilenet_v2 Clip(0, 6) keeps its bound operands', () => {
    const g = importOnnxFile(modelPath('mobilenet_v2'));
    const clips = g.nodes.filter((n) => n.op === 'Clip');
    expect(clips.length).toBeGreaterThan(10);
    for (const c of clips) expect(c.inputs.slice(1).map((v) => v?.data?.data[0])).toEqual([0, 6]);
  });

  it('tiny_encoder keeps the symbolic batch dim', () => {
    const g = importOnnxFile(modelPath('tiny_encoder'));
    expect(formatType(g.inputs[0]!.type)).toBe('f32[batch,32,64]');
    expect(g.outputs[0]!.type.shape.length).toBe(2);
    expect(g.outputs[0]!.type.shape[1]).toBe(10);
    expect(g.metadata['onnx.opset']).toBe('17');
  });

  it('tiny_encoder with inputShapes { input: [1,32,64] } becomes static through the Shape subgraph', () => {
    const g = importOnnxFile(modelPath('tiny_encoder'), { inputShapes: { input: [1, 32, 64] } });
    expect(formatType(g.inputs[0]!.type)).toBe('f32[1,32,64]');
    expect(formatType(g.outputs[0]!.type)).toBe('f32[1,10]');
    const dynamic = g.nodes.flatMap((n) => n.outputs).filter((v) => !isStaticShape(v.type.shape));
    expect(dynamic.map((v) => `${v.name}:${formatType(v.type)}`)).toEqual([]);
  });

  it('tiny_encoder computes the same with and without import-time shape folding', () => {
    const folded = importOnnxFile(modelPath('tiny_encoder'), { inputShapes: { input: [1, 32, 64] } });
    const unfolded = importOnnxFile(modelPath('tiny_encoder'), { inputShapes: { input: [1, 32, 64] }, foldShapeComputations: false });
    expect(folded.nodes.some((n) => n.op === 'Shape')).toBe(false);
    expect(unfolded.nodes.some((n) => n.op === 'Shape')).toBe(true);
    const input = makeTensor('f32', [1, 32, 64], Array.from({ length: 32 * 64 }, (_, i) => Math.cos(i * 0.37)));
    const a = runGraph(folded, { input })['output']!;
    const b = runGraph(unfolded, { input })['output']!;
    expect(a.shape).toEqual([1, 10]);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
  });
});
