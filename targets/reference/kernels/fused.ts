import { numel, roundToDType, type DType, type Tensor } from '../../../ir/index.js';
import { parseExpression, type Expr } from '../../../ir/ops/expression.js';
import { resolveActivation, type Activation } from '../../../ir/ops/activations.js';
import { erf } from './math.js';
import { convKernel } from './nn/conv.js';
import { gemmKernel } from './nn/gemm.js';
import { floatData, floatResult } from './nn/common.js';
import { registerKernels, type KernelContext } from './registry.js';
import { broadcastIndexers } from './util.js';

/**
 * Reference kernels for the fused ops. FusedConv and FusedGemm run the Conv / Gemm kernels, then add the residual
 * and apply the activation in float64 before the one final rounding; FusedElementwise evaluates its expression
 * tree one whole array per tree node, so no closure runs per element.
 */

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function activationOf(ctx: KernelContext): Activation {
  try {
    return resolveActivation(ctx.attr<string>('activation'), ctx.attr<number[]>('activation_params'));
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/** Applies the activation to every element, in place (one loop per activation, chosen outside the loop). */
export function applyActivation(v: Float64Array, { name, params }: Activation): void {
  const n = v.length;
  switch (name) {
    case 'None':
      return;
    case 'Relu':
      for (let i = 0; i < n; i++) if (v[i]! < 0) v[i] = 0;
      return;
    case 'Clip': {
      const [lo, hi] = params as [number, number];
      for (let i = 0; i < n; i++) {
        const x = v[i]!;
        v[i] = x < lo ? lo : x > hi ? hi : x;
      }
      return;
    }
    case 'Sigmoid':
      for (let i = 0; i < n; i++) v[i] = sigmoid(v[i]!);
      return;
    case 'Tanh':
      for (let i = 0; i < n; i++) v[i] = Math.tanh(v[i]!);
      return;
    case 'SiLU':
      for (let i = 0; i < n; i++) v[i] = v[i]! * sigmoid(v[i]!);
      return;
    case 'HardSigmoid': {
      const [alpha, beta] = params as [number, number];
      for (let i = 0; i < n; i++) v[i] = Math.max(0, Math.min(1, alpha * v[i]! + beta));
      return;
    }
    case 'HardSwish':
      for (let i = 0; i < n; i++) v[i] = v[i]! * Math.max(0, Math.min(1, v[i]! / 6 + 0.5));
      return;
    case 'LeakyRelu': {
      const alpha = params[0]!;
      for (let i = 0; i < n; i++) if (v[i]! < 0) v[i] = alpha * v[i]!;
      return;
    }
    case 'Gelu':
      for (let i = 0; i < n; i++) v[i] = 0.5 * v[i]! * (1 + erf(v[i]! * SQRT_HALF));
      return;
    case 'GeluTanh':
      for (let i = 0; i < n; i++) v[i] = geluTanh(v[i]!);
      return;
    default:
      throw new Error(`activation ${name} has no reference kernel`);
  }
}

/** The base op's result plus the residual, activated, stored once in the result dtype. */
function epilogue(base: Tensor, residual: Tensor | null, activation: Activation, ctx: KernelContext): Tensor {
  if (residual === null && activation.name === 'None') return base;
  const v = Float64Array.from(floatData(base));
  if (residual) {
    if (residual.shape.join() !== base.shape.join()) ctx.fail(`residual Z [${residual.shape.join(',')}] does not match the output [${base.shape.join(',')}]`);
    const z = floatData(residual);
    for (let i = 0; i < v.length; i++) v[i]! += z[i]!;
  }
  applyActivation(v, activation);
  return floatResult(base.dtype, base.shape, v);
}

function fusedConv([x, w, b, z]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const activation = activationOf(ctx);
  const [y] = convKernel([x!, w!, b ?? null], ctx);
  return [epilogue(y!, z ?? null, activation, ctx)];
}

function fusedGemm([a, b, c]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const activation = activationOf(ctx);
  const [y] = gemmKernel([a!, b!, c ?? null], ctx);
  return [epilogue(y!, null, activation, ctx)];
}

// ---------------------------------------------------------------------------------------------------------
// FusedElementwise

/** Evaluates `expr` for all n output elements; operands arrive already gathered to the output shape. */
function evaluate(expr: Expr, operands: readonly Float64Array[], n: number, dtype: DType): Float64Array {
  if (expr.kind === 'operand') return operands[expr.index]!;
  if (expr.kind === 'literal') return new Float64Array(n).fill(roundToDType(dtype, expr.value));
  const args = expr.args.map((a) => evaluate(a, operands, n, dtype));
  const out = new Float64Array(n);
  const [a, b, c] = args as [Float64Array, Float64Array | undefined, Float64Array | undefined];
  switch (expr.op) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = a[i]! + b![i]!;
      break;
    case 'sub':
      for (let i = 0; i < n; i++) out[i] = a[i]! - b![i]!;
      break;
    case 'mul':
      for (let i = 0; i < n; i++) out[i] = a[i]! * b![i]!;
      break;
    case 'div':
      for (let i = 0; i < n; i++) out[i] = a[i]! / b![i]!;
      break;
    case 'pow':
      for (let i = 0; i < n; i++) out[i] = a[i]! ** b![i]!;
      break;
    case 'max':
      for (let i = 0; i < n; i++) out[i] = Number.isNaN(a[i]!) || Number.isNaN(b![i]!) ? NaN : Math.max(a[i]!, b![i]!);
      break;
    case 'min':
      for (let i = 0; i < n; i++) out[i] = Number.isNaN(a[i]!) || Number.isNaN(b![i]!) ? NaN : Math.min(a[i]!, b![i]!);
      break;
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -a[i]!;
      break;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[i]!);
      break;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(a[i]!);
      break;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(a[i]!);
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(a[i]!);
      break;
    case 'reciprocal':
      for (let i = 0; i < n; i++) out[i] = 1 / a[i]!;
      break;
    case 'floor':
      for (let i = 0; i < n; i++) out[i] = Math.floor(a[i]!);
      break;
    case 'ceil':
      for (let i = 0; i < n; i++) out[i] = Math.ceil(a[i]!);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(a[i]!);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(a[i]!);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = a[i]! < 0 ? 0 : a[i]!;
      break;
    case 'erf':
      for (let i = 0; i < n; i++) out[i] = erf(a[i]!);
      break;
    case 'clip':
      for (let i = 0; i < n; i++) out[i] = a[i]! < b![i]! ? b![i]! : a[i]! > c![i]! ? c![i]! : a[i]!;
      break;
    case 'leaky_relu':
      for (let i = 0; i < n; i++) out[i] = a[i]! < 0 ? b![i]! * a[i]! : a[i]!;
      break;
    case 'hard_sigmoid':
      for (let i = 0; i < n; i++) out[i] = Math.max(0, Math.min(1, b![i]! * a[i]! + c![i]!));
      break;
    case 'hard_swish':
      for (let i = 0; i < n; i++) out[i] = a[i]! * Math.max(0, Math.min(1, a[i]! / 6 + 0.5));
      break;
    case 'gelu':
      for (let i = 0; i < n; i++) out[i] = 0.5 * a[i]! * (1 + erf(a[i]! * SQRT_HALF));
      break;
    case 'gelu_tanh':
      for (let i = 0; i < n; i++) out[i] = geluTanh(a[i]!);
      break;
    default:
      throw new Error(`expression op '${expr.op}' has no reference kernel`);
  }
  return out;
}

function fusedElementwise(inputs: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const operands = inputs.map((t, i) => t ?? ctx.fail(`operand ${i} is missing`));
  let expr: Expr;
  try {
    expr = parseExpression(ctx.attr<string>('expression'));
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
  const dtype = operands[0]!.dtype;
  const { shape, index } = broadcastIndexers(operands.map((t) => t.shape));
  const n = numel(shape);
  // Gather every operand to the output shape once, so the tree evaluation is plain array loops.
  const gathered = operands.map((t, k) => {
    const src = floatData(t);
    const idx = index[k]!;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = src[idx[i]!]!;
    return out;
  });
  const values = evaluate(expr, gathered, n, dtype);
  return [floatResult(dtype, shape, values === gathered[0] ? Float64Array.from(values) : values)];
}

registerKernels({
  FusedConv: fusedConv,
  FusedGemm: fusedGemm,
  FusedElementwise: fusedElementwise,
});
