import { EdgecError, isStaticShape, registeredOps, type Node, type Tensor, type Value } from '../ir/index.js';
import type { PassContext } from './pass.js';
import type { PatternRewriter, RewritePattern } from './pattern.js';
import { tensorBytes } from './util-tensors.js';

/**
 * Folding a node whose operands are all constants into constants, shared by fold-constants and
 * simplify-shape-computations. The arithmetic comes from the evaluator in the PassContext (passes/ may not
 * import targets/).
 */
export type Evaluator = NonNullable<PassContext['evaluate']>;

/**
 * Ops never folded: DequantizeLinear of a constant would turn int8 weights back into f32 ones, undoing
 * quantization and quadrupling the model's size.
 */
const NEVER_FOLD = new Set(['DequantizeLinear']);

export interface FoldStats {
  folded: number;
  /** Nodes left alone because an output would exceed the size limit. */
  tooLarge: number;
  /** Nodes the evaluator could not compute (no kernel, or it threw). */
  failed: number;
}

export interface FoldOptions {
  evaluate: Evaluator;
  /** Largest folded constant, in bytes. */
  maxBytes: number;
  /** A further filter on the nodes to fold (e.g. only shape-sized results). */
  accept?: (node: Node) => boolean;
}

export function newFoldStats(): FoldStats {
  return { folded: 0, tooLarge: 0, failed: 0 };
}

/** Whether every given operand is a constant (and there is at least one). */
export function hasOnlyConstantOperands(node: Node): boolean {
  const present = node.inputs.filter((v): v is Value => v !== null);
  return present.length > 0 && present.every((v) => v.isConstant);
}

/** Bytes of the node's outputs when their shapes are static; undefined when some dim is symbolic. */
function staticOutputBytes(node: Node): number | undefined {
  let total = 0;
  for (const out of node.outputs) {
    if (!isStaticShape(out.type.shape)) return undefined;
    total = Math.max(total, tensorBytes({ dtype: out.type.dtype, shape: out.type.shape }));
  }
  return total;
}

/** The evaluated tensor fits where `out` was: same dtype, same rank, equal static dims. */
function fitsType(out: Value, t: Tensor): boolean {
  return (
    t.dtype === out.type.dtype &&
    t.shape.length === out.type.shape.length &&
    out.type.shape.every((d, i) => typeof d !== 'number' || d === t.shape[i])
  );
}

/**
 * Replaces `node` by constants holding `results`. A result that is one of the operand tensors themselves (an
 * Identity) reuses that operand instead of copying it. The new constants take over the names of the values
 * they replace, so folded graphs stay readable.
 */
export function replaceByConstants(node: Node, results: readonly Tensor[], rewriter: PatternRewriter): void {
  const renames: [Value, string][] = [];
  const values = node.outputs.map((out, i) => {
    const t = results[i]!;
    const operand = node.inputs.find((v) => v?.data === t);
    if (operand) return operand;
    // A kernel may return a view of an operand's data (Reshape): the new constant gets its own copy.
    const shared = node.inputs.some((v) => v?.data && v.data.data.buffer === t.data.buffer);
    const data = shared ? { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() } : t;
    const c = rewriter.constant(`${out.name}_folded`, data);
    renames.push([c, out.name]);
    return c;
  });
  rewriter.replace(node, values);
  if (!rewriter.contains(node)) for (const [c, name] of renames) c.name = name;
}

/**
 * Evaluates a node whose operands are all constants; returns its outputs, or undefined (and counts why) when
 * it cannot or should not be folded.
 */
export function evaluateForFolding(node: Node, options: FoldOptions, stats: FoldStats): Tensor[] | undefined {
  const known = staticOutputBytes(node);
  if (known !== undefined && known > options.maxBytes) {
    stats.tooLarge++;
    return undefined;
  }
  let results: Tensor[] | undefined;
  try {
    results = options.evaluate(node, node.inputs.map((v) => v?.data ?? null));
  } catch {
    results = undefined;
  }
  if (!results || results.length < node.outputs.length || node.outputs.some((out, i) => !fitsType(out, results![i]!))) {
    stats.failed++;
    return undefined;
  }
  if (results.some((t) => tensorBytes(t) > options.maxBytes)) {
    stats.tooLarge++;
    return undefined;
  }
  return results;
}

/** The pattern that folds any node with only constant operands (outputs of the graph excepted: they keep a producer). */
export function foldConstantOperandsPattern(options: FoldOptions, stats: FoldStats): RewritePattern {
  // A node that cannot be folded is not retried on every sweep of the greedy driver.
  const rejected = new Set<Node>();
  return {
    name: 'fold-constant-operands',
    roots: registeredOps().filter((op) => !NEVER_FOLD.has(op)),
    rewrite(node, rewriter) {
      if (rejected.has(node) || !hasOnlyConstantOperands(node)) return false;
      if (node.outputs.some((out) => rewriter.graph.outputs.includes(out))) return false;
      if (options.accept && !options.accept(node)) return false;
      const results = evaluateForFolding(node, options, stats);
      if (!results) {
        rejected.add(node);
        return false;
      }
      replaceByConstants(node, results, rewriter);
      stats.folded++;
      return true;
    },
  };
}

/** Parses a non-negative integer pass option. */
export function byteLimitOption(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new EdgecError('USAGE', `${what} must be a non-negative integer, got '${value}'`);
  return n;
}
