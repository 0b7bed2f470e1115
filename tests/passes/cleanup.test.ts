import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { printGraph, verifyGraph, type Graph, type Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { modelPath } from '../support/shared.js';

/**
 * The cleanup passes on the shared models: each model is imported, run on the reference interpreter once
 * before and once after the pipeline (same seeded inputs), and must give the same outputs within 1e-4 relative.
 * Models are imported without the importer's own shape folding, so the passes face the graph as exported.
 */
const CLEANUP = 'remove-identity,simplify-shape-computations,fold-constants,eliminate-common-subexpressions,fold-transposes,eliminate-dead-code';

const RAW = { foldShapeComputations: false } as const;

/** Ops that only compute shapes: none may survive simplify-shape-computations on a fully static model. */
const SHAPE_ONLY_OPS = ['Shape', 'Gather', 'Concat', 'Unsqueeze', 'Squeeze', 'ConstantOfShape', 'Equal', 'Where', 'Range', 'Cast', 'Expand'];

function countOps(graph: Graph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of graph.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
}

function relativeDeviation(a: Record<string, Tensor>, b: Record<string, Tensor>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name];
    if (!y) throw new Error(`output '${name}' disappeared`);
    expect(y.shape).toEqual(x.shape);
    for (let i = 0; i < x.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(Number(x.data[i]) - Number(y.data[i])));
      maxRef = Math.max(maxRef, Math.abs(Number(x.data[i])));
    }
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** Imports, runs the pipeline with the verifier after each pass, and checks outputs against the original graph. */
function cleanUp(label: string, load: () => Graph, pipeline = CLEANUP): { before: Graph; after: Graph } {
  const before = load();
  const after = load();
  runPipeline(after, pipeline, PASSES, { verifyEach: true, evaluate: referenceEvaluate });
  verifyGraph(after);
  const { feeds } = prepareFeeds(before, {}, 11);
  const deviation = relativeDeviation(runGraph(before, feeds), runGraph(after, feeds));
  console.log(`${label}: ${before.nodes.length} -> ${after.nodes.length} nodes, ${before.constants.length} -> ${after.constants.length} constants, deviation ${deviation.toExponential(2)}`);
  console.log(`  ops after: ${JSON.stringify(countOps(after))}`);
  expect(deviation).toBeLessThanOrEqual(1e-4);
  return { before, after };
}

describe('fold-constants without an evaluator', () => {
  it('folds nothing and says why in its report', () => {
    const graph = importOnnxFile(modelPath('tiny_encoder'), { ...RAW, inputShapes: { input: [1, 32, 64] } });
    const nodes = graph.nodes.length;
    const { reports } = runPipeline(graph, 'fold-constants', PASSES, { verifyEach: true });
    expect(graph.nodes.length).toBe(nodes);
    expect(reports.get('fold-constants')).toMatchObject({ folded: 0, note: expect.stringContaining('no evaluator') });
  });

  it('rejects a malformed max-bytes', () => {
    const graph = importOnnxFile(modelPath('squeezenet1_1'), RAW);
    expect(() => runPipeline(graph, 'fold-constants{max-bytes=lots}', PASSES, { evaluate: referenceEvaluate })).toThrow(/max-bytes/);
  });
});

describe('cleanup passes on the shared models', () => {
  it('squeezenet1_1: the Identity nodes go, outputs unchanged', () => {
    const { before, after } = cleanUp('squeezenet1_1', () => importOnnxFile(modelPath('squeezenet1_1'), RAW));
    expect(countOps(before)['Identity']).toBeGreaterThan(0);
    expect(countOps(after)['Identity']).toBeUndefined();
  });

  it('tiny_encoder with the batch fixed: the shape subgraph vanishes, Reshape targets are constants', () => {
    const { before, after } = cleanUp('tiny_encoder[1,32,64]', () => importOnnxFile(modelPath('tiny_encoder'), { ...RAW, inputShapes: { input: [1, 32, 64] } }));
    expect(countOps(before)['Shape']).toBeGreaterThan(0);
    const left = after.nodes.filter((n) => SHAPE_ONLY_OPS.includes(n.op)).map((n) => `${n.op} ${n.label}`);
    expect(left).toEqual([]);
    for (const n of after.nodes.filter((n) => n.op === 'Reshape')) expect(n.inputs[1]!.isConstant, n.label).toBe(true);
    // Every value is static once the shape arithmetic is gone.
    for (const n of after.nodes) for (const v of n.outputs) expect(v.type.shape.every((d) => typeof d === 'number'), v.name).toBe(true);
  });

  it('tiny_encoder with a symbolic batch: static dims fold, each batch-dependent Reshape entry becomes -1', () => {
    const { before, after } = cleanUp('tiny_encoder[batch,32,64]', () => importOnnxFile(modelPath('tiny_encoder'), RAW));
    expect(before.nodes.filter((n) => n.op === 'Shape').length).toBeGreaterThan(0);
    expect(after.nodes.filter((n) => SHAPE_ONLY_OPS.includes(n.op)).map((n) => `${n.op} ${n.label}`)).toEqual([]);
    for (const n of after.nodes.filter((n) => n.op === 'Reshape')) expect(n.inputs[1]!.isConstant, n.label).toBe(true);
    expect(after.inputs[0]!.type.shape).toEqual(['batch', 32, 64]);
  });

  it('is deterministic: the same model cleaned twice prints byte-identically', () => {
    const clean = () => {
      const g = importOnnxFile(modelPath('tiny_encoder'), RAW);
      runPipeline(g, CLEANUP, PASSES, { evaluate: referenceEvaluate });
      return printGraph(g);
    };
    expect(clean()).toBe(clean());
  });

  it('resnet18 and mobilenet_v2: still verify and compute the same', () => {
    for (const name of ['resnet18', 'mobilenet_v2'] as const) {
      const { after } = cleanUp(name, () => importOnnxFile(modelPath(name), RAW));
      expect(after.nodes.length).toBeGreaterThan(0);
    }
  });
});
