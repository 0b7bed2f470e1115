import { getOpSchema, registeredOps } from '../../ir/index.js';

/**
 * The ops edgec claims, derived from the IR's op registry: every registered op that is an ONNX op, plus
 * Constant, which the front end folds into graph constants and so never registers. Every ONNX conformance case
 * built only from these must pass on the reference interpreter; an op registered tomorrow is claimed (and gets
 * its row in docs/ops.md) with no edit here; edgec's own ops (OpSchema.internal) are not claimed.
 */
const FOLDED_BY_THE_FRONT_END = ['Constant'];

export const EDGE_OP_SET: ReadonlySet<string> = new Set([...registeredOps().filter((op) => !getOpSchema(op)!.internal), ...FOLDED_BY_THE_FRONT_END].sort());
