import { getAttr, sameType, type Node, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { constantScalar, isFloatType, producedBy, tensorOf, values, replaceKeepingName } from './fusion-util.js';

/**
 * Recognizes layer normalization written out over the last axis and replaces it by LayerNormalization:
 *
 *   mean = ReduceMean(x, [-1]);  d = x - mean;  var = ReduceMean(d^2 | d*d, [-1])
 *   n = d / Sqrt(var + eps);  [y = n * gamma];  [y = y + beta]
 *
 * Anchored at the Div; it then extends forward over a Mul by a constant gamma and an Add of a constant beta that
 * vary only along the last axis. Every intermediate must be read only inside the pattern.
 */

/** The single-use value's producer with one of the ops. */
function inner(v: Value | null | undefined, ops: readonly string[], user: Node, rewriter: PatternRewriter): Node | undefined {
  const p = producedBy(v, ops);
  return p && rewriter.hasSingleUse(v!, user) ? p : undefined;
}

/** Whether the node is ReduceMean over exactly the last axis with keepdims. */
function isLastAxisMean(node: Node | undefined, rank: number): boolean {
  if (!node || node.op !== 'ReduceMean' || getAttr<number>(node, 'keepdims') !== 1) return false;
  const axes = node.inputs[1]?.data;
  if (!axes || axes.data.length !== 1) return false;
  const a = Number(axes.data[0]);
  return a === -1 || a === rank - 1;
}

/** A constant's values when it varies only along the last axis of a rank-`rank` tensor with last dim d. */
function lastAxisVector(c: Value, rank: number, d: number): number[] | undefined {
  const t = c.data;
  if (!t || t.shape.length > rank) return undefined;
  const v = values(t);
  if (v.length === 1) return new Array<number>(d).fill(v[0]!);
  const shape = t.shape;
  if (shape[shape.length - 1] !== d || shape.slice(0, -1).some((s) => s !== 1)) return undefined;
  return v;
}

/** The constant operand of a binary node and the other operand, when exactly one is constant. */
function splitConstant(node: Node, v: Value): Value | undefined {
  const other = node.inputs[0] === v ? node.inputs[1] : node.inputs[0];
  return other?.data && other !== v ? other : undefined;
}

const layerNorm: RewritePattern = {
  name: 'recognize-layernorm',
  roots: ['Div'],
  rewrite(div, rewriter) {
    const [d, sd] = div.inputs as [Value, Value];
    const sub = producedBy(d, ['Sub']);
    if (!sub || !isFloatType(d.type.dtype)) return false;
    const [x, meanValue] = sub.inputs as [Value, Value];
    const rank = x.type.shape.length;
    const last = x.type.shape[rank - 1];
    if (rank < 1 || typeof last !== 'number' || !sameType(x.type, d.type)) return false;
    if (!isLastAxisMean(inner(meanValue, ['ReduceMean'], sub, rewriter), rank) || meanValue.producer!.inputs[0] !== x) return false;

    // denominator: Sqrt(Add(ReduceMean(d^2), eps))
    const sqrt = inner(sd, ['Sqrt'], div, rewriter);
    const addEps = sqrt && inner(sqrt.inputs[0], ['Add'], sqrt, rewriter);
    if (!addEps) return false;
    const epsValue = addEps.inputs.find((v) => v?.data);
    const variance = addEps.inputs.find((v) => !v?.data);
    const eps = constantScalar(epsValue);
    const varMean = inner(variance, ['ReduceMean'], addEps, rewriter);
    if (eps === undefined || !isLastAxisMean(varMean, rank)) return false;
    const square = inner(varMean!.inputs[0], ['Pow', 'Mul'], varMean!, rewriter);
    if (!square || square.inputs[0] !== d) return false;
    if (square.op === 'Pow' ? constantScalar(square.inputs[1]) !== 2 : square.inputs[1] !== d) return false;
    // d is read by the square and the Div only.
    const dUsers = rewriter.users(d);
    if (dUsers.length !== 2 || !dUsers.includes(square) || !dUsers.includes(div) || rewriter.graph.outputs.includes(d)) return false;

    // Extend forward over * gamma and + beta.
    let end: Node = div;
    let gamma: [number[], Value] | undefined;
    let beta: [number[], Value] | undefined;
    const follow = (op: string): [Node, [number[], Value]] | undefined => {
      const out = end.outputs[0]!;
      const users = rewriter.users(out);
      if (users.length !== 1 || users[0]!.op !== op || rewriter.graph.outputs.includes(out)) return undefined;
      const next = users[0]!;
      const c = splitConstant(next, out);
      const vec = c && lastAxisVector(c, rank, last);
      return vec && sameType(next.outputs[0]!.type, x.type) ? [next, [vec, c!]] : undefined;
    };
    const scaled = follow('Mul');
    if (scaled) [end, gamma] = scaled;
    const shifted = follow('Add');
    if (shifted) [end, beta] = shifted;

    // A constant already of shape [D] is used as it is; others are reshaped (or, for gamma, made of ones).
    const dtype = x.type.dtype;
    const asVector = (found: [number[], Value] | undefined, base: string, fill: number): Value =>
      found && found[1].type.shape.length === 1 && found[1].type.shape[0] === last
        ? found[1]
        : rewriter.constant(`${x.name}_${base}`, tensorOf(dtype, [last], found ? found[0] : new Array<number>(last).fill(fill)));
    const scale = asVector(gamma, 'ln_scale', 1);
    const bias = beta ? asVector(beta, 'ln_bias', 0) : null;
    const attrs = { axis: -1, epsilon: eps };
    const [y] = rewriter.create('LayerNormalization', [x, scale, bias], attrs, { name: end.name || undefined, outputs: [end.outputs[0]!.name] });
    replaceKeepingName(rewriter, end, y!);
    return true;
  },
};

export const recognizeLayernorm: Pass = {
  name: 'recognize-layernorm',
  description: 'replace ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div (* gamma + beta) over the last axis by LayerNormalization',
  run: (graph) => applyPatternsGreedily(graph, [layerNorm]),
};
