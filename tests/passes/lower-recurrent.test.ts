import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { STANDARD_PIPELINES } from '../../passes/pipelines.js';
import { PASSES } from '../../passes/registry.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { recurrentCase, type RecurrentCase } from './recurrent-models.js';

/**
 * lower-recurrent against the reference kernel it replaces: every attribute the schema allows, lowered alone and
 * through the -O2 pipeline (fold-constants and fusion on top), run on the reference interpreter.
 */

export const LOWERING_CASES: RecurrentCase[] = [
  { name: 'lstm_defaults', op: 'LSTM', seq: 3, batch: 2, input: 3, hidden: 4, outputs: ['Y', 'Y_h', 'Y_c'] },
  {
    name: 'lstm_bidirectional_states_peepholes',
    op: 'LSTM', seq: 4, batch: 3, input: 5, hidden: 4, attrs: { direction: 'bidirectional' },
    bias: true, initialH: true, initialC: true, peepholes: true, outputs: ['Y', 'Y_h', 'Y_c'],
  },
  {
    name: 'lstm_reverse_input_forget_clip_batchwise',
    op: 'LSTM', seq: 3, batch: 2, input: 2, hidden: 3, attrs: { direction: 'reverse', input_forget: 1, clip: 0.4, layout: 1 },
    bias: true, initialC: true, peepholes: true, outputs: ['Y_c', 'Y'],
  },
  {
    name: 'lstm_activations',
    op: 'LSTM', seq: 2, batch: 2, input: 3, hidden: 3,
    attrs: { direction: 'bidirectional', activations: ['HardSigmoid', 'Elu', 'Softplus', 'sigmoid', 'ScaledTanh', 'LeakyRelu'], activation_alpha: [0.3, 0.8, 1.5], activation_beta: [0.4, 0.7] },
    bias: true, outputs: ['Y', 'Y_h'],
  },
  {
    name: 'lstm_constant_lens',
    op: 'LSTM', seq: 4, batch: 3, input: 2, hidden: 3, attrs: { direction: 'bidirectional' },
    bias: true, initialH: true, initialC: true, lens: [4, 2, 1], outputs: ['Y', 'Y_h', 'Y_c'],
  },
  {
    name: 'lstm_run_time_lens_and_weights',
    op: 'LSTM', seq: 3, batch: 3, input: 2, hidden: 2, attrs: { direction: 'bidirectional', layout: 1 },
    bias: true, initialH: true, initialC: true, peepholes: true, lens: [1, 3, 2], lensAtRunTime: true, weightsAtRunTime: true, outputs: ['Y', 'Y_h', 'Y_c'],
  },
  { name: 'gru_defaults', op: 'GRU', seq: 3, batch: 2, input: 3, hidden: 4, outputs: ['Y', 'Y_h'] },
  {
    name: 'gru_bidirectional_states',
    op: 'GRU', seq: 3, batch: 2, input: 3, hidden: 4, attrs: { direction: 'bidirectional' }, bias: true, initialH: true, outputs: ['Y', 'Y_h'],
  },
  {
    name: 'gru_linear_before_reset_batchwise',
    op: 'GRU', seq: 4, batch: 2, input: 3, hidden: 3, attrs: { linear_before_reset: 1, layout: 1, direction: 'bidirectional' },
    bias: true, initialH: true, outputs: ['Y', 'Y_h'],
  },
  {
    name: 'gru_linear_before_reset_no_state',
    op: 'GRU', seq: 2, batch: 2, input: 2, hidden: 3, attrs: { linear_before_reset: 1 }, bias: true, outputs: ['Y_h'],
  },
  {
    name: 'gru_activations_clip_lens',
    op: 'GRU', seq: 3, batch: 3, input: 2, hidden: 3,
    attrs: { direction: 'bidirectional', activations: ['Affine', 'ThresholdedRelu', 'Softsign', 'Relu'], activation_alpha: [0.5, 0.1], activation_beta: [0.2], clip: 2 },
    bias: true, initialH: true, lens: [2, 3, 1], outputs: ['Y', 'Y_h'],
  },
  {
    name: 'gru_run_time_weights_reverse',
    op: 'GRU', seq: 3, batch: 2, input: 2, hidden: 2, attrs: { direction: 'reverse' }, bias: true, initialH: true, weightsAtRunTime: true, outputs: ['Y', 'Y_h'],
  },
  { name: 'rnn_defaults', op: 'RNN', seq: 3, batch: 2, input: 3, hidden: 4, outputs: ['Y', 'Y_h'] },
  {
    name: 'rnn_bidirectional_lens',
    op: 'RNN', seq: 4, batch: 3, input: 2, hidden: 3, attrs: { direction: 'bidirectional', activations: ['Relu', 'LeakyRelu'], activation_alpha: [0.2] },
    bias: true, initialH: true, lens: [4, 1, 3], outputs: ['Y', 'Y_h'],
  },
  {
    name: 'rnn_run_time_lens_reverse_batchwise',
    op: 'RNN', seq: 3, batch: 2, input: 2, hidden: 2, attrs: { direction: 'reverse', layout: 1 }, bias: true, lens: [2, 3], lensAtRunTime: true, outputs: ['Y', 'Y_h'],
  },
];

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
