import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, Node, parseGraph, Value, verifyGraph, type Graph } from '../../ir/index.js';

function relu(): { graph: Graph; x: Value; y: Value } {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'f32', shape: [2, 3] });
  const y = b.op('Relu', [x], {}, 'y');
  b.output(y);
  return { graph: b.build(), x, y };
}

describe('IR verifier', () => {
  it('accepts a well-formed graph', () => {
    expect(() => verifyGraph(relu().graph)).not.toThrow();
  });

  it('rejects a use before its definition', () => {
    const { graph, y } = relu();
    const z = new Value('z', { dtype: 'f32', shape: [2, 3] });
    graph.nodes.unshift(new Node('Neg', [y], [z]));
    expect(() => verifyGraph(graph)).toThrow(/operand 0 %y is used before it is defined/);
  });

  it('rejects two values with one name', () => {
    const { graph, x } = relu();
    graph.nodes[0]!.outputs[0]!.name = x.name;
    expect(() => verifyGraph(graph)).toThrow(/name %x is used by two values/);
  });

  it('rejects an output type that disagrees with the op schema', () => {
    const { graph, y } = relu();
    y.type = { dtype: 'f32', shape: [3, 2] };
    expect(() => verifyGraph(graph)).toThrow(/output %y has type f32\[3,2\], but Relu gives f32\[2,3\]/);
  });

  it('rejects operands whose dtypes break the schema', () => {
    const text = 'graph @g(%a: f32[2], %b: i64[2]) {\n  %c = Add(%a, %b) : f32[2]\n  return %c\n}';
    expect(() => verifyGraph(parseGraph(text))).toThrow(/Add operands must share one dtype/);
  });

  it('rejects constant data that does not match its type', () => {
    const { graph } = relu();
    graph.constants.push(new Value('c', { dtype: 'f32', shape: [4] }, makeTensor('f32', [2], [1, 2])));
    expect(() => verifyGraph(graph)).toThrow(/constant %c has type f32\[4\] but data f32\[2\]/);
  });

  it('rejects a graph output that is not defined in the graph', () => {
    const { graph } = relu();
    graph.outputs.push(new Value('ghost', { dtype: 'f32', shape: [1] }));
    expect(() => verifyGraph(graph)).toThrow(/graph output %ghost is not defined/);
  });

  it('rejects a broken producer link', () => {
    const { graph, y } = relu();
    y.producer = null;
    expect(() => verifyGraph(graph)).toThrow(/does not point back to its producer/);
  });
});
