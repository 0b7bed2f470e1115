import { describe, expect, it } from 'vitest';
import { EdgecError } from '../../ir/index.js';
import { recurrentCase, type RecurrentCase } from '../passes/recurrent-models.js';

/** LSTM / GRU / RNN attribute and shape checks: clear errors with a code, naming the node. */
describe('recurrent op schemas', () => {
  const failure = (attrs: RecurrentCase['attrs'], op: RecurrentCase['op'] = 'LSTM'): EdgecError => {
    try {
      recurrentCase({ name: 'bad_node', op, seq: 2, batch: 1, input: 2, hidden: 2, attrs, outputs: ['Y'] });
    } catch (e) {
      return e as EdgecError;
    }
    throw new Error('expected an error');
  };

  it('rejects an unknown activation, naming the node', () => {
    const e = failure({ activations: ['Sigmoid', 'Swish', 'Tanh'] });
    expect(e).toBeInstanceOf(EdgecError);
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.message).toMatch(/bad_node/);
    expect(e.message).toMatch(/activation 'Swish'/);
  });

  it('rejects an activation list of the wrong length', () => {
    expect(failure({ activations: ['Sigmoid', 'Tanh'] }, 'LSTM').message).toMatch(/takes 3/);
    expect(failure({ direction: 'bidirectional', activations: ['Tanh'] }, 'RNN').message).toMatch(/takes 2/);
  });

  it('rejects a bad direction, layout and clip', () => {
    expect(failure({ direction: 'sideways' }).message).toMatch(/direction 'sideways'/);
    expect(failure({ layout: 2 }).message).toMatch(/layout must be 0 or 1/);
    expect(failure({ clip: -1 }).message).toMatch(/clip must be positive/);
  });

  it('rejects weights whose shape does not match hidden_size', () => {
    const e = failure({ hidden_size: 3 }, 'GRU');
    expect(e.code).toBe('BAD_SHAPE');
    expect(e.message).toMatch(/GRU W is f32\[1,6,2\]; expected \[1,9,2\]/);
  });
});
