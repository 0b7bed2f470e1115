import { numel, opTraits, registeredOps, type Node, type Tensor, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { composePerms, invertPerm, isIdentityPerm, reshapeTensor, resolvePerm, transposeTensor } from './util-tensors.js';

/**
 * Transpose cleanup: cancel or merge consecutive Transposes, fold Transposes of constants, and sink a Transpose
 * below elementwise ops when that lets it meet another Transpose (typically the NCHW<->NHWC pairs exporters
 * leave around elementwise chains). Choosing a layout per target is a later, target-specific pass.
 */

/** Elementwise ops with one data operand (further operands, like Clip's bounds, are scalars). */
const isUnary = (node: Node) => opTraits(node.op).elementwise === 'unary';
/** Broadcasting elementwise ops applied to two operands. */
const isBinary = (node: Node) => opTraits(node.op).elementwise === 'broadcast' && node.inputs.length === 2;
/** How far down a chain of elementwise ops sinking looks for a Transpose to meet. */
const MAX_SINK_DEPTH = 8;

function permOf(node: Node): number[] {
  return resolvePerm(node.attrs['perm'] as number[] | undefined, node.inputs[0]!.type.shape.length);
}

/** Replaces the node's single output by `v`, which then takes over the output's name once the node is gone. */
function replaceKeepingName(node: Node, v: Value, rewriter: PatternRewriter): void {
  const name = node.outputs[0]!.name;
  rewriter.replace(node, [v]);
  if (!rewriter.contains(node)) v.name = name;
}

/** The Transpose feeding `v` when `v` is read only by `user`, so moving or merging it duplicates nothing. */
function soleTransposeProducer(v: Value | null, user: Node, rewriter: PatternRewriter): Node | undefined {
  const producer = v?.producer;
  return producer?.op === 'Transpose' && rewriter.hasSingleUse(v!, user) ? producer : undefined;
}

/**
 * For an elementwise `node` reading the transposed value at operand `at`, the data operand list after moving
 * the Transpose below it, or undefined when that is not possible (a non-constant other operand, or a constant
 * whose rank exceeds the data's).
 */
function operandsBelowTranspose(node: Node, at: number, perm: readonly number[], rewriter: PatternRewriter): (Value | null)[] | undefined {
  const x = node.inputs[at]!.producer!.inputs[0]!;
  if (isUnary(node)) return at === 0 ? [x, ...node.inputs.slice(1)] : undefined;
  if (!isBinary(node)) return undefined;
  const other = node.inputs[1 - at]!;
  if (!other.data || other.type.shape.length > perm.length) return undefined;
  const c = other.data;
  let moved: Value = other;
  if (numel(c.shape) > 1) {
    // Transpose(x, p) op c == Transpose(x op Transpose(c, inverse(p)), p), with c first padded to full rank.
    const padded: Tensor = reshapeTensor(c, [...new Array<number>(perm.length - c.shape.length).fill(1), ...c.shape]);
    moved = rewriter.constant(`${other.name}_transposed`, transposeTensor(padded, invertPerm(perm)));
  }
  const operands = [...node.inputs];
  operands[at] = x;
  operands[1 - at] = moved;
  return operands;
}

/** Whether `v` leads, through single-use elementwise ops the Transpose can sink below, to a Transpose. */
function reachesTranspose(v: Value, rewriter: PatternRewriter, depth: number): boolean {
  const users = rewriter.users(v);
  if (users.length !== 1 || rewriter.graph.outputs.includes(v) || depth > MAX_SINK_DEPTH) return false;
  const user = users[0]!;
  if (user.op === 'Transpose') return true;
  const at = user.inputs.indexOf(v);
  const sinkable = isUnary(user) ? at === 0 : isBinary(user) && user.inputs[1 - at]?.data !== undefined;
  return sinkable && user.outputs.length === 1 && reachesTranspose(user.outputs[0]!, rewriter, depth + 1);
}

const mergeTransposes: RewritePattern = {
  name: 'merge-consecutive-transposes',
  roots: ['Transpose'],
  rewrite(node, rewriter) {
    const first = node.inputs[0]!.producer;
    if (first?.op !== 'Transpose') return false;
    const perm = composePerms(permOf(first), permOf(node));
    const x = first.inputs[0]!;
    if (isIdentityPerm(perm)) {
      rewriter.replace(node, [x]);
      return !rewriter.contains(node);
    }
    // The first Transpose stays when others read it; the merged one reads x directly either way.
    const [merged] = rewriter.create('Transpose', [x], { perm }, { name: node.name, outputs: [node.outputs[0]!.name] });
    replaceKeepingName(node, merged!, rewriter);
    return true;
  },
};

const removeIdentityTranspose: RewritePattern = {
  name: 'remove-identity-transpose',
  roots: ['Transpose'],
  rewrite(node, rewriter) {
    if (!isIdentityPerm(permOf(node))) return false;
    rewriter.replace(node, [node.inputs[0]!]);
    return !rewriter.contains(node);
  },
};

const foldTransposeOfConstant: RewritePattern = {
  name: 'fold-transpose-of-constant',
  roots: ['Transpose'],
  rewrite(node, rewriter) {
    const x = node.inputs[0]!;
    const out = node.outputs[0]!;
    if (!x.data || rewriter.graph.outputs.includes(out)) return false;
    replaceKeepingName(node, rewriter.constant(`${out.name}_folded`, transposeTensor(x.data, permOf(node))), rewriter);
    return true;
  },
};

const sinkTransposeBelowElementwise: RewritePattern = {
  name: 'sink-transpose-below-elementwise',
  roots: registeredOps().filter((op) => opTraits(op).elementwise),
  rewrite(node, rewriter) {
    if (node.outputs.length !== 1) return false;
    for (let at = 0; at < Math.min(node.inputs.length, 2); at++) {
      const transpose = soleTransposeProducer(node.inputs[at]!, node, rewriter);
      if (!transpose) continue;
      // Only worth it when the Transpose will meet another one further down.
      if (!reachesTranspose(node.outputs[0]!, rewriter, 0)) return false;
      const perm = permOf(transpose);
      const operands = operandsBelowTranspose(node, at, perm, rewriter);
      if (!operands) continue;
      const [inner] = rewriter.create(node.op, operands, node.attrs, { name: node.name, outputs: [`${node.outputs[0]!.name}_untransposed`] });
      const [outer] = rewriter.create('Transpose', [inner!], { perm }, { name: transpose.name, outputs: [node.outputs[0]!.name] });
      replaceKeepingName(node, outer!, rewriter);
      return true;
    }
    return false;
  },
};

export const foldTransposesPass: Pass = {
  name: 'fold-transposes',
  description: 'cancels and merges Transposes, folds Transposes of constants, sinks them below elementwise ops',
  run(graph, _options, context) {
    const before = graph.nodes.filter((n) => n.op === 'Transpose').length;
    const changed = applyPatternsGreedily(graph, [removeIdentityTranspose, mergeTransposes, foldTransposeOfConstant, sinkTransposeBelowElementwise]);
    context.reports.set('fold-transposes', { transposesBefore: before, transposesAfter: graph.nodes.filter((n) => n.op === 'Transpose').length });
    return changed;
  },
};
