import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { STANDARD_PIPELINES } from '../../passes/pipelines.js';
import { PASSES } from '../../passes/registry.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { LOWERING_CASES, recurrentCase } from './recurrent-models.js';

/**
 * lower-recurrent against the reference kernel it replaces: every attribute the schema allows, lowered alone and
 * through the -O2 pipeline (fold-constants and fusion on top), run on the reference interpreter.
 */


/** max |a - b| / max(max |b|, 1e-3) over all outputs. */
function relativeDeviation(actual: Record<string, Tensor>, expected: Record<string, Tensor>): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name]!;
    expect(a, `output ${name}`).toBeDefined();
    expect(a.shape).toEqual(e.shape);
    let diff = 0;
    let ref = 1e-3;
    for (let i = 0; i < e.data.length; i++) {
      diff = Math.max(diff, Math.abs(Number(a.data[i]) - Number(e.data[i])));
      ref = Math.max(ref, Math.abs(Number(e.data[i])));
    }
    worst = Math.max(worst, diff / ref);
  }
  return worst;
}

describe('lower-recurrent', () => {
  for (const c of LOWERING_CASES) {
    for (const pipeline of ['lower-recurrent', STANDARD_PIPELINES[2]]) {
      it(`${c.name} (${pipeline === 'lower-recurrent' ? 'lowered' : '-O2'})`, () => {
        const { graph, feeds } = recurrentCase(c);
        const expected = runGraph(graph, feeds);
        runPipeline(graph, pipeline, PASSES, { verifyEach: true, evaluate: referenceEvaluate });
        expect(graph.nodes.filter((n) => ['LSTM', 'GRU', 'RNN'].includes(n.op)).map((n) => n.op)).toEqual([]);
        expect(relativeDeviation(runGraph(graph, feeds), expected)).toBeLessThan(1e-5);
      });
    }
  }

  it('is deterministic: the same graph lowers to the same IR', async () => {
    const { printGraph } = await import('../../ir/index.js');
    const lowered = () => {
      const { graph } = recurrentCase(LOWERING_CASES[4]!);
      runPipeline(graph, STANDARD_PIPELINES[2], PASSES, { evaluate: referenceEvaluate });
      return printGraph(graph);
    };
    expect(lowered()).toBe(lowered());
  });

  it('unrolls time: one recurrent MatMul per step and direction', () => {
    const c = LOWERING_CASES[1]!; // bidirectional, 4 steps, with initial_h
    const { graph } = recurrentCase(c);
    runPipeline(graph, 'lower-recurrent', PASSES, { verifyEach: true });
    // 2 input projections + 2 × 4 recurrent GEMMs
    expect(graph.nodes.filter((n) => n.op === 'MatMul')).toHaveLength(2 + 2 * c.seq);
  });
});
