import { sameType, type Attributes, type Node, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { constantScalar, isFloatType, near, producedBy, replaceKeepingName } from './fusion-util.js';

/**
 * Recognizes GELU written out elementwise and replaces it by one Gelu op:
 *
 *   x * 0.5 * (1 + erf(x / sqrt(2)))                        (PyTorch's export; also erf(x * 0.70710678))
 *   x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))   -> Gelu{approximate = "tanh"}
 *
 * The three factors x, 0.5 and (1 + ...) may be multiplied in any order and grouping; every intermediate must be
 * read only inside the pattern (x itself is read twice, by the outer product and inside erf / tanh).
 */

const SQRT2 = Math.SQRT2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The single-use value's producer with the given op. */
function inner(v: Value | null, op: string, user: Node, rewriter: PatternRewriter): Node | undefined {
  const p = producedBy(v, [op]);
  return p && rewriter.hasSingleUse(v!, user) ? p : undefined;
}

/** The operands of a binary node as [non-constant, constant value] when one of them is a scalar constant. */
function withScalar(node: Node): [Value, number] | undefined {
  for (const i of [0, 1]) {
    const c = constantScalar(node.inputs[i]);
    if (c !== undefined && !node.inputs[1 - i]!.data) return [node.inputs[1 - i]!, c];
  }
  return undefined;
}

/** The factors of a product of up to three terms rooted at `mul` (nested Muls must be single-use). */
function productFactors(mul: Node, rewriter: PatternRewriter): Value[] {
  const out: Value[] = [];
  for (const v of mul.inputs) {
    const nested = inner(v, 'Mul', mul, rewriter);
    if (nested && !out.includes(v!)) out.push(...nested.inputs.map((u) => u!));
    else out.push(v!);
  }
  return out;
}

/** erf(x / sqrt 2) or erf(x * (1/sqrt 2)) inside `onePlus` = 1 + erf(...): returns x. */
function erfArgument(onePlus: Node, rewriter: PatternRewriter): Value | undefined {
  const split = withScalar(onePlus);
  if (!split || !near(split[1], 1)) return undefined;
  const erf = inner(split[0], 'Erf', onePlus, rewriter);
  if (!erf) return undefined;
  const scaled = producedBy(erf.inputs[0], ['Div', 'Mul']);
  if (!scaled || !rewriter.hasSingleUse(erf.inputs[0]!, erf)) return undefined;
  const s = withScalar(scaled);
  if (!s) return undefined;
  if (scaled.op === 'Div' && scaled.inputs[0] === s[0] && near(s[1], SQRT2)) return s[0];
  if (scaled.op === 'Mul' && near(s[1], 1 / SQRT2)) return s[0];
  return undefined;
}

/** x^3 as Pow(x, 3), x * (x * x) or (x * x) * x: returns x. */
function cubeOf(v: Value, user: Node, rewriter: PatternRewriter): Value | undefined {
  const pow = inner(v, 'Pow', user, rewriter);
  if (pow) return near(constantScalar(pow.inputs[1]), 3) && !pow.inputs[0]!.data ? pow.inputs[0]! : undefined;
  const mul = inner(v, 'Mul', user, rewriter);
  if (!mul) return undefined;
  for (const i of [0, 1]) {
    const x = mul.inputs[i]!;
    const square = inner(mul.inputs[1 - i], 'Mul', mul, rewriter);
    if (square && square.inputs[0] === x && square.inputs[1] === x) return x;
  }
  return undefined;
}

/** tanh(sqrt(2/pi) * (x + 0.044715 x^3)) inside `onePlus`: returns x. */
function tanhArgument(onePlus: Node, rewriter: PatternRewriter): Value | undefined {
  const split = withScalar(onePlus);
  if (!split || !near(split[1], 1)) return undefined;
  const tanh = inner(split[0], 'Tanh', onePlus, rewriter);
  const scaled = tanh && inner(tanh.inputs[0], 'Mul', tanh, rewriter);
  const s = scaled && withScalar(scaled);
  if (!s || !near(s[1], SQRT_2_OVER_PI, 1e-4)) return undefined;
  const sum = inner(s[0], 'Add', scaled!, rewriter);
  if (!sum) return undefined;
  for (const i of [0, 1]) {
    const x = sum.inputs[i]!;
    const term = inner(sum.inputs[1 - i], 'Mul', sum, rewriter);
    const t = term && withScalar(term);
    if (t && near(t[1], 0.044715, 1e-4) && cubeOf(t[0], term!, rewriter) === x) return x;
  }
  return undefined;
}

const gelu: RewritePattern = {
  name: 'recognize-gelu',
  roots: ['Mul'],
  rewrite(mul, rewriter) {
    const out = mul.outputs[0]!;
    if (!isFloatType(out.type.dtype)) return false;
    const factors = productFactors(mul, rewriter);
    if (factors.length !== 3) return false;
    const half = factors.findIndex((v) => near(constantScalar(v), 0.5));
    if (half < 0) return false;
    const rest = factors.filter((_, i) => i !== half);
    for (const i of [0, 1]) {
      const x = rest[i]!;
      const onePlusValue = rest[1 - i]!;
      const onePlus = producedBy(onePlusValue, ['Add']);
      if (!onePlus || x.data || !sameType(x.type, out.type)) continue;
      // The (1 + ...) factor is read once, by the Mul that holds it (the root or a nested one).
      if (rewriter.users(onePlusValue).length !== 1 || rewriter.graph.outputs.includes(onePlusValue)) continue;
      let approximate: string | undefined;
      if (erfArgument(onePlus, rewriter) === x) approximate = 'none';
      else if (tanhArgument(onePlus, rewriter) === x) approximate = 'tanh';
      if (!approximate) continue;
      const attrs: Attributes = approximate === 'tanh' ? { approximate } : {};
      const [g] = rewriter.create('Gelu', [x], attrs, { name: mul.name || undefined, outputs: [out.name] });
      replaceKeepingName(rewriter, mul, g!);
      return true;
    }
    return false;
  },
};

export const recognizeGelu: Pass = {
  name: 'recognize-gelu',
  description: 'replace the Erf (or tanh) decomposition of GELU by one Gelu op',
  run: (graph) => applyPatternsGreedily(graph, [gelu]),
};
