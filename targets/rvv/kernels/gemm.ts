import { getAttr, type Node, type Value } from '../../../ir/index.js';
import { rowMajorStrides } from '../../shared/box.js';
import { cFloat, checkF32, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { activationArgs, checkActivation, defineGemm, MAX_MR } from './gemm-core.js';

/**
 * Gemm / FusedGemm and MatMul on the GEMM microkernel with the activations (A) strided at run time and the
 * weights (B) as row-major K x N: a constant B is transposed (transB) and scaled by alpha at compile time,
 * a run-time one at run time into scratch (only when transB or alpha != 1); a constant C is scaled by beta and
 * broadcast to one bias vector per column, or to a full residual; a run-time C is used as is when it is a row
 * or M x N with beta = 1, and otherwise scaled and broadcast to M x N in scratch.
 * MatMul broadcasts its batch dims; a 2-D right operand turns the whole batch into one taller GEMM.
 */

function gemmShape(node: Node): { M: number; K: number; N: number; transA: boolean; transB: boolean } {
  const transA = getAttr<number>(node, 'transA') !== 0;
  const transB = getAttr<number>(node, 'transB') !== 0;
  const [a, b] = [shapeOf(node.inputs[0]!), shapeOf(node.inputs[1]!)];
  return { M: transA ? a[1]! : a[0]!, K: transA ? a[0]! : a[1]!, N: transB ? b[0]! : b[1]!, transA, transB };
}

/** How a Gemm's C operand enters the microkernel. */
type BiasPlan = { kind: 'none' } | { kind: 'columns'; data?: Float32Array; value?: Value } | { kind: 'full'; data?: Float32Array; value?: Value; packed?: boolean };

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
  if (beta === 1 && rows === 1 && cols === N) return { kind: 'columns', value: c };
  if (beta === 1 && rows === M && cols === N) return { kind: 'full', value: c };
  // Any other run-time C (beta != 1, a scalar, a column): beta * C broadcast to M x N in scratch at run time.
  return { kind: 'full', value: c, packed: true };
}

/** Whether a run-time B is repacked at run time (transposed and/or scaled by alpha) before the GEMM. */
const packsB = (node: Node): boolean => !node.inputs[1]!.data && (gemmShape(node).transB || getAttr<number>(node, 'alpha') !== 1);

/** Scratch floats of a Gemm: a repacked run-time B (K x N), then a broadcast run-time C (M x N). */
function gemmScratchFloats(node: Node): number {
  if (node.op === 'MatMul') return 0;
  const { M, K, N } = gemmShape(node);
  const plan = biasPlan(node, M, N);
  return (packsB(node) ? K * N : 0) + (typeof plan !== 'string' && plan.kind === 'full' && plan.packed ? M * N : 0);
}

/**
 * Run-time repacking, vectorized along N: B' = alpha * op(B) as K x N (a strided load down B's columns when
 * transB), and C' = beta * C broadcast to M x N (stride-0 loads along a broadcast dim).
 */
const PACK_HELPER = `
/* Y[r][n] = s * X[r * rs + n * ns] for r < R, n < N */
static void edgec_pack_scaled(const float *X, long rs, long ns, float s, float *Y, long R, long N) {
  for (long r = 0; r < R; r++)
    for (long n = 0; n < N;) {
      size_t vl = VSET((size_t)(N - n));
      VST(Y + r * N + n, __riscv_vfmul_vf_f32m4(edgec_vload(X + r * rs + n * ns, ns, vl), s, vl), vl);
      n += (long)vl;
    }
}
`;

/** Gemm's reasons read from the (static) dims, the attributes and the C operand. */
function checkGemmDims(node: Node): string | null {
  const { M, N } = gemmShape(node);
  const plan = biasPlan(node, M, N);
  return typeof plan === 'string' ? plan : checkActivation(node);
}

function emitGemm(node: Node, ctx: CEmitContext): string {
  const [a, b] = node.inputs;
  const { M, K, N, transA, transB } = gemmShape(node);
  let B: string;
  const pre: string[] = [];
  const scratch = gemmScratchFloats(node) > 0 ? ctx.scratch(gemmScratchFloats(node) * 4) : '';
  if (packsB(node)) {
    ctx.helper('edgec_pack_scaled', () => PACK_HELPER);
    B = scratch;
    const [rs, ns] = transB ? [1, K] : [N, 1];
    pre.push(`edgec_pack_scaled(${ctx.ptr(b!)}, ${rs}, ${ns}, ${cFloat(getAttr<number>(node, 'alpha'))}, ${B}, ${K}, ${N});`);
  } else if (!b!.data) B = ctx.ptr(b!);
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
  let biasPtr = plan.kind === 'none' ? 'NULL' : plan.data ? ctx.weightsF32(`gemm-c:${node.inputs[2]!.name}:${plan.kind}:${getAttr<number>(node, 'beta')}`, plan.data) : ctx.ptr(plan.value!);
  if (plan.kind === 'full' && plan.packed) {
    ctx.helper('edgec_pack_scaled', () => PACK_HELPER);
    const shape = shapeOf(plan.value!);
    const [rows, cols] = [shape.length === 2 ? shape[0]! : 1, shape.length === 0 ? 1 : shape[shape.length - 1]!];
    const packed = `(${scratch} + ${packsB(node) ? K * N : 0})`;
    pre.push(`edgec_pack_scaled(${biasPtr}, ${rows === 1 ? 0 : cols}, ${cols === 1 ? 0 : 1}, ${cFloat(getAttr<number>(node, 'beta'))}, ${packed}, ${M}, ${N});`);
    biasPtr = packed;
  }
  const gemm = defineGemm(ctx, 'strided', Math.min(MAX_MR, M));
  const [aRs, aKs] = transA ? [1, M] : [K, 1];
  const bias = plan.kind === 'columns' ? `${biasPtr}, 2, NULL` : plan.kind === 'full' ? `NULL, 0, ${biasPtr}` : 'NULL, 0, NULL';
  const call = `${gemm}(${M}, ${N}, ${K}, ${ctx.ptr(a!)}, ${aRs}, ${aKs}, ${B}, ${N}, ${ctx.ptr(node.outputs[0]!)}, ${N}, ${bias}, ${activationArgs(node)});`;
  return pre.length > 0 ? [...pre, call].join('\n') : call;
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
  scratchBytes: (node) => gemmScratchFloats(node) * 4,
  emit: (node, ctx) => (node.op === 'MatMul' ? emitMatMul(node, ctx) : emitGemm(node, ctx)),
};
