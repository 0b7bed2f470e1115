import { describe, expect, it } from 'vitest';
import { randomTensor, seededRandom } from '../../compiler/io/random.js';
import { GraphBuilder, type Attributes, type Graph } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference } from './harness.js';

interface GemmCase {
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

function gemmGraph(g: GemmCase): () => Graph {
  return () => {
    const random = seededRandom(11);
    const b = new GraphBuilder('gemm');
    const operand = (name: string, shape: number[], constant?: boolean) =>
      constant ? b.constant(name, randomTensor('f32', shape, random)) : b.input(name, { dtype: 'f32', shape });
    const A = operand('a', g.a, g.constA);
    const B = operand('b', g.b, g.constB);
    const C = g.c ? operand('c', g.c, g.constC) : null;
    if (g.activation) {
      b.output(b.op('FusedGemm', [A, B, C], { ...(g.attrs ?? {}), activation: g.activation, activation_params: g.params ?? [] }, 'y'));
    } else {
      b.output(b.op('Gemm', [A, B, C], g.attrs ?? {}, 'y'));
    }
    return b.build();
  };
}

function matmulGraph(a: number[], bShape: number[], constB = false): () => Graph {
  return () => {
    const random = seededRandom(5);
    const b = new GraphBuilder('matmul');
    const A = b.input('a', { dtype: 'f32', shape: a });
    const B = constB ? b.constant('b', randomTensor('f32', bShape, random)) : b.input('b', { dtype: 'f32', shape: bShape });
    b.output(b.op('MatMul', [A, B], {}, 'y'));
    return b.build();
  };
}

describe('wasm Gemm', () => {
  it('plain products with tails in M, N and K; constant and runtime B', async () => {
    for (const [m, k, n] of [
      [4, 8, 8],
      [5, 7, 13],
      [1, 512, 1000],
      [2, 33, 17],
      [9, 600, 21],
    ] as [number, number, number][]) {
      await expectWasmMatchesReference(gemmGraph({ a: [m, k], b: [k, n], constB: true }));
      await expectWasmMatchesReference(gemmGraph({ a: [m, k], b: [k, n] }));
    }
  });

  it('transA / transB, constant and runtime, with alpha and beta', async () => {
    for (const transA of [0, 1]) {
      for (const transB of [0, 1]) {
        for (const constB of [false, true]) {
          await expectWasmMatchesReference(
            gemmGraph({
              a: transA ? [11, 6] : [6, 11],
              b: transB ? [10, 11] : [11, 10],
              c: [10],
              constB,
              constC: true,
              attrs: { transA, transB, alpha: 0.5, beta: 2 },
            }),
          );
        }
      }
    }
  });

  it('C broadcasts as scalar, row, column and full matrix', async () => {
    for (const c of [[1], [1, 1], [7], [1, 7], [5, 1], [5, 7]]) {
      await expectWasmMatchesReference(gemmGraph({ a: [5, 9], b: [9, 7], c, constB: true, attrs: { beta: 0.75 } }));
    }
    await expectWasmMatchesReference(gemmGraph({ a: [5, 9], b: [9, 7], c: [5, 7], constB: true, attrs: { beta: 0 } }));
  });

  it('A constant too (both operands weights)', async () => {
    const { error } = await expectWasmMatchesReference(gemmGraph({ a: [6, 10], b: [10, 5], c: [5], constA: true, constB: true, constC: true }));
    expect(error).toBeLessThan(1e-6);
  });

  for (const [activation, params] of [
    ['Relu', []],
    ['Clip', [-1, 1]],
    ['LeakyRelu', [0.2]],
    ['Sigmoid', []],
    ['Gelu', []],
    ['HardSwish', []],
  ] as [string, number[]][]) {
    it(`FusedGemm with ${activation}`, async () => {
      await expectWasmMatchesReference(gemmGraph({ a: [3, 20], b: [12, 20], c: [12], constB: true, constC: true, attrs: { transB: 1 }, activation, params }));
    });
  }

  it('rejects non-f32 operands with a reason', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'i32', shape: [2, 3] });
    const y = b.input('y', { dtype: 'i32', shape: [3, 2] });
    b.output(b.op('Gemm', [x, y, null], {}, 'z'));
    expect(unsupportedByWasm(b.build())[0]?.reason).toMatch(/only f32 Gemm/);
  });
});

describe('wasm MatMul', () => {
  it('2-D with constant and runtime B', async () => {
    await expectWasmMatchesReference(matmulGraph([7, 13], [13, 9], true));
    await expectWasmMatchesReference(matmulGraph([7, 13], [13, 9]));
  });

  it('batched A times shared weights folds batches into rows ([1,32,64] x [64,64])', async () => {
    await expectWasmMatchesReference(matmulGraph([1, 32, 64], [64, 64], true));
    await expectWasmMatchesReference(matmulGraph([2, 3, 5, 6], [6, 10]));
  });

  it('batched by batched, as attention ([1,4,32,16] x [1,4,16,32])', async () => {
    await expectWasmMatchesReference(matmulGraph([1, 4, 32, 16], [1, 4, 16, 32]));
    await expectWasmMatchesReference(matmulGraph([1, 4, 32, 32], [1, 4, 32, 16]));
  });

  it('broadcast batch dims in either operand', async () => {
    await expectWasmMatchesReference(matmulGraph([3, 1, 4, 5], [2, 5, 6]));
    await expectWasmMatchesReference(matmulGraph([4, 5], [3, 5, 7], true));
    await expectWasmMatchesReference(matmulGraph([2, 1, 3, 4], [1, 3, 4, 2]));
  });

  it('1-D operands', async () => {
    await expectWasmMatchesReference(matmulGraph([6], [6, 5], true));
    await expectWasmMatchesReference(matmulGraph([4, 6], [6]));
    await expectWasmMatchesReference(matmulGraph([9], [9]));
    await expectWasmMatchesReference(matmulGraph([2, 3, 6], [6]));
    await expectWasmMatchesReference(matmulGraph([6], [2, 6, 3]));
  });
});
