import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Graph } from '../../ir/index.js';
import { PASSES } from '../../passes/registry.js';
import { runPipeline } from '../../passes/manager.js';
import { generateRvvSources } from '../../targets/rvv/compile.js';
import type { RvvKernel } from '../../targets/rvv/kernel.js';

/** Two Relu nodes, placed by plan-memory, ready for the C writer. */
function twoNodes(): Graph {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'f32', shape: [4] });
  b.output(b.op('Relu', [b.op('Relu', [x], {}, 'h')], {}, 'y'));
  const g = b.build();
  runPipeline(g, 'plan-memory', PASSES);
  return g;
}

/** A kernel whose node n defines the helper plans(n) under the C name `name`, counting how often each is built. */
function planned(plans: (n: number) => object, name: string, built: string[]): RvvKernel {
  let n = 0;
  return {
    ops: ['Relu'],
    check: () => null,
    emit(_node, ctx) {
      const fn = ctx.planHelper('h', plans(n++), () => name, (cName, plan) => (built.push(JSON.stringify(plan)), `static void ${cName}(void) {}`));
      return `${fn}();`;
    },
  };
}

describe('rvv planned helpers', () => {
  it('are defined once per plan, whatever the order of its fields', () => {
    const built: string[] = [];
    const kernel = planned((n) => (n === 0 ? { a: 1, b: 2 } : { b: 2, a: 1 }), 'edgec_h', built);
    const sources = generateRvvSources(twoNodes(), () => kernel);
    expect(built).toEqual(['{"a":1,"b":2}']);
    expect(sources.modelC.match(/static void edgec_h\(void\)/g)).toHaveLength(1);
  });

  it('refuse two plans given one C name', () => {
    const kernel = planned((n) => ({ mr: n + 1 }), 'edgec_h', []);
    expect(() => generateRvvSources(twoNodes(), () => kernel)).toThrow(/rvv helpers h:\{"mr":1\} and h:\{"mr":2\} share the C name edgec_h/);
  });
});
