import type { Pass } from './pass.js';
import { eraseDeadNodes } from './pattern.js';
import { pruneConstants } from './rewriter.js';

/**
 * Erases nodes none of whose outputs is used (IR ops have no side effects) and constants nobody reads. Graph
 * inputs stay even when unused: they are the model's signature.
 */
export const eliminateDeadCodePass: Pass = {
  name: 'eliminate-dead-code',
  description: 'erases nodes whose outputs are unused and constants nobody reads',
  run(graph, _options, context) {
    const nodesBefore = graph.nodes.length;
    eraseDeadNodes(graph);
    const constants = pruneConstants(graph);
    const nodes = nodesBefore - graph.nodes.length;
    context.reports.set('eliminate-dead-code', { nodes, constants });
    return nodes > 0 || constants > 0;
  },
};
