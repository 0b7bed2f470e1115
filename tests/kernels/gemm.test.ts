import { GEMM } from './cases/gemm.js';
import { runFamily } from './run-family.js';

runFamily(GEMM);
