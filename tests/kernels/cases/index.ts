import type { KernelFamily } from '../case.js';
import { CAST } from './cast.js';
import { CONV } from './conv.js';
import { CONV_TRANSPOSE } from './conv-transpose.js';
import { ELEMENTWISE } from './elementwise.js';
import { GEMM } from './gemm.js';
import { MOVEMENT } from './movement.js';
import { NORM } from './norm.js';
import { ONNX_QUANTIZATION } from './onnx-quantization.js';
import { POOL } from './pool.js';
import { QUANTIZED } from './quantized.js';
import { REDUCE } from './reduce.js';
import { RESIZE } from './resize.js';

/** Every family of the corpus, in the support matrix's order. */
export const FAMILIES: readonly KernelFamily[] = [CONV, CONV_TRANSPOSE, GEMM, POOL, ELEMENTWISE, REDUCE, NORM, RESIZE, MOVEMENT, QUANTIZED, CAST, ONNX_QUANTIZATION];
