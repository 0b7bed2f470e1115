import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, parseGraph, printGraph, verifyGraph, type Graph } from '../../ir/index.js';

function sampleGraph(): Graph {
  const b = new GraphBuilder('sample', { 'onnx.opset': '17', note: 'quotes " and \\ survive' });
  const x = b.input('x', { dtype: 'f32', shape: ['batch', 4] });
  const w = b.constant('onnx::Mul_1', makeTensor('f32', [4], [0.1, -2.5, 3e-8, 1 / 3]));
  const big = b.constant('big', makeTensor('f16', [20], Array.from({ length: 20 }, (_, i) => i * 0.3)));
  const ids = b.constant('ids', makeTensor('i64', [2], [9007199254740993n, -1n]));
  const m = b.op('Mul', [x, w], {}, 'scaled');
  const l = b.op('LeakyRelu', [m], { alpha: 0.01 }, 'leaky/1');
  const c = b.op('Clip', [l, null, b.constant('hi', makeTensor('f32', [], [6]))]);
  b.output(c);
  void big;
  void ids;
  return b.build();
}

describe('IR text form', () => {
  it('prints operands, omitted optionals, attributes, types and names', () => {
    const text = printGraph(sampleGraph());
    expect(text).toContain('graph @sample(%x: f32[batch,4]) {');
    expect(text).toContain('%"onnx::Mul_1" = const f32[4] [0.1, -2.5, 3e-8, 0.33333334]');
    expect(text).toContain('%ids = const i64[2] [9007199254740993, -1]');
    expect(text).toContain('%big = const f16[20] base64"');
    expect(text).toContain('%leaky/1 = LeakyRelu(%scaled) {alpha = 0.01} : f32[batch,4] @leaky/1');
    expect(text).toContain('%clip = Clip(%leaky/1, _, %hi) : f32[batch,4]');
    expect(text).toContain('meta "note" = "quotes \\" and \\\\ survive"');
    expect(text.trimEnd().split('\n').at(-2)).toBe('  return %clip');
  });

  it('round-trips exactly and the parsed graph verifies', () => {
    const text = printGraph(sampleGraph());
    const parsed = parseGraph(text);
    verifyGraph(parsed);
    expect(printGraph(parsed)).toBe(text);
    const ids = parsed.constants.find((c) => c.name === 'ids')!;
    expect(ids.data!.data[0]).toBe(9007199254740993n);
  });

  it('reports parse errors with line and column', () => {
    expect(() => parseGraph('graph @g(%x: f32[2]) {\n  %y = Relu(%z) : f32[2]\n  return %y\n}')).toThrow(/2:13: %z is not defined/);
    expect(() => parseGraph('graph @g(%x: f33[2]) {\n return %x }')).toThrow(/unknown dtype 'f33'/);
    expect(() => parseGraph('graph @g(%x: f32[2]) {\n  %y = Frobnicate(%x) : f32[2]\n  return %y\n}')).toThrow(/unknown op 'Frobnicate'/);
    expect(() => parseGraph('graph @g(%x: f32[2]) {\n  %y = LeakyRelu(%x) {beta = 1.0} : f32[2]\n  return %y\n}')).toThrow(/no attribute 'beta'/);
    expect(() => parseGraph('graph @g(%x: f32[2]) {\n  %c = const f32[3] [1.0, 2.0]\n  return %x\n}')).toThrow(/holds 2 elements; the type needs 3/);
  });

  it('keeps float attributes as float32 and ints as ints', () => {
    const g = parseGraph('graph @g(%x: f32[2]) {\n  %y = LeakyRelu(%x) {alpha = 0.1} : f32[2]\n  return %y\n}');
    expect(g.nodes[0]!.attrs.alpha).toBe(Math.fround(0.1));
    expect(() => parseGraph('graph @g(%x: f32[2,2]) {\n  %y = Clip(%x) : f32[2,2]\n  return %y\n}')).not.toThrow();
  });
});
