import { runControlNode } from '../control/machine.js';
import { registerKernels } from './registry.js';

/**
 * If, Loop and Scan in the kernel table, so constant folding and support checks treat them like any op. The
 * interpreter itself never calls these: it drives control flow on its own frame stack (control/machine.ts);
 * these start one such run for a single node.
 */
registerKernels({
  If: (inputs, ctx) => runControlNode(ctx.node, inputs),
  Loop: (inputs, ctx) => runControlNode(ctx.node, inputs),
  Scan: (inputs, ctx) => runControlNode(ctx.node, inputs),
});
