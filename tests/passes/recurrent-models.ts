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
