import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import type { Graph, Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { runGraph } from '../../targets/reference/index.js';
import { modelPath } from '../support/shared.js';

/**
 * The fusion passes on the shared models: the structural effect they must have, node counts before and after
 * (printed), and reference outputs unchanged within 1e-4 relative. Each model runs on the interpreter twice.
 */

function opCounts(graph: Graph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of graph.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
}

/** Largest |a - b| over all outputs relative to the largest |a|. */
function relativeDeviation(a: Record<string, Tensor>, b: Record<string, Tensor>, outputs: readonly string[]): number {
  let diff = 0;
  let ref = 0;
  for (const name of outputs) {
    const [x, y] = [a[name]!, b[name]!];
    expect(y.shape).toEqual(x.shape);
    for (let i = 0; i < x.data.length; i++) {
      diff = Math.max(diff, Math.abs(Number(x.data[i]) - Number(y.data[i])));
      ref = Math.max(ref, Math.abs(Number(x.data[i])));
    }
  }
  return diff / ref;
}

type Stage = [pipeline: string, assertAfter: (g: Graph) => void];

/** Runs the model, applies the stages (each asserting its structural effect), runs it again, compares. */
function checkModel(name: Parameters<typeof modelPath>[0], stages: readonly Stage[]): void {
  const graph = importOnnxFile(modelPath(name));
  const { feeds } = prepareFeeds(graph, {}, 11);
  const outputs = graph.outputs.map((v) => v.name);
  const before = runGraph(graph, feeds);
  for (const [pipeline, assertAfter] of stages) {
    const nodesBefore = graph.nodes.length;
    const countsBefore = opCounts(graph);
    runPipeline(graph, pipeline, PASSES, { verifyEach: true });
    console.log(
      `${name} [${pipeline}]: ${nodesBefore} -> ${graph.nodes.length} nodes\n` +
        `  before ${JSON.stringify(countsBefore)}\n  after  ${JSON.stringify(opCounts(graph))}`,
    );
    assertAfter(graph);
  }
  const after = runGraph(graph, feeds);
  const deviation = relativeDeviation(before, after, outputs);
  console.log(`${name}: relative output deviation ${deviation.toExponential(2)}`);
  expect(deviation).toBeLessThanOrEqual(1e-4);
}

/** Relu/Clip nodes reading a Conv (plain or fused) output: what fuse-activation must leave none of. */
function activationsAfterConv(graph: Graph): string[] {
  return graph.nodes
    .filter((n) => (n.op === 'Relu' || n.op === 'Clip') && ['Conv', 'FusedConv'].includes(n.inputs[0]?.producer?.op ?? ''))
    .map((n) => n.label);
}

const CONVS = { mobilenet_v2: 52, resnet18: 20, squeezenet1_1: 26 };
const PLAIN_CONVS_AFTER = { mobilenet_v2: 7, resnet18: 3, squeezenet1_1: 0 };

describe('fusion passes on the shared models', () => {
  for (const name of ['mobilenet_v2', 'resnet18', 'squeezenet1_1'] as const) {
    it(`${name}: fuse-conv-bn,fuse-activation leaves no Relu/Clip after a Conv and keeps the outputs`, () => {
      checkModel(name, [['fuse-conv-bn,fuse-activation', (g) => {
        const counts = opCounts(g);
        expect(activationsAfterConv(g)).toEqual([]);
        expect(counts.BatchNormalization ?? 0).toBe(0);
        expect(counts.FusedConv ?? 0).toBeGreaterThan(0);
        // Every activation in these CNNs follows a Conv or a residual Add of one, so none is left standalone.
        expect((counts.Relu ?? 0) + (counts.Clip ?? 0)).toBe(0);
        // Convs whose output is neither activated nor a residual operand (linear projections, downsample
        // shortcuts) stay plain; every other Conv is fused.
        expect((counts.Conv ?? 0) + (counts.FusedConv ?? 0)).toBe(CONVS[name]);
        expect(counts.Conv ?? 0).toBe(PLAIN_CONVS_AFTER[name]);
      }]]);
    });
  }

  it('tiny_encoder: recognize-gelu turns the Erf-GELU into Gelu, fuse-elementwise fuses what is left', () => {
    checkModel('tiny_encoder', [
      [
        'recognize-gelu',
        (g) => {
          const counts = opCounts(g);
          expect(counts.Erf ?? 0).toBe(0);
          expect(counts.Gelu).toBe(2);
          expect(counts.LayerNormalization).toBe(5);
        },
      ],
      [
        'fuse-matmul-add,fuse-activation,fuse-elementwise',
        (g) => {
          // Each layer's Gelu absorbs the N-D MatMul's bias Add in front of it.
          const fused = g.nodes.filter((n) => n.op === 'FusedElementwise').map((n) => String(n.attrs.expression));
          expect(fused.filter((e) => /^gelu\(add\(x\d, x\d\)\)$/.test(e)).length).toBe(2);
          expect(g.nodes.some((n) => n.op === 'Gelu')).toBe(false);
        },
      ],
    ]);
  });
});
