import { getAttr, type Node, type Value } from '../../../ir/index.js';
import { rowMajorStrides } from '../../shared/box.js';
import { checkF32, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { activationArgs, checkActivation, defineGemm, MAX_MR } from './gemm-core.js';

/**
 * Gemm / FusedGemm and MatMul on the GEMM microkernel with the activations (A) strided at run time and the
 * weights (B) as row-major K x N: a constant B is transposed (transB) and scaled by alpha at compile time;
 * a constant C is scaled by beta and broadcast to one bias vector per column, or to a full residual.
 * MatMul broadcasts its batch dims; a 2-D right operand turns the whole batch into one taller GEMM.
 */

function gemmShape(node: Node): { M: number; K: number; N: number; transA: boolean; transB: boolean } {
  const transA = getAttr<number>(node, 'transA') !== 0;
  const transB = getAttr<number>(node, 'transB') !== 0;
  const [a, b] = [shapeOf(node.inputs[0]!), shapeOf(node.inputs[1]!)];
  return { M: transA ? a[1]! : a[0]!, K: transA ? a[0]! : a[1]!, N: transB ? b[0]! : b[1]!, transA, transB };
}

/** How a Gemm's C operand enters the microkernel. */
type BiasPlan = { kind: 'none' } | { kind: 'columns'; data?: Float32Array; value?: Value } | { kind: 'full'; data?: Float32Array; value?: Value };

function biasPlan(node: Node, M: number, N: number): BiasPlan | string {
  const c = node.inputs[2];
  if (!c) return { kind: 'none' };
  const beta = getAttr<number>(node, 'beta');
  const shape = shapeOf(c);
  const rows = shape.length === 2 ? shape[0]! : 1;
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  if (c.data) {
    const src = c.data.data as ArrayLike<number>;
    const at = (m: number, n: number) => Math.fround(beta * src[(rows === 1 ? 0 : m) * cols + (cols === 1 ? 0 : n)]!);
    if (rows === 1) return { kind: 'columns', data: Float32Array.from({ length: N }, (_, n) => at(0, n)) };
    return { kind: 'full', data: Float32Array.from({ length: M * N }, (_, i) => at(Math.floor(i / N), i % N)) };
  }
  if (beta !== 1) return 'a run-time C operand needs beta = 1 on rvv';
  if (rows === 1 && cols === N) return { kind: 'columns', value: c };
  if (rows === M && cols === N) return { kind: 'full', value: c };
  return `a run-time C operand of shape [${shape.join(',')}] is not supported on rvv`;
}

/** Gemm's reasons read from the (static) dims, the attributes and the C operand. */
function checkGemmDims(node: Node): string | null {
  const b = node.inputs[1]!;
  const { M, N, transB } = gemmShape(node);
  if (!b.data && (transB || getAttr<number>(node, 'alpha') !== 1)) return 'a run-time B operand needs transB = 0 and alpha = 1 on rvv';
  const plan = biasPlan(node, M, N);
  return typeof plan === 'string' ? plan : checkActivation(node);
}

function emitGemm(node: Node, ctx: CEmitContext): string {
  const [a, b] = node.inputs;
  const { M, K, N, transA, transB } = gemmShape(node);
  let B: string;
  if (!b!.data) B = ctx.ptr(b!);
  else {
    const alpha = getAttr<number>(node, 'alpha');
    const src = b!.data.data as ArrayLike<number>;
    const packed = Float32Array.from({ length: K * N }, (_, i) => {
      const [k, n] = [Math.floor(i / N), i % N];
      return alpha * src[transB ? n * K + k : k * N + n]!;
    });
    B = ctx.weightsF32(`gemm-b:${b!.name}:${transB}:${alpha}`, packed);
  }
  const plan = biasPlan(node, M, N) as BiasPlan;
  const biasPtr = plan.kind === 'none' ? 'NULL' : plan.data ? ctx.weightsF32(`gemm-c:${node.inputs[2]!.name}:${plan.kind}:${getAttr<number>(node, 'beta')}`, plan.data) : ctx.ptr(plan.value!);
  const gemm = defineGemm(ctx, 'strided', Math.min(MAX_MR, M));
  const [aRs, aKs] = transA ? [1, M] : [K, 1];
  const bias = plan.kind === 'columns' ? `${biasPtr}, 2, NULL` : plan.kind === 'full' ? `NULL, 0, ${biasPtr}` : 'NULL, 0, NULL';
  return `${gemm}(${M}, ${N}, ${K}, ${ctx.ptr(a!)}, ${aRs}, ${aKs}, ${B}, ${N}, ${ctx.ptr(node.outputs[0]!)}, ${N}, ${bias}, ${activationArgs(node)});`;
}

/** Batch offsets (in elements) of A, B and C for each output batch index, with numpy broadcasting. */
function matmulBatches(aShape: number[], bShape: number[], outBatch: number[], M: number, K: number, N: number): [number, number, number][] {
  const batchStrides = (shape: number[], matrix: number) => {
    const dims = shape.slice(0, -2);
    const strides = rowMajorStrides(dims).map((s) => s * matrix);
    const lead = outBatch.length - dims.length;
    return outBatch.map((_, i) => (i < lead || dims[i - lead] === 1 ? 0 : strides[i - lead]!));
  };
  const sa = batchStrides(aShape, M * K);
  const sb = batchStrides(bShape, K * N);
  const count = product(outBatch);
  const out: [number, number, number][] = [];
  for (let i = 0; i < count; i++) {
    let rest = i;
    let [oa, ob] = [0, 0];
    for (let d = outBatch.length - 1; d >= 0; d--) {
      const idx = rest % outBatch[d]!;
      rest = Math.floor(rest / outBatch[d]!);
      oa += idx * sa[d]!;
      ob += idx * sb[d]!;
    }
    out.push([oa, ob, i * M * N]);
  }
  return out;
}

function emitMatMul(node: Node, ctx: CEmitContext): string {
  const [a, b] = node.inputs as Value[];
  const aShape = shapeOf(a!).length === 1 ? [1, shapeOf(a!)[0]!] : shapeOf(a!);
  const bShape = shapeOf(b!).length === 1 ? [shapeOf(b!)[0]!, 1] : shapeOf(b!);
  const [M, K] = aShape.slice(-2) as [number, number];
  const N = bShape[bShape.length - 1]!;
  const out = ctx.ptr(node.outputs[0]!);
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  if (bBatch.length === 0 || product(bBatch) === 1) {
    // Every batch of A shares B: one GEMM over all rows of A.
    const rows = product(aBatch) * M;
    const gemm = defineGemm(ctx, 'strided', Math.min(MAX_MR, rows));
    return `${gemm}(${rows}, ${N}, ${K}, ${ctx.ptr(a!)}, ${K}, 1, ${ctx.ptr(b!)}, ${N}, ${out}, ${N}, NULL, 0, NULL, 0, 0.0f, 0.0f);`;
  }
  const outShape = shapeOf(node.outputs[0]!);
  const outBatch = outShape.slice(0, outShape.length - (shapeOf(a!).length > 1 ? 1 : 0) - (shapeOf(b!).length > 1 ? 1 : 0));
  const batches = matmulBatches(aShape, bShape, outBatch, M, K, N);
  const gemm = defineGemm(ctx, 'strided', Math.min(MAX_MR, M));
  return [
    `static const long offsets[${batches.length}][3] = {${batches.map((t) => `{${t.join(', ')}}`).join(', ')}};`,
    `const float *A = ${ctx.ptr(a!)};`,
    `const float *B = ${ctx.ptr(b!)};`,
    `float *Y = ${out};`,
    `for (long i = 0; i < ${batches.length}; i++)`,
    `  ${gemm}(${M}, ${N}, ${K}, A + offsets[i][0], ${K}, 1, B + offsets[i][1], ${N}, Y + offsets[i][2], ${N}, NULL, 0, NULL, 0, 0.0f, 0.0f);`,
  ].join('\n');
}

export const gemmKernels: RvvKernel = {
  ops: ['Gemm', 'FusedGemm', 'MatMul'],
  check: (node) => checkF32(node) ?? (node.op === 'MatMul' && node.inputs[1]!.type.dtype !== 'f32' ? 'MatMul operands must be f32 on rvv' : null),
  checkDims: (node) => (node.op === 'MatMul' ? null : checkGemmDims(node)),
  emit: (node, ctx) => (node.op === 'MatMul' ? emitMatMul(node, ctx) : emitGemm(node, ctx)),
};
