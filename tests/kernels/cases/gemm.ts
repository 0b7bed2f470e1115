import { family } from '../case.js';
import { nary } from './shapes.js';

/** Gemm / FusedGemm (transposes, alpha, beta, C broadcasts, run-time B) and MatMul (batch broadcast, 1-D). */
export const GEMM = family('gemm', [
  { name: 'Gemm transB alpha beta bias', build: (b) => b.output(b.op('Gemm', [b.input('a', [3, 20]), b.weights('w', [9, 20]), b.weights('c', [9])], { transB: 1, alpha: 0.5, beta: 2 }, 'y')) },
  { name: 'Gemm transB alpha beta bias 37x45', build: (b) => b.output(b.op('Gemm', [b.input('a', [37, 45]), b.weights('w', [33, 45]), b.weights('c', [33])], { transB: 1, alpha: 0.5, beta: 2 }, 'y')) },
  { name: 'Gemm transA full C', build: (b) => b.output(b.op('Gemm', [b.input('a', [20, 7]), b.weights('w', [20, 5]), b.weights('c', [7, 5])], { transA: 1 }, 'y')) },
  nary('Gemm run-time B', 'Gemm', [[8, 6], [6, 37]]),
  { name: 'FusedGemm gelu row bias', build: (b) => b.output(b.op('FusedGemm', [b.input('a', [2, 16]), b.weights('w', [16, 33]), b.weights('c', [1, 33])], { activation: 'Gelu' }, 'y')) },
  { name: 'FusedGemm transA leaky relu column bias', build: (b) => b.output(b.op('FusedGemm', [b.input('a', [20, 3]), b.weights('w', [20, 70]), b.weights('c', [3, 1])], { transA: 1, activation: 'LeakyRelu', activation_params: [0.1] }, 'y')) },
  nary('MatMul batched broadcast [2,1,5,7] x [3,7,4]', 'MatMul', [[2, 1, 5, 7], [3, 7, 4]]),
  nary('MatMul batched broadcast [2,3,5,7] x [3,7,40]', 'MatMul', [[2, 3, 5, 7], [3, 7, 40]]),
  nary('MatMul 1-D by 2-D', 'MatMul', [[7], [7, 3]]),
  nary('MatMul 1-D by 3-D', 'MatMul', [[7], [2, 7, 3]]),
  nary('MatMul 3-D by 2-D', 'MatMul', [[2, 9, 6], [6, 70]]),
]);
