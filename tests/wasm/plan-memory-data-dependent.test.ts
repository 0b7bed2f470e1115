import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Graph } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';

const plan = (g: Graph) => runPipeline(g, 'plan-memory', PASSES, { verifyEach: true });

describe('plan-memory on data-dependent shapes', () => {
  it('says the shape depends on run-time values (ReduceMean with axes fed as an input)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 3, 4] });
    const axes = b.input('axes', { dtype: 'i64', shape: [1] });
    const r = b.op('ReduceMean', [x, axes], { keepdims: 1 }, 'reduced');
    b.output(b.op('Relu', [r], {}, 'y'));
    let message = '';
    try {
      plan(b.build());
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/%reduced .*depends on the values of %axes \(read by ReduceMean 'reduced'\), known only at run time, which the static arena cannot hold/);
    expect(message).not.toMatch(/--input-shape/);
  });

  it('names the first node behind a chain of data-dependent shapes', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 3, 4] });
    const shape = b.input('shape', { dtype: 'i64', shape: [2] });
    const r = b.op('Reshape', [x, shape], {}, 'reshaped');
    b.output(b.op('Relu', [b.op('Neg', [r], {}, 'n')], {}, 'y'));
    expect(() => plan(b.build())).toThrow(/depends on the values of %shape \(read by Reshape 'reshaped'\)/);
  });

  it('keeps the --input-shape hint for symbolic input dims', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: ['batch', 4] });
    const axes = b.input('axes', { dtype: 'i64', shape: [1] });
    b.output(b.op('ReduceMean', [x, axes], { keepdims: 1 }, 'reduced'));
    expect(() => plan(b.build())).toThrow(/%x is f32\[batch,4\]; fix input dims with --input-shape/);
  });
});
