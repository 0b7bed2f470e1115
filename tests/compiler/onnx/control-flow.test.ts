import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { importOnnx } from '../../../compiler/onnx/index.js';
import { captureOperands, makeTensor, nestedGraphs, printGraph, type Graph } from '../../../ir/index.js';
import { runGraph } from '../../../targets/reference/index.js';
import { encodeModel, modelProto, node, T, typedI64 } from './make-model.js';

type IGraphProto = onnxProto.onnx.IGraphProto;
type INodeProto = onnxProto.onnx.INodeProto;

const info = (name: string, elemType: number = T.FLOAT, shape?: number[]) => ({
  name,
  type: { tensorType: { elemType, ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
});
const raw = (op: string, input: string[], output: string[]): INodeProto => ({ opType: op, input, output, name: output[0] });
const graphAttr = (name: string, g: IGraphProto) => ({ name, type: 5, g });

/**
 * y = If(c) then { h + x } else { Loop 3 times: v = v + h, from v = x }: the then branch reads two outer values,
 * the Loop body reads h from two scopes out (captured by the else branch, then by the Loop).
 */
function nestedModel(): Uint8Array {
  const body: IGraphProto = {
    name: 'body',
    input: [info('i', T.INT64, []), info('cond_in', T.BOOL, []), info('v', T.FLOAT, [2])],
    output: [info('cond_in', T.BOOL), info('v2')],
    node: [raw('Add', ['v', 'h'], ['v2'])],
  };
  const otherwise: IGraphProto = {
    name: 'else',
    input: [],
    output: [info('looped')],
    initializer: [typedI64('three', [], [3])],
    node: [{ ...raw('Loop', ['three', '', 'x'], ['looped']), attribute: [graphAttr('body', body)] }],
  };
  const then: IGraphProto = { name: 'then', input: [], output: [info('t')], node: [raw('Add', ['h', 'x'], ['t'])] };
  const model = modelProto({
    opset: 13,
    inputs: [
      { name: 'c', elemType: T.BOOL, shape: [] },
      { name: 'x', shape: [2] },
    ],
    outputs: ['y'],
    nodes: [node('Relu', ['x'], ['h'])],
  });
  model.graph!.node!.push({ ...raw('If', ['c'], ['y']), attribute: [graphAttr('then_branch', then), graphAttr('else_branch', otherwise)] });
  return encodeModel(model);
}

describe('importing If, Loop and Scan', () => {
  it('turns outer-scope reads into captures, transitively, and runs on the reference', () => {
    const graph = importOnnx(nestedModel());
    const ifNode = graph.nodes.find((n) => n.op === 'If')!;
    expect(captureOperands(ifNode).map((v) => v!.name)).toEqual(['h', 'x']);
    const otherwise = ifNode.attrs['else_branch'] as Graph;
    const loop = otherwise.nodes.find((n) => n.op === 'Loop')!;
    expect(captureOperands(loop).map((v) => v!.name)).toEqual(['h']);
    expect(captureOperands(loop)[0]).toBe(otherwise.captures[0]);
    expect(loop.outputs[0]!.type).toEqual({ dtype: 'f32', shape: [2] });
    expect(nestedGraphs(graph).map((g) => g.name)).toEqual(['test', 'else', 'then', 'body']);
    expect(printGraph(graph)).toContain('graph @body(%i: i64[], %cond_in: bool[], %v: f32[2]) captures(%h: f32[2]) {');

    const x = makeTensor('f32', [2], [-1, 2]);
    const run = (c: number) => Array.from(runGraph(graph, { c: makeTensor('bool', [], [c]), x })['y']!.data as Float32Array);
    expect(run(1)).toEqual([-1, 4]);
    expect(run(0)).toEqual([-1, 8]);
  });

  it('names an outer value no scope defines', () => {
    const then: IGraphProto = { name: 'then', output: [info('t')], node: [raw('Neg', ['ghost'], ['t'])] };
    const model = modelProto({ inputs: [{ name: 'c', elemType: T.BOOL, shape: [] }], outputs: ['y'] });
    model.graph!.node = [{ ...raw('If', ['c'], ['y']), attribute: [graphAttr('then_branch', then), graphAttr('else_branch', then)] }];
    expect(() => importOnnx(encodeModel(model))).toThrow(/'ghost' is not defined/);
  });
});
