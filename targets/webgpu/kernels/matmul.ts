import { getAttr, type Node, type Value } from '../../../ir/index.js';
import { activationProblem, applyActivation, EXPRESSION_PRELUDE } from '../expression.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, f32Literal, rowMajorStrides, stridedIndex, u32Literal as u } from '../wgsl.js';
import { gemmDispatch } from './gemm-core.js';
import { needsF32 } from './common.js';
import { CAST_PRELUDE } from './cast.js';
import { halfOperandsProblem, involvesHalf, narrowing, widening } from './half.js';
import { outputKernel } from './quantized-wgsl.js';

/**
 * MatMul (numpy semantics: 1-D operands, broadcast batch dims) and Gemm / FusedGemm (transposes, alpha,
 * beta, a bias broadcast to [M, N], an activation), both on the tiled GEMM; f16 / bf16 MatMul by a direct
 * dot product per element, in f32.
 */

/** A WGSL statement `let <name> = ...` giving the element offset of batch `b` of an operand with these batch dims. */
function batchBase(name: string, outBatch: readonly number[], operandBatch: readonly number[], matrix: number): string {
  const lead = outBatch.length - operandBatch.length;
  const strides = rowMajorStrides(operandBatch);
  const src = outBatch.map((_, a) => (a < lead || operandBatch[a - lead] === 1 ? 0 : strides[a - lead]! * matrix));
  return stridedIndex(name, 'b', outBatch, src);
}

/** MatMul's problem: batch dims of the result and each operand, and the matrix sizes (1-D operands as matrices). */
function matMulShape(node: Node) {
  const [a, b] = [node.inputs[0]!, node.inputs[1]!];
  const [aShape, bShape] = [shapeOf(a), shapeOf(b)];
  const [M, K] = (aShape.length === 1 ? [1, aShape[0]!] : aShape.slice(-2)) as [number, number];
  const N = bShape.length === 1 ? 1 : bShape[bShape.length - 1]!;
  const [aBatch, bBatch] = [aShape.slice(0, -2), bShape.slice(0, -2)];
  return { M, K, N, aBatch, bBatch, outBatch: shapeOf(node.outputs[0]!).slice(0, Math.max(aBatch.length, bBatch.length)) };
}

/**
 * f16 / bf16 MatMul as the reference computes it: operands widened to f32, the f32 dot product, the result
 * rounded once (half.ts); one invocation per output word (two halves), each element a dot product over K.
 */
function emitHalfMatMul(node: Node, ctx: GpuEmitContext): Dispatch {
  const { M, K, N, aBatch, bBatch, outBatch } = matMulShape(node);
  const out = node.outputs[0]!;
  const fn = `${CAST_PRELUDE}
${widening(ctx, 'ld_a', node.inputs[0]!)}
${widening(ctx, 'ld_b', node.inputs[1]!)}
fn element(o: u32) -> ${out.type.dtype === 'f32' ? 'f32' : 'u32'} {
  let n = o % ${u(N)};
  let m = (o / ${u(N)}) % ${u(M)};
  let b = o / ${u(M * N)};
  ${batchBase('abase', outBatch, aBatch, M * K)}
  ${batchBase('bbase', outBatch, bBatch, K * N)}
  var acc = 0.0;
  for (var k = 0u; k < ${u(K)}; k = k + 1u) {
    acc = fma(ld_a(abase + m * ${u(K)} + k), ld_b(bbase + k * ${u(N)} + n), acc);
  }
  return ${narrowing(out.type.dtype, 'acc')};
}`;
  return outputKernel(ctx, out, product(shapeOf(out)), fn);
}

function emitMatMul(node: Node, ctx: GpuEmitContext) {
  const [a, b] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const aShape = shapeOf(a);
  const bShape = shapeOf(b);
  // 1-D operands: A as a row [1, K], B as a column [K, 1]; the result's layout is the same without those axes.
  const aMat = aShape.length === 1 ? [1, aShape[0]!] : aShape.slice(-2);
  const bMat = bShape.length === 1 ? [bShape[0]!, 1] : bShape.slice(-2);
  // With an unbatched B (weights, typically), A's batch dims fold into its rows: one GEMM of batch x M rows
  // instead of `batch` GEMMs of M rows (a 32-row tile would mostly idle for M = 1).
  const fold = bShape.length <= 2 && aShape.length > 2;
  const [M, K] = (fold ? [product(aShape.slice(0, -1)), aShape[aShape.length - 1]!] : aMat) as [number, number];
  const N = bMat[1]!;
  const aBatch = fold ? [] : aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const outBatch = fold ? [] : shapeOf(out).slice(0, Math.max(aBatch.length, bBatch.length));
  const batch = product(outBatch);
  const [la, lb, lo] = [ctx.locate(a), ctx.locate(b), ctx.locate(out)];
  return gemmDispatch({
    batch,
    M,
    N,
    K,
    prelude: bindings('f32'),
    rowSetup: `${batchBase('abase', outBatch, aBatch, M * K)}\nlet arow = abase + m * ${u(K)};`,
    loadA: `va = ${at(la, 'arow + k')};`,
    columnSetup: `${batchBase('bbase', outBatch, bBatch, K * N)}\nlet bcol = bbase + n;`,
    loadB: `vb = ${at(lb, `bcol + k * ${u(N)}`)};`,
    store: `  ${at(lo, `(b * ${u(M)} + m) * ${u(N)} + n`)} = acc;`,
  });
}

function gemmActivation(node: Node): { name: string; params: number[] } {
  if (node.op !== 'FusedGemm') return { name: 'None', params: [] };
  return { name: getAttr<string>(node, 'activation'), params: getAttr<number[]>(node, 'activation_params') };
}

/** WGSL index of C's element for (m, n): C broadcasts to [M, N] from rank 0, 1 or 2. */
function biasIndex(c: Value): string {
  const shape = shapeOf(c);
  const dims = [...new Array(2 - shape.length).fill(1), ...shape] as number[];
  const rowStride = dims[0] === 1 ? 0 : dims[1]!;
  const colStride = dims[1] === 1 ? 0 : 1;
  const terms = [rowStride ? `m * ${u(rowStride)}` : '', colStride ? 'n' : ''].filter(Boolean);
  return terms.length ? terms.join(' + ') : '0u';
}

function emitGemm(node: Node, ctx: GpuEmitContext) {
  const [a, b, c] = [node.inputs[0]!, node.inputs[1]!, node.inputs[2]];
  const transA = getAttr<number>(node, 'transA') !== 0;
  const transB = getAttr<number>(node, 'transB') !== 0;
  const alpha = getAttr<number>(node, 'alpha');
  const beta = getAttr<number>(node, 'beta');
  const [rowsA, colsA] = shapeOf(a) as [number, number];
  const [, colsB] = shapeOf(b) as [number, number];
  const M = transA ? colsA : rowsA;
  const K = transA ? rowsA : colsA;
  const N = transB ? shapeOf(b)[0]! : colsB;
  const [la, lb, lo] = [ctx.locate(a), ctx.locate(b), ctx.locate(node.outputs[0]!)];
  const store = [`  var v = ${alpha === 1 ? 'acc' : `${f32Literal(alpha)} * acc`};`];
  if (c && beta !== 0) {
    const term = at(ctx.locate(c), biasIndex(c));
    store.push(`  v = v + ${beta === 1 ? term : `${f32Literal(beta)} * ${term}`};`);
  }
  const { name, params } = gemmActivation(node);
  store.push(`  ${at(lo, `m * ${u(N)} + n`)} = ${applyActivation(name, params, 'v')};`);
  return gemmDispatch({
    batch: 1,
    M,
    N,
    K,
    prelude: `${bindings('f32')}\n${EXPRESSION_PRELUDE}`,
    loadA: `va = ${at(la, transA ? `k * ${u(M)} + m` : `m * ${u(K)} + k`)};`,
    loadB: `vb = ${at(lb, transB ? `n * ${u(K)} + k` : `k * ${u(N)} + n`)};`,
    store: store.join('\n'),
  });
}

export const matmulKernels: GpuKernel = {
  ops: ['MatMul', 'Gemm', 'FusedGemm'],
  check(node) {
    if (node.op === 'MatMul' && involvesHalf(node)) return halfOperandsProblem(node);
    const bad = needsF32(node);
    if (bad) return bad;
    return node.op === 'MatMul' ? null : activationProblem(node, () => gemmActivation(node));
  },
  emit(node, ctx) {
    if (product(shapeOf(node.outputs[0]!)) === 0) return [];
    if (node.op === 'MatMul' && involvesHalf(node)) return [emitHalfMatMul(node, ctx)];
    return [node.op === 'MatMul' ? emitMatMul(node, ctx) : emitGemm(node, ctx)];
  },
};
