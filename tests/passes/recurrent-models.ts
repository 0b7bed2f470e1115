import { GraphBuilder, makeTensor, type Attributes, type Graph, type Tensor, type Value } from '../../ir/index.js';
import { RECURRENT_OPS, type RecurrentOp } from '../../ir/ops/recurrent.js';
import { count, seededNumbers } from '../support/seeded-random.js';

/** Small LSTM / GRU / RNN graphs with seeded weights and feeds, for the lowering and parity tests. */
export interface RecurrentCase {
  name: string;
  op: RecurrentOp;
  seq: number;
  batch: number;
  input: number;
  hidden: number;
  attrs?: Attributes;
  bias?: boolean;
  initialH?: boolean;
  initialC?: boolean;
  peepholes?: boolean;
  /** Per-row lengths: a constant operand, or a graph input when `lensAtRunTime`. */
  lens?: number[];
  lensAtRunTime?: boolean;
  /** W, R, B, P as graph inputs instead of constants (as the ONNX conformance cases give them). */
  weightsAtRunTime?: boolean;
  /** The outputs the graph returns (the others are left unread). */
  outputs: ('Y' | 'Y_h' | 'Y_c')[];
  seed?: number;
}

export function recurrentCase(c: RecurrentCase): { graph: Graph; feeds: Record<string, Tensor> } {
  const rnd = seededNumbers(c.seed ?? 7);
  const layout = Number(c.attrs?.['layout'] ?? 0);
  const D = c.attrs?.['direction'] === 'bidirectional' ? 2 : 1;
  const GH = RECURRENT_OPS[c.op].gates * c.hidden;
  const b = new GraphBuilder(c.name);
  const feeds: Record<string, Tensor> = {};
  const random = (shape: number[], lo: number, hi: number) => makeTensor('f32', shape, rnd.floats(count(shape), lo, hi));
  const feed = (name: string, t: Tensor): Value => {
    feeds[name] = t;
    return b.input(name, { dtype: t.dtype, shape: t.shape });
  };
  const weight = (name: string, t: Tensor): Value => (c.weightsAtRunTime ? feed(name, t) : b.constant(name, t));
  const x = feed('X', random(layout === 0 ? [c.seq, c.batch, c.input] : [c.batch, c.seq, c.input], -1, 1));
  const w = weight('W', random([D, GH, c.input], -0.6, 0.6));
  const r = weight('R', random([D, GH, c.hidden], -0.6, 0.6));
  const bias = c.bias ? weight('B', random([D, 2 * GH], -0.3, 0.3)) : null;
  let lens: Value | null = null;
  if (c.lens) {
    const t = makeTensor('i32', [c.batch], c.lens);
    lens = c.lensAtRunTime ? feed('sequence_lens', t) : b.constant('sequence_lens', t);
  }
  const stateShape = layout === 0 ? [D, c.batch, c.hidden] : [c.batch, D, c.hidden];
  const h0 = c.initialH ? feed('initial_h', random(stateShape, -1, 1)) : null;
  const c0 = c.initialC ? feed('initial_c', random(stateShape, -1, 1)) : null;
  const p = c.peepholes ? weight('P', random([D, 3 * c.hidden], -0.5, 0.5)) : null;
  const operands = c.op === 'LSTM' ? [x, w, r, bias, lens, h0, c0, p] : [x, w, r, bias, lens, h0];
  while (operands[operands.length - 1] === null) operands.pop();
  const names = c.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const outs = b.node(c.op, operands, { hidden_size: c.hidden, ...c.attrs }, { name: c.name, outputNames: names });
  b.output(...c.outputs.map((o) => outs[names.indexOf(o)]!));
  return { graph: b.build(), feeds };
}

/** Cases over every attribute the schemas allow (the lowering test runs them all; parity checks the reference on them). */
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
    name: 'rnn_steps_no_row_has',
    op: 'RNN', seq: 4, batch: 2, input: 2, hidden: 3, attrs: { direction: 'bidirectional' }, bias: true, initialH: true, lens: [2, 1], outputs: ['Y', 'Y_h'],
  },
  {
    name: 'rnn_run_time_lens_reverse_batchwise',
    op: 'RNN', seq: 3, batch: 2, input: 2, hidden: 2, attrs: { direction: 'reverse', layout: 1 }, bias: true, lens: [2, 3], lensAtRunTime: true, outputs: ['Y', 'Y_h'],
  },
];
