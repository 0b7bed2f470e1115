// Registers every reference kernel. Each family file calls registerKernels when imported.
import './elementwise.js';
import './nn.js';
import './tensor-ops.js';
import './reduce.js';
import './onnx-quantization.js';
import './quantized.js';
import './fused.js';
import './recurrent.js';
import './control-flow.js';

export { getKernel, kernelOps, kernelContext } from './registry.js';
export type { Kernel, KernelContext } from './registry.js';
