import { ONNX_QUANTIZATION } from './cases/onnx-quantization.js';
import { runFamily } from './run-family.js';

runFamily(ONNX_QUANTIZATION);
