import type { Pass } from './pass.js';
import { applyPatternsGreedily } from './pattern.js';
import { byteLimitOption, foldConstantOperandsPattern, newFoldStats, type FoldStats } from './util-fold.js';
import { refreshTypes } from './util-types.js';

export const DEFAULT_FOLD_MAX_BYTES = 1 << 20;

export interface FoldConstantsReport extends FoldStats {
  /** Why nothing was folded, when that is so for a reason other than the graph. */
  note?: string;
}

/**
 * Evaluates every node whose operands are all constants (with the evaluator the pipeline's caller supplies,
 * normally the reference kernels) and replaces it by constants, up to a size limit so that, say, an Expand of a
 * scalar to a large activation shape is not baked into the weights.
 */
export const foldConstantsPass: Pass = {
  name: 'fold-constants',
  description: 'replaces nodes whose operands are all constants by their computed values',
  options: { 'max-bytes': `largest constant the pass may create, in bytes (default ${DEFAULT_FOLD_MAX_BYTES})` },
  run(graph, options, context) {
    const maxBytes = byteLimitOption(options['max-bytes'], DEFAULT_FOLD_MAX_BYTES, 'fold-constants max-bytes');
    const stats = newFoldStats();
    if (!context.evaluate) {
      const report: FoldConstantsReport = { ...stats, note: 'no evaluator in the pass context: nothing was folded' };
      context.reports.set('fold-constants', report);
      return false;
    }
    const changed = applyPatternsGreedily(graph, [foldConstantOperandsPattern({ evaluate: context.evaluate, maxBytes }, stats)]);
    if (changed) refreshTypes(graph);
    context.reports.set('fold-constants', stats satisfies FoldConstantsReport);
    return changed;
  },
};
