import { captureOperands, getAttr, type Graph, type Value } from '../ir/index.js';
import { expandNodes, inlineSubgraph } from './inline-subgraph.js';
import type { Pass } from './pass.js';
import { NameAllocator } from './rewriter.js';

/**
 * An If whose condition is a constant (after fold-constants, or an input bound at compile time) always takes
 * the same branch: the branch's nodes replace it in the enclosing graph, its captures read the outer values they
 * stood for, and the other branch is dropped. Types downstream are re-inferred, since a branch's outputs may be
 * more precise than the If's merged ones.
 */
export const foldIfPass: Pass = {
  name: 'fold-if',
  description: 'replaces an If whose condition is a constant by the nodes of the branch it takes',
  run(graph, _options, context) {
    const names = new NameAllocator(graph);
    const folded = expandNodes(graph, (node) => {
      const cond = node.op === 'If' ? node.inputs[0]?.data : undefined;
      if (!cond || cond.data.length !== 1) return undefined;
      const branch = getAttr<Graph>(node, Number(cond.data[0]) !== 0 ? 'then_branch' : 'else_branch');
      return inlineSubgraph(graph, names, branch, captureOperands(node) as Value[], node.name ? `${node.name}/` : '');
    });
    context.reports.set('fold-if', { folded });
    return folded > 0;
  },
};
