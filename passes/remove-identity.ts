import { sameDim, toNumbers, type Node, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { isIdentityPerm, resolvePerm } from './util-tensors.js';

/** Whether two values provably have the same shape: equal static dims or equal named symbols. */
function sameShape(a: Value, b: Value): boolean {
  return a.type.shape.length === b.type.shape.length && a.type.shape.every((d, i) => sameDim(d, b.type.shape[i]!));
}

/** The operand's elements when it is a constant (absent optional operands count as `fallback`). */
function constantInts(v: Value | null | undefined, fallback?: number[]): number[] | undefined {
  if (!v) return fallback;
  return v.data ? toNumbers(v.data) : undefined;
}

/** Forwards the node's first operand to its first output when `isNoOp` says the node changes nothing. */
function forwarding(name: string, roots: string[], isNoOp: (node: Node, rewriter: PatternRewriter) => boolean): RewritePattern {
  return {
    name,
    roots,
    rewrite(node, rewriter) {
      const x = node.inputs[0];
      const y = node.outputs[0];
      if (!x || !y || x.type.dtype !== y.type.dtype || !sameShape(x, y) || !isNoOp(node, rewriter)) return false;
      // Other outputs (Dropout's mask) must be unused, or the node has to stay anyway.
      if (node.outputs.slice(1).some((out) => rewriter.users(out).length > 0 || rewriter.graph.outputs.includes(out))) return false;
      rewriter.replace(node, [x, ...node.outputs.slice(1).map(() => null)]);
      // A graph output fed straight by a graph input or constant keeps its producer (outputs keep their names).
      return !rewriter.contains(node);
    },
  };
}

const IDENTITY_PATTERNS: RewritePattern[] = [
  forwarding('identity', ['Identity'], () => true),
  // Inference Dropout passes data through; a constant-true training_mode is rejected by Dropout's inference.
  forwarding('dropout-in-inference', ['Dropout'], (node) => {
    const mode = node.inputs[2];
    return !mode || (mode.data !== undefined && !mode.data.data[0]);
  }),
  // Same dtype and shape (checked by `forwarding`) is all it takes for these to be no-ops.
  forwarding('reshape-to-same-shape', ['Reshape'], () => true),
  forwarding('cast-to-same-dtype', ['Cast', 'CastLike'], () => true),
  forwarding('expand-to-same-shape', ['Expand'], () => true),
  forwarding('concat-of-one', ['Concat'], (node) => node.inputs.length === 1),
  forwarding('transpose-identity-perm', ['Transpose'], (node) =>
    isIdentityPerm(resolvePerm(node.attrs['perm'] as number[] | undefined, node.inputs[0]!.type.shape.length)),
  ),
  forwarding('tile-by-ones', ['Tile'], (node) => constantInts(node.inputs[1])?.every((r) => r === 1) ?? false),
  forwarding('pad-by-zeros', ['Pad'], (node) => constantInts(node.inputs[1])?.every((p) => p === 0) ?? false),
  // With unit steps, an unchanged size on every axis means every slice starts at 0 and covers the axis.
  forwarding('slice-of-everything', ['Slice'], (node) => {
    const consts = [1, 2, 3].map((i) => constantInts(node.inputs[i], []));
    const steps = constantInts(node.inputs[4], [1]);
    return consts.every((c) => c !== undefined) && steps !== undefined && steps.every((s) => s === 1);
  }),
];

/**
 * Removes nodes that pass their operand through unchanged: Identity, inference Dropout, Reshape to the same
 * shape, Cast to the same dtype, identity Transpose, and Expand/Tile/Pad/Slice/Concat that provably change
 * nothing.
 */
export const removeIdentityPass: Pass = {
  name: 'remove-identity',
  description: 'removes Identity, inference Dropout and reshapes/casts/transposes/slices that change nothing',
  run(graph, _options, context) {
    const before = graph.nodes.length;
    const changed = applyPatternsGreedily(graph, IDENTITY_PATTERNS);
    context.reports.set('remove-identity', { removed: before - graph.nodes.length });
    return changed;
  },
};
