import { getOpSchema, nodeExpression, opTraits, registeredOps, type Node, type Value } from '../../../ir/index.js';
import type { Expr } from '../../../ir/ops/expression.js';
import { defineExpressionHelpers, lowerExpression, unsupportedExpressionOp } from '../expression.js';
import type { CEmitContext, RvvKernel } from '../kernel.js';
import { emitBroadcastStrips } from './broadcast-strips.js';
import { checkTyped, emitTyped } from './elementwise-typed.js';

/**
 * Elementwise ops and FusedElementwise. On f32 every op whose schema gives the expression it computes (Add,
 * Relu, Clip...) is lowered through the one expression tree of ir/ops/expression.ts on LMUL=4 vectors; Pow's
 * integer exponent is converted to f32 on load. Other element types, the comparisons and Where run in
 * elementwise-typed.ts. The broadcast loop nest is broadcast-strips.ts: each strip reads every operand
 * before it writes, so plan-memory may put the result over a same-shaped operand.
 */

/** The node's expression, or undefined when its attributes have none. */
function expressionOf(node: Node): Expr | undefined {
  return nodeExpression(node);
}

/** Loads of an f32 Pow's integer exponent, converted to f32 (the reference's Number(y)). */
const EXPONENT_LOADS: Readonly<Record<string, (p: string) => string>> = {
  i8: (p) => `__riscv_vfcvt_f_x_v_f32m4(__riscv_vsext_vf4_i32m4(__riscv_vle8_v_i8m1(${p}, vl), vl), vl)`,
  u8: (p) => `__riscv_vfcvt_f_xu_v_f32m4(__riscv_vzext_vf4_u32m4(__riscv_vle8_v_u8m1(${p}, vl), vl), vl)`,
  i16: (p) => `__riscv_vfcvt_f_x_v_f32m4(__riscv_vsext_vf2_i32m4(__riscv_vle16_v_i16m2(${p}, vl), vl), vl)`,
  u16: (p) => `__riscv_vfcvt_f_xu_v_f32m4(__riscv_vzext_vf2_u32m4(__riscv_vle16_v_u16m2(${p}, vl), vl), vl)`,
  i32: (p) => `__riscv_vfcvt_f_x_v_f32m4(__riscv_vle32_v_i32m4(${p}, vl), vl)`,
  u32: (p) => `__riscv_vfcvt_f_xu_v_f32m4(__riscv_vle32_v_u32m4(${p}, vl), vl)`,
  i64: (p) => `__riscv_vfncvt_f_x_w_f32m4(__riscv_vle64_v_i64m8(${p}, vl), vl)`,
  u64: (p) => `__riscv_vfncvt_f_xu_w_f32m4(__riscv_vle64_v_u64m8(${p}, vl), vl)`,
};

/** Whether the node runs on the f32 expression path: f32 data and result, or Pow of f32 by an integer. */
function onF32Path(node: Node): boolean {
  if (node.op === 'Where' || node.outputs[0]?.type.dtype !== 'f32') return false;
  return node.inputs.every((v, i) => !v || v.type.dtype === 'f32' || (node.op === 'Pow' && i === 1 && EXPONENT_LOADS[v.type.dtype] !== undefined));
}

function emitElementwise(node: Node, ctx: CEmitContext): string {
  const expr = expressionOf(node);
  if (!onF32Path(node)) return emitTyped(node, expr, ctx);
  if (!expr) throw new Error(`${node.op} has no expression for these attributes`);
  defineExpressionHelpers(expr, ctx.helper);
  const inputs = node.inputs.filter((v): v is Value => v !== null);
  // The expression numbers operands by input position; the loads below number the inputs present.
  let present = 0;
  const operands = node.inputs.map((v) => ({ vector: v ? `v${present++}` : '' }));
  const types = inputs.map((v) => (v.type.dtype === 'f32' ? 'float' : `${v.type.dtype[0] === 'u' ? 'uint' : 'int'}${v.type.dtype.slice(1)}_t`));
  return emitBroadcastStrips(inputs, node.outputs[0]!, ctx, {
    operandTypes: types,
    resultType: 'float',
    vset: 'VSET',
    load: (k, broadcast) => {
      const convert = EXPONENT_LOADS[inputs[k]!.type.dtype];
      if (convert) return `vf v${k} = ${broadcast ? `VSPLAT((float)s${k}, vl)` : convert(`q${k} + j`)};`;
      return `vf v${k} = ${broadcast ? `VSPLAT(s${k}, vl)` : `VLD(q${k} + j, vl)`};`;
    },
    store: `VST(yo + j, ${lowerExpression(expr, operands)}, vl);`,
  });
}

export const elementwiseKernels: RvvKernel = {
  ops: registeredOps().filter((op) => getOpSchema(op)!.expression || opTraits(op).elementwise === 'broadcast'),
  check(node) {
    if (node.outputs.length !== 1) return 'exactly one result expected';
    let expr: Expr | undefined;
    try {
      expr = expressionOf(node);
    } catch (e) {
      return (e as Error).message;
    }
    if (!onF32Path(node)) return checkTyped(node, expr);
    return expr ? unsupportedExpressionOp(expr) : `${node.op} has no expression for these attributes`;
  },
  emit: emitElementwise,
};
