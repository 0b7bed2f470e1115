import { broadcastShapes, getOpSchema, nodeExpression, registeredOps, sameType, type DType, type Node, type Value } from '../ir/index.js';
import { exprLiteral, exprOperand, expressionSize, formatExpression, operandReads, type Expr } from '../ir/ops/expression.js';
import { formatFloat32 } from '../ir/text/format.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { isFloatType, replaceKeepingName } from './fusion-util.js';

/**
 * Fuses maximal trees of float elementwise ops into one FusedElementwise whose `expression` is the tree. A value
 * joins its consumer's tree when its producer is elementwise, it is read exactly once (by that consumer, once)
 * and it is not a graph output; everything else — values read twice, graph inputs, non-scalar constants — becomes
 * an operand x0, x1, ... in order of first appearance. One-element constants become literals. A tree of a single
 * op stays as it is. Existing FusedElementwise nodes join trees like any elementwise op, so the pass is idempotent.
 */

/** The expression of `node` given the expressions of its operands (null for omitted ones), from its schema. */
function expressionOver(node: Node, args: readonly (Expr | null)[]): Expr | undefined {
  return getOpSchema(node.op)?.expression?.(node, args);
}

/** Whether the node is an elementwise op of float dtype `dtype` the expression language can hold. */
function isFusible(node: Node, dtype: DType): boolean {
  if (!getOpSchema(node.op)?.expression || node.outputs.length !== 1) return false;
  const out = node.outputs[0]!.type.dtype;
  return out === dtype && isFloatType(out);
}

/** Whether `v` (read by `consumer`) is computed inside the consumer's tree rather than passed in as an operand. */
function joinsTree(v: Value, consumer: Node, rewriter: PatternRewriter): boolean {
  const p = v.producer;
  if (!p || !isFusible(p, consumer.outputs[0]!.type.dtype)) return false;
  if (!rewriter.hasSingleUse(v, consumer)) return false;
  const at = consumer.inputs.indexOf(v);
  if (consumer.inputs.lastIndexOf(v) !== at) return false;
  // An expression may read one operand several times (softsign's x / (1 + |x|)); inlining there would compute it twice.
  const expr = nodeExpression(consumer);
  return expr !== undefined && operandReads(expr, at) === 1;
}

/** A literal for a one-element float constant, written as the shortest decimal of its stored precision. */
function literalOf(v: Value, dtype: DType): Expr | undefined {
  const t = v.data;
  if (!t || t.data.length !== 1) return undefined;
  const x = Number(t.data[0]);
  // A non-float constant (e.g. an i64 exponent) becomes a literal only when the operand dtype holds it exactly.
  if (!isFloatType(t.dtype) && Math.fround(x) !== x) return undefined;
  return exprLiteral(dtype === 'f64' || !Number.isFinite(x) ? x : Number(formatFloat32(x)));
}

interface Tree {
  expr: Expr;
  operands: Value[];
  /** IR nodes the tree replaces. */
  nodes: number;
}

/** Builds the expression of the tree rooted at `root`; undefined when some node cannot be expressed. */
function buildTree(root: Node, rewriter: PatternRewriter): Tree | undefined {
  const dtype = root.outputs[0]!.type.dtype;
  const operands: Value[] = [];
  let nodes = 0;
  const operandExpr = (v: Value): Expr | undefined => {
    if (v.type.dtype !== dtype) return undefined;
    let i = operands.indexOf(v);
    if (i < 0) i = operands.push(v) - 1;
    return exprOperand(i);
  };
  const build = (node: Node): Expr | undefined => {
    nodes++;
    const args: (Expr | null)[] = [];
    for (const v of node.inputs) {
      if (!v) {
        args.push(null);
        continue;
      }
      const e = joinsTree(v, node, rewriter) ? build(v.producer!) : (literalOf(v, dtype) ?? operandExpr(v));
      if (!e) return undefined;
      args.push(e);
    }
    return expressionOver(node, args);
  };
  const expr = build(root);
  return expr && { expr, operands, nodes };
}

const fuseTree: RewritePattern = {
  name: 'fuse-elementwise-tree',
  roots: registeredOps().filter((op) => getOpSchema(op)!.expression),
  rewrite(root, rewriter) {
    const out = root.outputs[0]!;
    if (!isFusible(root, out.type.dtype)) return false;
    // Only the top of a tree fuses; a node its consumer will absorb waits for it.
    const users = rewriter.users(out);
    if (users.length === 1 && isFusible(users[0]!, out.type.dtype) && joinsTree(out, users[0]!, rewriter)) return false;
    const tree = buildTree(root, rewriter);
    if (!tree || tree.operands.length === 0 || tree.nodes < 2 || expressionSize(tree.expr) < 2) return false;
    // The fused node's type must be the root's: broadcasting the operands gives the same shape.
    const shape = broadcastShapes(tree.operands.map((v) => v.type.shape));
    if (!shape || !sameType({ dtype: out.type.dtype, shape }, out.type)) return false;
    const attrs = { expression: formatExpression(tree.expr) };
    const [y] = rewriter.create('FusedElementwise', tree.operands, attrs, { name: root.name || undefined, outputs: [out.name] });
    replaceKeepingName(rewriter, root, y!);
    return true;
  },
};

export const fuseElementwise: Pass = {
  name: 'fuse-elementwise',
  description: 'fuse trees of single-use float elementwise ops into FusedElementwise nodes with an expression tree',
  run: (graph) => applyPatternsGreedily(graph, [fuseTree]),
};
