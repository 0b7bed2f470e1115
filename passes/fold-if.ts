import { captureOperands, getAttr, subgraphsOf, type Graph, type Value } from '../ir/index.js';
import { DEFAULT_FOLD_MAX_BYTES } from './fold-constants.js';
import { expandNodes, inlineSubgraph } from './inline-subgraph.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily } from './pattern.js';
import { NameAllocator } from './rewriter.js';
import { foldConstantOperandsPattern, newFoldStats } from './util-fold.js';
import { refreshTypes } from './util-types.js';

/**
 * An If whose condition is a constant (after fold-constants, or an input bound at compile time) always takes
 * the same branch: the branch's nodes replace it in the enclosing graph, its captures read the outer values they
 * stood for, and the other branch is dropped. Types downstream are re-inferred, since a branch's outputs may be
 * more precise than the If's merged ones.
 *
 * Inlining can expose more: an If nested in the branch whose condition derives from the same bound input. So
 * the pass folds constants (with the pipeline's evaluator, as fold-constants does) and inlines again until no If
 * has a constant condition; each round removes at least one If, so it ends. Captures bound to constants are
 * sunk into the subgraphs as constants of their own, so later passes fold what depends on them inside.
 */
export const foldIfPass: Pass = {
  name: 'fold-if',
  description: 'replaces an If whose condition is a constant by the nodes of the branch it takes (to a fixpoint)',
  run(graph, _options, context) {
    const names = new NameAllocator(graph);
    let folded = 0;
    for (;;) {
      const round = expandNodes(graph, (node) => {
        const cond = node.op === 'If' ? node.inputs[0]?.data : undefined;
        if (!cond || cond.data.length !== 1) return undefined;
        const branch = getAttr<Graph>(node, Number(cond.data[0]) !== 0 ? 'then_branch' : 'else_branch');
        return inlineSubgraph(graph, names, branch, captureOperands(node) as Value[], node.name ? `${node.name}/` : '');
      });
      folded += round;
      if (round === 0 || !context.evaluate) break;
      const pattern = foldConstantOperandsPattern({ evaluate: context.evaluate, maxBytes: DEFAULT_FOLD_MAX_BYTES }, newFoldStats());
      if (applyPatternsGreedily(graph, [pattern])) refreshTypes(graph);
    }
    const sunk = sinkConstantCaptures(graph);
    context.reports.set('fold-if', { folded, sunk });
    return folded > 0 || sunk > 0;
  },
};

/** Turns captures bound to constants into constants of each subgraph; returns how many operands were dropped. */
function sinkConstantCaptures(graph: Graph): number {
  let sunk = 0;
  for (const node of graph.nodes) {
    const subgraphs = subgraphsOf(node).map(([, g]) => g);
    const count = subgraphs[0]?.captures.length ?? 0;
    const first = node.inputs.length - count;
    const keep: boolean[] = [];
    for (let i = 0; i < count; i++) keep.push(!node.inputs[first + i]?.data);
    if (keep.every(Boolean)) continue;
    for (const sub of subgraphs) {
      sub.captures.forEach((c, i) => {
        if (keep[i]) return;
        c.data = node.inputs[first + i]!.data;
        c.type = { dtype: c.data!.dtype, shape: [...c.data!.shape] };
        sub.constants.push(c);
      });
      sub.captures = sub.captures.filter((_, i) => keep[i]);
      refreshTypes(sub);
    }
    node.inputs = [...node.inputs.slice(0, first), ...node.inputs.slice(first).filter((_, i) => keep[i])];
    sunk += keep.filter((k) => !k).length;
  }
  return sunk;
}
