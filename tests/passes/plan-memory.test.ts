import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { allocArray, dtypeBytes, GraphBuilder, makeTensor, type Graph, type Tensor, type Value } from '../../ir/index.js';
import { PASSES } from '../../passes/registry.js';
import { runPipeline } from '../../passes/manager.js';
import { checkMemoryPlan, type MemoryPlanReport } from '../../passes/plan-memory.js';
import { getKernel, kernelContext } from '../../targets/reference/kernels/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { modelPath } from '../support/shared.js';

/**
 * Runs a planned graph the way an artifact will: every value lives in one shared arena at its planned offset,
 * operands are read from there and results written back. A wrong plan (two live values sharing bytes)
 * corrupts the outputs, which the comparison with the plain interpreter then catches.
 */
function runInArena(graph: Graph, feeds: Record<string, Tensor>): Record<string, Tensor> {
  const arena = new Uint8Array(Number(graph.metadata['edgec.arena_bytes']));
  const view = (v: Value): Uint8Array => arena.subarray(v.arenaOffset!, v.arenaOffset! + v.type.shape.reduce<number>((a, d) => a * (d as number), 1) * dtypeBytes(v.type.dtype));
  const store = (v: Value, t: Tensor) => view(v).set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const load = (v: Value): Tensor => {
    if (v.data) return v.data;
    const shape = v.type.shape as number[];
    const data = allocArray(v.type.dtype, shape.reduce((a, d) => a * d, 1));
    new Uint8Array(data.buffer).set(view(v));
    return { dtype: v.type.dtype, shape, data };
  };
  for (const v of graph.inputs) store(v, feeds[v.name]!);
  for (const node of graph.nodes) {
    const results = getKernel(node.op)!(node.inputs.map((v) => (v ? load(v) : null)), kernelContext(node));
    node.outputs.forEach((out, i) => store(out, results[i]!));
  }
  return Object.fromEntries(graph.outputs.map((v) => [v.name, load(v)]));
}

function plan(graph: Graph): MemoryPlanReport {
  const { reports } = runPipeline(graph, 'plan-memory', PASSES, { verifyEach: true });
  checkMemoryPlan(graph);
  return reports.get('plan-memory') as MemoryPlanReport;
}

describe('plan-memory', () => {
  it('refuses symbolic shapes, naming the value and the fix', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: ['batch', 4] });
    b.output(b.op('Relu', [x]));
    expect(() => plan(b.build())).toThrow(/plan-memory needs static shapes, but %x is f32\[batch,4\].*--input-shape/);
  });

  it('keeps a value read by a later node out of an in-place result', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [4] });
    const e = b.op('Exp', [x], {}, 'e');
    const r = b.op('Relu', [e], {}, 'r'); // e is read again below: Relu must not overwrite it
    const s = b.op('Add', [r, e], {}, 's');
    b.output(s);
    const g = b.build();
    plan(g);
    expect(r.arenaOffset).not.toBe(e.arenaOffset);
    expect(s.arenaOffset).toBe(r.arenaOffset);
    const feeds = { x: makeTensor('f32', [4], [-1, 0, 1, 2]) };
    expect(Array.from(runInArena(g, feeds).s!.data as Float32Array)).toEqual(Array.from(runGraph(g, feeds).s!.data as Float32Array));
  });

  for (const name of ['mobilenet_v2', 'squeezenet1_1', 'tiny_encoder'] as const) {
    it(`plans ${name} well below the naive sum and runs correctly from the arena`, () => {
      const graph = importOnnxFile(modelPath(name), name === 'tiny_encoder' ? { inputShapes: { input: [1, 32, 64] } } : {});
      const report = plan(graph);
      console.log(`plan-memory ${name}: arena ${report.arenaBytes} B vs naive ${report.naiveBytes} B (${(report.arenaBytes / report.naiveBytes * 100).toFixed(1)}%), ${report.inPlace} in place`);
      expect(report.arenaBytes).toBeLessThan(report.naiveBytes * 0.5);
      const { feeds } = prepareFeeds(graph, {}, 3);
      const expected = runGraph(graph, feeds);
      const actual = runInArena(graph, feeds);
      for (const out of graph.outputs) expect(Array.from(actual[out.name]!.data as Float32Array)).toEqual(Array.from(expected[out.name]!.data as Float32Array));
    });
  }
});
