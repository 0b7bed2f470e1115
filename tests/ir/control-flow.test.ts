import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneGraph, makeTensor, nestedGraphs, parseGraph, printGraph, verifyGraph, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';

/**
 * Control flow in the IR: If, Loop and Scan with subgraphs that capture outer values (nested ones
 * transitively). Each golden .ir file must parse, verify, print back identically, deep-copy, and compute what
 * the hand-worked numbers below say on the reference interpreter.
 */
const dir = join(__dirname, 'control-flow');
const load = (name: string): { text: string; graph: Graph } => {
  const text = readFileSync(join(dir, name), 'utf8');
  return { text, graph: parseGraph(text) };
};
const f32 = (shape: number[], data: number[]) => makeTensor('f32', shape, data);
const values = (t: Tensor) => Array.from(t.data as Float32Array);

describe('control flow in the IR', () => {
  for (const file of ['if.ir', 'loop-nested.ir', 'scan.ir']) {
    it(`${file}: parses, verifies and prints back identically; clones deeply`, () => {
      const { text, graph } = load(file);
      verifyGraph(graph);
      expect(printGraph(graph)).toBe(text);
      const copy = cloneGraph(graph);
      verifyGraph(copy);
      expect(printGraph(copy)).toBe(text);
      const originals = new Set(nestedGraphs(graph));
      expect(nestedGraphs(copy).some((g) => originals.has(g))).toBe(false);
    });
  }

  it('If picks its branch at run time, reading captured values', () => {
    const { graph } = load('if.ir');
    const x = f32([3], [1, 1, 2]);
    expect(values(runGraph(graph, { c: makeTensor('bool', [], [1]), x })['y']!)).toEqual([2, 3, 5]);
    expect(values(runGraph(graph, { c: makeTensor('bool', [], [0]), x })['y']!)).toEqual([1, 2, 6]);
  });

  it('Loop carries values, stacks scan outputs, and nests an If that captures through the body', () => {
    const { graph } = load('loop-nested.ir');
    const x = f32([2], [1, 10]);
    const out = runGraph(graph, { x, flip: makeTensor('bool', [], [0]) });
    // s_i = x * (0 + 1 + ... + i)
    expect(values(out['acc']!)).toEqual([6, 60]);
    expect(out['trace']!.shape).toEqual([4, 2]);
    expect(values(out['trace']!)).toEqual([0, 0, 1, 10, 3, 30, 6, 60]);
    const negated = runGraph(graph, { x, flip: makeTensor('bool', [], [1]) });
    expect(values(negated['acc']!)).toEqual([-6, -60]);
  });

  it('Scan walks a reversed scan input and stacks its scan output along axis 1', () => {
    const { graph } = load('scan.ir');
    const out = runGraph(graph, { x: f32([3, 2], [1, 2, 3, 4, 5, 6]), bias: f32([2], [100, 0]) });
    // rows taken last first: (5,6), (3,4), (1,2); state += row + bias
    expect(values(out['total']!)).toEqual([309, 12]);
    expect(out['partial']!.shape).toEqual([2, 3]);
    expect(values(out['partial']!)).toEqual([105, 208, 309, 6, 10, 12]);
  });

  it('the verifier rejects a subgraph reading an outer value directly', () => {
    const text = load('if.ir').text.replace('%a = Add(%x, %w)', '%a = Add(%x, %c)');
    expect(() => parseGraph(text)).toThrow(/%c is not defined/);
    // Built in memory (the parser already refuses it): the outer value is not in the branch's scope.
    const { graph } = load('if.ir');
    const then = graph.nodes[0]!.attrs['then_branch'] as Graph;
    then.nodes[0]!.inputs[1] = graph.inputs[0]!;
    expect(() => verifyGraph(graph)).toThrow(/not in the graph\) in subgraph @then/);
  });

  it('the verifier rejects branches that disagree and captures of the wrong type', () => {
    const mismatched = load('if.ir').text.replace('%m = Mul(%x, %w) : f32[3]\n  return %m', '%m = Mul(%x, %w) : f32[3]\n  %k = Cast(%m) {to = "i32"} : i32[3]\n  return %k');
    expect(() => verifyGraph(parseGraph(mismatched))).toThrow(/differ in element type/);
    const badCapture = load('if.ir').text.replace('graph @else() captures(%x: f32[3], %w: f32[3])', 'graph @else() captures(%x: f32[3], %w: f32[1])');
    expect(() => verifyGraph(parseGraph(badCapture))).toThrow(/capture %w of else_branch is f32\[1\]/);
    const missing = load('if.ir').text.replace('then_branch = @then', 'then_branch = @nowhere');
    expect(() => parseGraph(missing)).toThrow(/@nowhere is not defined/);
  });
});

describe('deeply nested control flow', () => {
  /** If inside If, `depth` levels: the innermost then-branch negates x; every else-branch returns x. */
  function nestedIfs(depth: number): string {
    const blocks = ['graph @main(%c: bool[], %x: f32[2]) {\n  %y = If(%c, %c, %x) {else_branch = @e0, then_branch = @t0} : f32[2]\n  return %y\n}\n'];
    for (let i = 0; i < depth; i++) {
      blocks.push(`graph @e${i}() captures(%c: bool[], %x: f32[2]) {\n  return %x\n}\n`);
      const body =
        i === depth - 1
          ? '  %y = Neg(%x) : f32[2]\n'
          : `  %y = If(%c, %c, %x) {else_branch = @e${i + 1}, then_branch = @t${i + 1}} : f32[2]\n`;
      blocks.push(`graph @t${i}() captures(%c: bool[], %x: f32[2]) {\n${body}  return %y\n}\n`);
    }
    return blocks.join('');
  }

  it('parses, prints, verifies, clones and runs thousands of levels without deep JS recursion', () => {
    const text = nestedIfs(3000);
    const graph = parseGraph(text);
    verifyGraph(graph);
    expect(printGraph(graph)).toBe(text);
    expect(nestedGraphs(cloneGraph(graph))).toHaveLength(6001);
    const x = f32([2], [1, -2]);
    expect(values(runGraph(graph, { c: makeTensor('bool', [], [1]), x })['y']!)).toEqual([-1, 2]);
    expect(values(runGraph(graph, { c: makeTensor('bool', [], [0]), x })['y']!)).toEqual([1, -2]);
  });
});
