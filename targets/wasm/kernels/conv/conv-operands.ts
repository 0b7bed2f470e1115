import type binaryen from 'binaryen';
import { getAttr, type Node, type Value } from '../../../../ir/index.js';
import type { FunctionBuilder } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { floatBytes, packA, type EpilogueTerm } from '../gemm/gemm-core.js';

type Expr = binaryen.ExpressionRef;

/**
 * What every f32 convolution strategy (GEMM, depthwise, Winograd, 3-D) shares: the GEMM register tile
 * (CONV_MR output channels × CONV_NR pixels), the fused activation of a node, the kernel function's
 * parameters (P: x, w, bias, z, y, scratch) and their addresses, the bias and residual epilogue terms, and
 * the constant weights packed into CONV_MR-row panels. Its own module, so the strategies import it and
 * conv.ts imports the strategies, with no cycle.
 */

export const CONV_MR = 4;
export const CONV_NR = 8;

export interface ConvActivation {
  name: string;
  params: readonly number[];
}

export function activationOf(node: Node): ConvActivation {
  if (node.op !== 'FusedConv' && node.op !== 'FusedGemm') return { name: 'None', params: [] };
  return { name: getAttr<string>(node, 'activation'), params: getAttr<number[]>(node, 'activation_params') };
}

/** Which optional operands a conv call has (part of its kernel's plan). */
export interface ConvTerms {
  hasBias: boolean;
  hasZ: boolean;
}

/** Operand addresses of a conv call: x, w (packed or plain), bias, z, y, scratch (0 when absent). */
export interface ConvCall extends ConvTerms {
  args: number[];
}

export function convOperands(node: Node, ctx: EmitContext, w: number, scratchBytes: number): ConvCall {
  const [x, , b, z] = node.inputs;
  return {
    args: [ctx.addressOf(x!), w, b ? ctx.addressOf(b) : 0, z ? ctx.addressOf(z) : 0, ctx.addressOf(node.outputs[0]!), scratchBytes > 0 ? ctx.scratch(scratchBytes) : 0],
    hasBias: !!b,
    hasZ: !!z,
  };
}

export const P = { x: 0, w: 1, bias: 2, z: 3, y: 4, scratch: 5 } as const;

/** Epilogue terms of a conv whose output rows are channels: bias per row, residual Z like the output. */
export function convTerms(fn: FunctionBuilder, call: ConvTerms, biasAt: () => Expr, zAt: () => Expr, zRow: number): EpilogueTerm[] {
  const terms: EpilogueTerm[] = [];
  if (call.hasBias) terms.push({ kind: 'row', scale: 1, addr: biasAt });
  if (call.hasZ) terms.push({ kind: 'matrix', scale: 1, row: zRow, addr: zAt });
  return terms;
}

/**
 * Where the GEMM reads the weights: constant weights packed per group into panels of CONV_MR output channels
 * (placed once per weight), run-time weights as they are.
 */
export function convWeightsAddress(w: Value, g: { group: number; Mg: number; K: number }, ctx: EmitContext): number {
  if (!w.data) return ctx.addressOf(w);
  const data = w.data.data as Float32Array;
  const panelRows = Math.ceil(g.Mg / CONV_MR) * CONV_MR;
  const parts = new Float32Array(g.group * panelRows * g.K);
  for (let grp = 0; grp < g.group; grp++) {
    parts.set(packA(data.subarray(grp * g.Mg * g.K, (grp + 1) * g.Mg * g.K), g.Mg, g.K, g.K, 1, CONV_MR), grp * panelRows * g.K);
  }
  return ctx.placeData(`conv-packed-w:${w.name}:${CONV_MR}`, floatBytes(parts));
}
