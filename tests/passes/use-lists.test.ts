import { describe, expect, it } from 'vitest';
import { Graph, GraphBuilder, makeTensor, Node, Value, verifyGraph } from '../../ir/index.js';
import { NodeOrder } from '../../passes/node-order.js';
import { applyPatternsGreedily, PatternRewriter, type RewritePattern } from '../../passes/pattern.js';
import { useListMismatch } from '../../passes/use-lists.js';

/**
 * The pattern driver's incremental structures against recomputation: use-lists (value -> reading nodes, in graph
 * order) after every kind of edit the rewriter makes, and the linked node order against a plain array.
 */

/** The graph as the rewriter sees it now (the driver writes `graph.nodes` back only between sweeps). */
function current(rewriter: PatternRewriter): Graph {
  const g = rewriter.graph;
  return new Graph(g.name, g.inputs, g.outputs, g.constants, rewriter.nodes());
}

function expectExact(rewriter: PatternRewriter): void {
  expect(useListMismatch(rewriter.useLists(), current(rewriter))).toBeNull();
}

/** x -> Relu -> a; a + a -> s; s * w -> m; Sigmoid(m) -> g; m * g -> y; y is the output. */
function smallGraph(): { graph: Graph; x: Value; w: Value; a: Value; s: Value; m: Value; y: Value } {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'f32', shape: [2, 3] });
  const w = b.constant('w', makeTensor('f32', [3], [1, 2, 3]));
  const a = b.op('Relu', [x], {}, 'a');
  const s = b.op('Add', [a, a], {}, 's');
  const m = b.op('Mul', [s, w], {}, 'm');
  const g = b.op('Sigmoid', [m], {}, 'g');
  const y = b.op('Mul', [m, g], {}, 'y');
  b.output(y);
  return { graph: b.build(), x, w, a, s, m, y };
}

describe('use-lists', () => {
  it('stay exact through create, replace, setOperand, erase and dead-node clean-up', () => {
    const { graph, x, w, a, s, m, y } = smallGraph();
    const rewriter = new PatternRewriter(graph);
    expectExact(rewriter);
    expect(rewriter.users(a).map((n) => n.op)).toEqual(['Add']);
    expect(rewriter.hasSingleUse(a, s.producer!)).toBe(true);
    expect(rewriter.users(m).map((n) => n.label)).toEqual(['g', 'y']);

    // A second reader of x, created before the Mul: x now has two readers, listed in graph order.
    rewriter.anchor = m.producer;
    const [t] = rewriter.create('Tanh', [x], {}, { outputs: ['t'] });
    expectExact(rewriter);
    expect(rewriter.users(x).map((n) => n.op)).toEqual(['Relu', 'Tanh']);
    expect(rewriter.hasSingleUse(x, a.producer!)).toBe(false);

    // Replace the Add (which reads a twice) by t: the Mul reads t, a loses its only reader.
    const add = s.producer!;
    rewriter.replace(add, [t!]);
    expectExact(rewriter);
    expect(rewriter.contains(add)).toBe(false);
    expect(rewriter.users(a)).toEqual([]);
    expect(rewriter.users(t!).map((n) => n.label)).toEqual(['m']);

    // Point the Mul's weight operand at x itself, then back.
    const mul = m.producer!;
    rewriter.setOperand(mul, 1, x);
    expectExact(rewriter);
    expect(rewriter.users(w)).toEqual([]);
    expect(rewriter.users(x).map((n) => n.op)).toEqual(['Relu', 'Tanh', 'Mul']);
    rewriter.setOperand(mul, 1, w);
    expectExact(rewriter);

    // The Relu is dead now; clean-up erases it and nothing else.
    expect(rewriter.eraseDead([a.producer!, mul, y.producer!])).toBe(1);
    expectExact(rewriter);
    expect(rewriter.users(x).map((n) => n.op)).toEqual(['Tanh']);

    // Replacing the graph output moves the output (and its name) to the new value.
    rewriter.anchor = y.producer;
    const [z] = rewriter.create('Relu', [m], {}, { outputs: ['z'] });
    rewriter.replace(y.producer!, [z!]);
    expectExact(rewriter);
    expect(graph.outputs).toEqual([z]);
    expect(rewriter.hasSingleUse(z!, mul)).toBe(false);
    expect(rewriter.users(m).map((n) => n.op)).toEqual(['Sigmoid', 'Relu']);

    // Dead Sigmoid goes; the graph is valid once the order is written back.
    rewriter.eraseDead([...rewriter.nodes()]);
    expectExact(rewriter);
    graph.nodes = rewriter.nodes();
    expect(graph.nodes.map((n) => n.op)).toEqual(['Tanh', 'Mul', 'Relu']);
    verifyGraph(graph);
  });

  it('are rebuilt after invalidate() when a pattern edits operands behind the rewriter', () => {
    const { graph, x, w, m } = smallGraph();
    const rewriter = new PatternRewriter(graph);
    expect(rewriter.users(w)).toHaveLength(1);
    m.producer!.inputs[1] = x;
    rewriter.invalidate();
    expectExact(rewriter);
    expect(rewriter.users(w)).toEqual([]);
  });

  it('stay exact at every step of a greedy rewrite to a fixed point', () => {
    // A chain of Relu(Relu(...)) with side readers: the pattern collapses Relu(Relu(v)) -> Relu(v) and checks the
    // use-lists against a recomputation at every node the driver offers it.
    const b = new GraphBuilder('relus');
    let v = b.input('x', { dtype: 'f32', shape: [4] });
    const side: Value[] = [];
    for (let i = 0; i < 40; i++) {
      v = b.op('Relu', [v], {}, `r${i}`);
      if (i % 7 === 3) side.push(b.op('Neg', [v], {}, `n${i}`));
    }
    b.output(v, ...side);
    const graph = b.build();
    let checks = 0;
    const collapse: RewritePattern = {
      name: 'relu-relu',
      roots: ['Relu', 'Neg'],
      rewrite(root, rewriter) {
        expect(useListMismatch(rewriter.useLists(), current(rewriter))).toBeNull();
        checks++;
        const inner = root.inputs[0]?.producer;
        if (root.op !== 'Relu' || inner?.op !== 'Relu' || !rewriter.hasSingleUse(root.inputs[0]!, root)) return false;
        const [r] = rewriter.create('Relu', [inner.inputs[0]!], {}, { outputs: [`${root.outputs[0]!.name}_c`] });
        rewriter.replace(root, [r!]);
        return true;
      },
    };
    expect(applyPatternsGreedily(graph, [collapse])).toBe(true);
    verifyGraph(graph);
    expect(checks).toBeGreaterThan(40);
    // Every Relu whose value nobody else reads has merged into the next: one Relu per side reader, plus the last.
    expect(graph.nodes.filter((n) => n.op === 'Relu')).toHaveLength(side.length + 1);
    expect(graph.nodes.filter((n) => n.op === 'Neg')).toHaveLength(side.length);
  });
});

describe('node order', () => {
  it('matches an array model through insertions (many before one anchor) and removals', () => {
    const make = (i: number) => new Node('Identity', [], [new Value(`v${i}`, { dtype: 'f32', shape: [] })]);
    const model = Array.from({ length: 10 }, (_, i) => make(i));
    const order = new NodeOrder(model);
    let next = 10;
    // 200 insertions before one anchor exhaust the key gaps several times over (renumbering in between).
    const anchor = model[5]!;
    for (let i = 0; i < 200; i++) {
      const n = make(next++);
      order.insertBefore(n, anchor);
      model.splice(model.indexOf(anchor), 0, n);
    }
    for (let i = 0; i < 50; i++) {
      const n = make(next++);
      const at = model[(i * 37) % model.length]!;
      order.insertBefore(n, at);
      model.splice(model.indexOf(at), 0, n);
      const gone = model[(i * 53) % model.length]!;
      order.remove(gone);
      model.splice(model.indexOf(gone), 1);
    }
    const appended = make(next++);
    order.insertBefore(appended, make(-1)); // an anchor not in the list: append
    model.push(appended);
    expect(order.toArray()).toEqual(model);
    expect(order.size).toBe(model.length);
    for (let i = 1; i < model.length; i++) expect(order.compare(model[i - 1]!, model[i]!)).toBeLessThan(0);
  });
});
