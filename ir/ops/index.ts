// Registers every IR op. Each family file calls registerOp for its ops when imported.
import './elementwise.js';
import './nn.js';
import './tensor-ops.js';
import './reduce.js';
import './onnx-quantization.js';
import './quantized.js';
import './fused.js';
import './recurrent.js';
import './control-flow.js';

export {
  registerOp,
  getOpSchema,
  isRegisteredOp,
  registeredOps,
  getAttr,
  resolvedAttrs,
  inferNodeTypes,
  opTraits,
  shapeOperands,
  nodeExpression,
  nodeActivation,
} from './registry.js';
export type { AttrSpec, AttrType, InferContext, OpSchema, OpTraits, OperandSpec } from './registry.js';
export { loopTripCount, scanAttr, scanLayout, type ScanLayout } from './control-flow.js';
