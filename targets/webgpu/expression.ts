import { activationExpression } from '../../ir/ops/activations.js';
import { expressionOps, type Expr } from '../../ir/ops/expression.js';
import { f32Literal } from './wgsl.js';

/**
 * Lowering of the IR's elementwise expression trees (FusedElementwise, and every plain elementwise op through
 * the same lowering fuse-elementwise uses) to WGSL f32 expressions. Functions WGSL lacks or leaves undefined
 * where ONNX defines them (erf, pow of negative bases, NaN-propagating max/min, tanh far from 0) come from
 * EXPRESSION_PRELUDE, which every shader using expressions includes.
 */
export const EXPRESSION_PRELUDE = `
fn e_erf(x: f32) -> f32 {
  // Abramowitz and Stegun 7.1.26: |error| < 1.5e-7.
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return select(y, -y, x < 0.0);
}
fn e_tanh(x: f32) -> f32 {
  // tanh(+-10) is +-1 in f32; clamping keeps exp-based implementations away from inf/inf.
  return tanh(clamp(x, -10.0, 10.0));
}
fn e_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  let r = pow(abs(x), y);
  if (x >= 0.0) { return r; }
  if (floor(y) != y) { return f32_nan(); }
  let odd = abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  return select(r, -r, odd);
}
fn e_max(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, f32_is_nan(a) || f32_is_nan(b)); }
fn e_min(a: f32, b: f32) -> f32 { return select(min(a, b), a + b, f32_is_nan(a) || f32_is_nan(b)); }
// WGSL leaves log and sqrt of negative numbers indeterminate; ONNX (IEEE) gives NaN.
fn e_log(x: f32) -> f32 { return select(log(x), f32_nan(), x < 0.0); }
fn e_sqrt(x: f32) -> f32 { return select(sqrt(x), f32_nan(), x < 0.0); }
// x < 0 ? 0 : x: NaN passes (WGSL's max leaves NaN indeterminate).
fn e_relu(x: f32) -> f32 { return select(x, 0.0, x < 0.0); }
fn e_sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// max then min, as numpy and ONNX: with lo > hi every value becomes hi. NaN passes through.
fn e_clip(x: f32, lo: f32, hi: f32) -> f32 { let y = select(x, lo, x < lo); return select(y, hi, y > hi); }
fn e_gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + e_erf(x * 0.70710678118654752)); }
fn e_gelu_tanh(x: f32) -> f32 { return 0.5 * x * (1.0 + e_tanh(0.79788456080286536 * (x + 0.044715 * x * x * x))); }
`;

const CALLS: Record<string, (a: string[]) => string> = {
  add: ([a, b]) => `(${a} + ${b})`,
  sub: ([a, b]) => `(${a} - ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  div: ([a, b]) => `(${a} / ${b})`,
  pow: ([a, b]) => `e_pow(${a}, ${b})`,
  max: ([a, b]) => `e_max(${a}, ${b})`,
  min: ([a, b]) => `e_min(${a}, ${b})`,
  neg: ([a]) => `(-${a})`,
  abs: ([a]) => `abs(${a})`,
  exp: ([a]) => `exp(${a})`,
  log: ([a]) => `e_log(${a})`,
  sqrt: ([a]) => `e_sqrt(${a})`,
  reciprocal: ([a]) => `(1.0 / ${a})`,
  floor: ([a]) => `floor(${a})`,
  ceil: ([a]) => `ceil(${a})`,
  tanh: ([a]) => `e_tanh(${a})`,
  sigmoid: ([a]) => `e_sigmoid(${a})`,
  relu: ([a]) => `e_relu(${a})`,
  erf: ([a]) => `e_erf(${a})`,
  clip: ([x, lo, hi]) => `e_clip(${x}, ${lo}, ${hi})`,
  leaky_relu: ([x, alpha]) => `select(${x}, ${alpha} * ${x}, ${x} < 0.0)`,
  // e_clip, not clamp: WGSL leaves clamp of NaN indeterminate.
  hard_sigmoid: ([x, alpha, beta]) => `e_clip(${alpha} * ${x} + ${beta}, 0.0, 1.0)`,
  hard_swish: ([x]) => `(${x} * clamp(${x} / 6.0 + 0.5, 0.0, 1.0))`,
  gelu: ([x]) => `e_gelu(${x})`,
  gelu_tanh: ([x]) => `e_gelu_tanh(${x})`,
};

/** Whether every operator of the tree has a WGSL lowering (all of the IR's do; this guards additions). */
export function unsupportedExpressionOp(expr: Expr): string | null {
  return [...expressionOps(expr)].find((op) => !CALLS[op]) ?? null;
}

/**
 * The WGSL text of an expression. `operand(i)` is the text reading operand i (it should be a simple name: an
 * operand read several times is repeated). Arguments read more than once by an operator are simple names or
 * literals only when the caller binds them; the tree's own sub-expressions are pure, so repeating them is correct.
 */
export function lowerExpression(expr: Expr, operand: (index: number) => string): string {
  if (expr.kind === 'operand') return operand(expr.index);
  if (expr.kind === 'literal') return f32Literal(expr.value);
  return CALLS[expr.op]!(expr.args.map((a) => lowerExpression(a, operand)));
}

/** WGSL applying a node's activation to the f32 expression `value` (a simple name: it may be read twice). */
export function applyActivation(name: string, params: readonly number[], value: string): string {
  return lowerExpression(activationExpression(name, params), () => value);
}

/** null when a FusedConv / FusedGemm node's activation has a lowering, else why not. */
export function activationProblem(node: { op: string }, activation: () => { name: string; params: number[] }): string | null {
  try {
    const { name, params } = activation();
    activationExpression(name, params);
    return null;
  } catch (e) {
    return `${node.op}: ${(e as Error).message}`;
  }
}
