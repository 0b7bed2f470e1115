import { broadcastShapes, numel, stridesOf, type Tensor } from '../../../../ir/index.js';
import { matmulShape } from '../../../../ir/ops/nn.js';
import type { KernelContext } from '../registry.js';
import { broadcastIndexers } from '../util.js';
import { floatData, floatResult, type FloatArray } from './common.js';

/**
 * C[M×N] += A[M×K] · B[K×N], all row-major at the given offsets; C accumulates in float64.
 *
 * B is packed into panels of four columns ([K][4], contiguous) so the micro-kernel can keep a 4×4 block of C in
 * sixteen locals while it walks K: eight loads feed sixteen multiply-adds, and every access is sequential.
 */
export function gemmAccumulate(
  m: number,
  k: number,
  n: number,
  a: FloatArray,
  aOff: number,
  b: FloatArray,
  bOff: number,
  c: Float64Array,
  cOff: number,
): void {
  const panels = Math.ceil(n / 4);
  const packed = new Float64Array(panels * k * 4);
  for (let p = 0; p < k; p++) {
    const row = bOff + p * n;
    for (let j = 0; j < n; j++) packed[((j >> 2) * k + p) * 4 + (j & 3)] = b[row + j]!;
  }
  for (let i = 0; i < m; i += 4) {
    const rows = Math.min(4, m - i);
    // Rows past M repeat the last row; their results are simply not stored.
    const a0 = aOff + i * k;
    const a1 = aOff + (i + Math.min(1, rows - 1)) * k;
    const a2 = aOff + (i + Math.min(2, rows - 1)) * k;
    const a3 = aOff + (i + Math.min(3, rows - 1)) * k;
    for (let panel = 0; panel < panels; panel++) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let q = panel * k * 4;
      for (let p = 0; p < k; p++, q += 4) {
        const b0 = packed[q]!;
        const b1 = packed[q + 1]!;
        const b2 = packed[q + 2]!;
        const b3 = packed[q + 3]!;
        const x0 = a[a0 + p]!;
        const x1 = a[a1 + p]!;
        const x2 = a[a2 + p]!;
        const x3 = a[a3 + p]!;
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      const j = panel * 4;
      const cols = Math.min(4, n - j);
      if (rows === 4 && cols === 4) {
        const at = cOff + i * n + j;
        c[at] += c00; c[at + 1] += c01; c[at + 2] += c02; c[at + 3] += c03;
        c[at + n] += c10; c[at + n + 1] += c11; c[at + n + 2] += c12; c[at + n + 3] += c13;
        c[at + 2 * n] += c20; c[at + 2 * n + 1] += c21; c[at + 2 * n + 2] += c22; c[at + 2 * n + 3] += c23;
        c[at + 3 * n] += c30; c[at + 3 * n + 1] += c31; c[at + 3 * n + 2] += c32; c[at + 3 * n + 3] += c33;
        continue;
      }
      // Edge block (M or N not a multiple of 4).
      const block = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
      for (let r = 0; r < rows; r++) {
        const at = cOff + (i + r) * n + j;
        for (let t = 0; t < cols; t++) c[at + t] += block[r * 4 + t]!;
      }
    }
  }
}

/** The [rows, cols] row-major matrix transposed (a copy). */
function transposed(data: FloatArray, rows: number, cols: number): FloatArray {
  const out = new (data instanceof Float32Array ? Float32Array : Float64Array)(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

export function matmulKernel([a, b]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const A = a!;
  const B = b!;
  const outShape = matmulShape(A.shape, B.shape, ctx.fail) as number[];
  // Promote 1-D operands to matrices; the output shape already drops the promoted dims.
  const aShape = A.shape.length === 1 ? [1, A.shape[0]!] : [...A.shape];
  const bShape = B.shape.length === 1 ? [B.shape[0]!, 1] : [...B.shape];
  const m = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const n = bShape[bShape.length - 1]!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const { shape: batch, index } = broadcastIndexers([aBatch, bBatch]);
  const batches = numel(batch);
  const out = new Float64Array(batches * m * n);
  const aData = floatData(A);
  const bData = floatData(B);
  for (let t = 0; t < batches; t++) {
    gemmAccumulate(m, k, n, aData, index[0]![t]! * m * k, bData, index[1]![t]! * k * n, out, t * m * n);
  }
  return [floatResult(A.dtype, outShape, out)];
}

export function gemmKernel([a, b, c]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] {
  const A = a!;
  const B = b!;
  const transA = ctx.attr<number>('transA') !== 0;
  const transB = ctx.attr<number>('transB') !== 0;
  const [m, k] = transA ? [A.shape[1]!, A.shape[0]!] : [A.shape[0]!, A.shape[1]!];
  const n = transB ? B.shape[0]! : B.shape[1]!;
  const aData = transA ? transposed(floatData(A), k, m) : floatData(A);
  const bData = transB ? transposed(floatData(B), n, k) : floatData(B);
  const out = new Float64Array(m * n);
  gemmAccumulate(m, k, n, aData, 0, bData, 0, out, 0);
  const alpha = ctx.attr<number>('alpha');
  if (alpha !== 1) for (let i = 0; i < out.length; i++) out[i] *= alpha;
  const beta = ctx.attr<number>('beta');
  if (c && beta !== 0) {
    if (!broadcastShapes([[m, n], c.shape])) ctx.fail(`Gemm C [${c.shape.join(',')}] does not broadcast to [${m},${n}]`);
    // C broadcasts unidirectionally: its (up to 2) dims align with the right of [M, N], size-1 dims repeat.
    const shape2 = [...new Array<number>(2 - c.shape.length).fill(1), ...c.shape];
    const strides = stridesOf(shape2);
    const rowStride = shape2[0] === 1 ? 0 : strides[0]!;
    const colStride = shape2[1] === 1 ? 0 : strides[1]!;
    const cData = floatData(c);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] += beta * cData[i * rowStride + j * colStride]!;
  }
  return [floatResult(A.dtype, [m, n], out)];
}
