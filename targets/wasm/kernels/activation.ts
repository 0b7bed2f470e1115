import { activationExpression, resolveActivation } from '../../../ir/ops/activations.js';
import { operandReads } from '../../../ir/ops/expression.js';
import binaryen from 'binaryen';
import type { FunctionBuilder } from '../dsl.js';
import { lowerExpression } from './elementwise/elementwise-f32.js';

/**
 * The FusedConv / FusedGemm activations in kernel epilogues: each is its expression (ir/ops/activations.ts)
 * lowered by the same f32x4 code as every elementwise op, with the params as the node's activation_params
 * (empty means the defaults). Use activationUnsupported(name, params) in check() first: apply* throws on bad input.
 */

type Expr = binaryen.ExpressionRef;

/** null when the activation can be emitted, else the reason (for a kernel's check()). */
export function activationUnsupported(activation: string, params: readonly number[]): string | null {
  try {
    resolveActivation(activation, params);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The activation applied to f32x4 x, evaluated once: read in place where the expression reads it once (every
 * activation but SiLU; no local needed), else stored in a local first.
 */
export function applyActivationV(fn: FunctionBuilder, activation: string, params: readonly number[], x: Expr): Expr {
  const expr = activationExpression(activation, params);
  if (expr.kind === 'operand') return x;
  if (operandReads(expr, 0) === 1) {
    let taken = false;
    return lowerExpression(fn, expr, [
      () => {
        // The f32x4 lowering asks for an operand once per use, except where an operator reuses an argument
        // (pow, clip by run-time bounds), which no activation has.
        if (taken) throw new Error(`the ${activation} activation read its operand twice`);
        taken = true;
        return x;
      },
    ]);
  }
  const held = fn.v128Local();
  return fn.m.block(null, [held.set(x), lowerExpression(fn, expr, [() => held.get()])], binaryen.v128);
}

/** The activation applied to one f32 (the vector code on a splat, so tails match SIMD bodies bit for bit). */
export function applyActivationS(fn: FunctionBuilder, activation: string, params: readonly number[], x: Expr): Expr {
  if (resolveActivation(activation, params).name === 'None') return x;
  return fn.m.f32x4.extract_lane(applyActivationV(fn, activation, params, fn.m.f32x4.splat(x)), 0);
}
