import { randomTensor } from '../../../compiler/io/random.js';
import type { Attributes } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';
import { nary } from './shapes.js';

interface GemmSpec {
  a: number[];
  b: number[];
  c?: number[];
  attrs?: Attributes;
  /** Which operands are constants (weights) rather than graph inputs. */
  constA?: boolean;
  constB?: boolean;
  constC?: boolean;
  activation?: string;
  params?: number[];
}

/** Gemm, or FusedGemm with an activation. */
function gemm(name: string, g: GemmSpec, options: Partial<KernelCase> = {}): KernelCase {
  return {
    name,
    ...options,
    build: (b) => {
      const operand = (n: string, shape: number[], constant?: boolean) => (constant ? b.weights(n, shape) : b.input(n, shape));
      const [A, B] = [operand('a', g.a, g.constA), operand('b', g.b, g.constB)];
      const C = g.c ? operand('c', g.c, g.constC) : null;
      if (g.activation) b.output(b.op('FusedGemm', [A, B, C], { ...(g.attrs ?? {}), activation: g.activation, activation_params: g.params ?? [] }, 'y'));
      else b.output(b.op('Gemm', [A, B, C], g.attrs ?? {}, 'y'));
    },
  };
}

/** MatMul of an input by an input or by a constant. */
function matmul(a: number[], bShape: number[], constB = false): KernelCase {
  return {
    name: `MatMul [${a}] x ${constB ? 'constant ' : ''}[${bShape}]`,
    build: (b) => b.output(b.op('MatMul', [b.input('a', a), constB ? b.weights('b', bShape) : b.input('b', bShape)], {}, 'y')),
  };
}

function gemmCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  // Plain products with tails in M, N and K; constant and run-time B.
  for (const [m, k, n] of [[4, 8, 8], [5, 7, 13], [1, 512, 1000], [2, 33, 17], [9, 600, 21]]) {
    cases.push(gemm(`Gemm ${m}x${k} by constant ${k}x${n}`, { a: [m!, k!], b: [k!, n!], constB: true }));
    cases.push(gemm(`Gemm ${m}x${k} by ${k}x${n}`, { a: [m!, k!], b: [k!, n!] }));
  }
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      for (const constB of [false, true]) {
        const attrs = { transA, transB, alpha: 0.5, beta: 2 };
        cases.push(gemm(`Gemm transA ${transA} transB ${transB}${constB ? ' constant B' : ''} alpha beta`, { a: transA ? [11, 6] : [6, 11], b: transB ? [10, 11] : [11, 10], c: [10], constB, constC: true, attrs }));
      }
    }
  }
  for (const c of [[1], [1, 1], [7], [1, 7], [5, 1], [5, 7]]) cases.push(gemm(`Gemm C [${c}] beta 0.75`, { a: [5, 9], b: [9, 7], c, constB: true, attrs: { beta: 0.75 } }));
  cases.push(gemm('Gemm C [5,7] beta 0', { a: [5, 9], b: [9, 7], c: [5, 7], constB: true, attrs: { beta: 0 } }));
  cases.push(gemm('Gemm constant A and B', { a: [6, 10], b: [10, 5], c: [5], constA: true, constB: true, constC: true }, { tolerance: { wasm: 1e-6 } }));
  for (const [activation, params] of [['Relu', []], ['Clip', [-1, 1]], ['LeakyRelu', [0.2]], ['Sigmoid', []], ['Gelu', []], ['HardSwish', []]] as [string, number[]][]) {
    cases.push(gemm(`FusedGemm transB ${activation}`, { a: [3, 20], b: [12, 20], c: [12], constB: true, constC: true, attrs: { transB: 1 }, activation, params }));
  }
  return cases;
}

const MATMULS: [number[], number[], boolean?][] = [
  [[7, 13], [13, 9], true],
  [[7, 13], [13, 9]],
  // Batched A times shared weights folds batches into rows.
  [[1, 32, 64], [64, 64], true],
  [[2, 3, 5, 6], [6, 10]],
  // Batched by batched, as attention.
  [[1, 4, 32, 16], [1, 4, 16, 32]],
  [[1, 4, 32, 32], [1, 4, 32, 16]],
  // Broadcast batch dims in either operand.
  [[3, 1, 4, 5], [2, 5, 6]],
  [[4, 5], [3, 5, 7], true],
  [[2, 1, 3, 4], [1, 3, 4, 2]],
  // 1-D operands.
  [[6], [6, 5], true],
  [[4, 6], [6]],
  [[9], [9]],
  [[2, 3, 6], [6]],
  [[6], [2, 6, 3]],
];

/** Gemm / FusedGemm (transposes, alpha, beta, C broadcasts, run-time B) and MatMul (batch broadcast, 1-D). */
export const GEMM = family('gemm', [
  ...gemmCases(),
  ...MATMULS.map(([a, b, constB]) => matmul(a, b, constB)),
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
  // f64: k summed in order like the reference, no fused multiply-add, so bit for bit.
  ...([
    [[5, 7], [7, 9]],
    [[2, 1, 3, 6], [3, 6, 4]],
    [[7], [2, 7, 1]],
  ] as [number[], number[]][]).map(([a, bShape]): KernelCase => ({
    name: `MatMul f64 [${a}] x [${bShape}]`,
    comparison: 'exact',
    build: (b) => b.output(b.op('MatMul', [b.input('a', { dtype: 'f64', shape: a }), b.input('b', { dtype: 'f64', shape: bShape })], {}, 'y')),
  })),
  // Halves computed in f32 (widened on load, each result rounded once): within an ulp of the half type.
  {
    name: 'MatMul f16 batched [2,5,7] x [7,9]',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -10 },
    build: (b) => b.output(b.op('MatMul', [b.input('a', { dtype: 'f16', shape: [2, 5, 7] }), b.input('b', { dtype: 'f16', shape: [7, 9] })], {}, 'y')),
  },
  {
    name: 'Gemm bf16 constant B and C transB',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -7 },
    build: (b) =>
      b.output(b.op('Gemm', [b.input('a', { dtype: 'bf16', shape: [6, 20] }), b.constant('w', randomTensor('bf16', [9, 20], b.random)), b.constant('c', randomTensor('bf16', [9], b.random))], { transB: 1, alpha: 0.5 }, 'y')),
  },
  // Half MatMul with broadcast batch dims and a 1-D operand (computed in f32, rounded once).
  {
    name: 'MatMul f16 broadcast batch [3,1,4,6] x [2,6,5]',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -10, webgpu: 2 ** -10 },
    build: (b) => b.output(b.op('MatMul', [b.input('a', { dtype: 'f16', shape: [3, 1, 4, 6] }), b.input('b', { dtype: 'f16', shape: [2, 6, 5] })], {}, 'y')),
  },
  {
    name: 'MatMul bf16 1-D by 3-D',
    comparison: 'elementwise',
    tolerance: { wasm: 2 ** -7, webgpu: 2 ** -7 },
    build: (b) => b.output(b.op('MatMul', [b.input('a', { dtype: 'bf16', shape: [7] }), b.input('b', { dtype: 'bf16', shape: [2, 7, 3] })], {}, 'y')),
  },
]);
