import { isRegisteredOp, registeredOps } from '../../ir/index.js';

/**
 * The ops edgec claims, derived from the IR's op registry: every registered op that is an ONNX op, plus
 * Constant, which the front end folds into graph constants and so never registers. Every ONNX conformance case
 * built only from these must pass on the reference interpreter; an op registered tomorrow is claimed (and gets
 * its row in docs/ops.md) with no edit here.
 *
 * The registry does not yet say which of its ops are ONNX's and which are the optimizer's own (fused and
 * lowered integer forms, which no ONNX model contains); until the schema carries that, they are named here.
 */
const OPTIMIZER_OPS: readonly string[] = [
  'FusedConv', 'FusedGemm', 'FusedElementwise', 'QuantizeF32', 'DequantizeF32', 'QRequantize', 'QConv', 'QMatMul', 'QAdd', 'QGlobalAveragePool',
];
const FOLDED_BY_THE_FRONT_END = ['Constant'];

for (const op of OPTIMIZER_OPS) if (!isRegisteredOp(op)) throw new Error(`edge-op-set: ${op} is no longer a registered op`);

export const EDGE_OP_SET: ReadonlySet<string> = new Set([...registeredOps().filter((op) => !OPTIMIZER_OPS.includes(op)), ...FOLDED_BY_THE_FRONT_END].sort());
