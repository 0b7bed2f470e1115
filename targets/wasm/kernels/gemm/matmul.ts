import type binaryen from 'binaryen';
import { broadcastShapes, type Node } from '../../../../ir/index.js';
import type { WasmKernel } from '../../kernel.js';
import { buildMatmulF64 } from './matmul-f64.js';
import { emitGemm, floatBytes, packB, packedBLayout, type GemmLayout } from './gemm-core.js';
import { tileFor } from './gemm.js';

type Expr = binaryen.ExpressionRef;

/**
 * MatMul with numpy semantics on f32: 1-D operands promoted ([K] -> [1,K] / [K,1]), batch dims broadcast.
 * When B is one matrix shared by every batch (weights of a linear layer) and A's batches are all distinct,
 * the batches fold into the rows of one GEMM; a constant B is then packed at compile time. Otherwise each
 * output batch runs the GEMM at operand offsets read from a small table (any broadcasting pattern).
 */

interface Plan {
  M: number;
  N: number;
  K: number;
  batches: number;
  /** Byte offsets of A's and B's matrix for each output batch (absent when batches fold into M). */
  offsets: [number, number][] | null;
  /** Rows of the single GEMM when batches fold into M. */
  foldedM: number;
}

/** Reason the operands rule the node out before its dims are read, or null. */
function operandProblem(node: Node): string | null {
  const [a, b] = node.inputs;
  if (!a || !b) return 'MatMul needs two operands';
  return a.type.dtype !== 'f32' && a.type.dtype !== 'f64' ? `only f32 and f64 MatMul are supported, got ${a.type.dtype}` : null;
}

/** The plan of a node operandProblem accepts, from its (static) dims, or why there is none. */
function planOf(node: Node): Plan | string {
  const [a, b] = node.inputs;
  const as = a!.type.shape;
  const bs = b!.type.shape;
  const a2 = (as.length === 1 ? [1, as[0]] : [...as]) as number[];
  const b2 = (bs.length === 1 ? [bs[0], 1] : [...bs]) as number[];
  const M = a2[a2.length - 2]!;
  const K = a2[a2.length - 1]!;
  const N = b2[b2.length - 1]!;
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  const batch = broadcastShapes([aBatch, bBatch]) as number[] | undefined;
  if (!batch) return 'batch dims do not broadcast';
  const batches = batch.reduce((x, y) => x * y, 1);
  const aCount = aBatch.reduce((x, y) => x * y, 1);
  const bCount = bBatch.reduce((x, y) => x * y, 1);
  if (bCount === 1 && aCount === batches) return { M, N, K, batches, offsets: null, foldedM: M * batches };
  // Offsets by broadcasting each operand's batch index against the output batch index.
  const offsets: [number, number][] = [];
  const rank = batch.length;
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aBatch), pad(bBatch)];
  for (let t = 0; t < batches; t++) {
    let rest = t;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rest % batch[d]!;
      rest = Math.floor(rest / batch[d]!);
      ia += (pa[d] === 1 ? 0 : i) * sa;
      ib += (pb[d] === 1 ? 0 : i) * sb;
      sa *= pa[d]!;
      sb *= pb[d]!;
    }
    offsets.push([ia * M * K * 4, ib * K * N * 4]);
  }
  return { M, N, K, batches, offsets, foldedM: M };
}

const A = 0;
const B = 1;
const Y = 2;
const TABLE = 3;

export const matmulKernels: WasmKernel = {
  ops: ['MatMul'],
  check: operandProblem,
  checkDims(node) {
    const p = planOf(node);
    return typeof p === 'string' ? p : null;
  },
  emit(node, ctx) {
    const p = planOf(node) as Plan;
    const [a, b] = node.inputs;
    if (p.M * p.N * p.batches === 0) return ctx.m.nop();
    const f64 = a!.type.dtype === 'f64';
    if (p.K === 0) {
      const y = ctx.addressOf(node.outputs[0]!);
      return ctx.m.memory.fill(ctx.m.i32.const(y), ctx.m.i32.const(0), ctx.m.i32.const(p.M * p.N * p.batches * (f64 ? 8 : 4)), 'mem');
    }
    if (f64) {
      // The plan's offsets are in f32 bytes: twice as many for f64 elements.
      const offsets = p.offsets?.flat().map((o) => 2 * o);
      const table = offsets ? ctx.placeData(`matmul-f64-offsets:${offsets.join(',')}`, new Uint8Array(Int32Array.from(offsets).buffer), 4) : 0;
      const plan = { M: p.offsets ? p.M : p.foldedM, N: p.N, K: p.K, batches: p.batches, hasTable: !!offsets };
      const name = ctx.defineFunction('matmul-f64', plan, 4, buildMatmulF64);
      return ctx.call(name, [ctx.addressOf(a!), ctx.addressOf(b!), ctx.addressOf(node.outputs[0]!), table]);
    }
    const M = p.offsets ? p.M : p.foldedM;
    const { mr, nr } = tileFor(M);
    const packed = !!b!.data && !p.offsets;
    let bAddr: number;
    if (packed) {
      bAddr = ctx.placeData(`matmul-packed-b:${b!.name}:${nr}`, floatBytes(packB(b!.data!.data as Float32Array, p.K, p.N, p.N, 1, nr)));
    } else {
      bAddr = ctx.addressOf(b!);
    }
    let table = 0;
    if (p.offsets) table = ctx.placeData(`matmul-offsets:${p.offsets.flat().join(',')}`, new Uint8Array(Int32Array.from(p.offsets.flat()).buffer), 4);
    const plan = { M, N: p.N, K: p.K, batches: p.batches, packed, hasTable: !!p.offsets };
    const name = ctx.defineFunction('matmul', plan, 4, (fn, { M, N, K, batches, packed, hasTable }) => {
      const { mr, nr } = tileFor(M);
      const layout: GemmLayout = {
        M,
        N,
        K,
        mr,
        aPanel: K * 4,
        aRow: K * 4,
        aK: 4,
        ...(packed ? packedBLayout(K, nr) : { nr, bTile: nr * 4, bK: N * 4, bPadded: false }),
        cRow: N * 4,
      };
      const none = { alpha: 1, terms: [], activation: { name: 'None', params: [] } };
      if (!hasTable) return emitGemm(fn, layout, { a: () => fn.param(A), b: () => fn.param(B), c: () => fn.param(Y) }, none);
      const t = fn.i32Local();
      const entry = () => fn.m.i32.add(fn.param(TABLE), fn.mulConst(t.get(), 8));
      const gemm = emitGemm(
        fn,
        layout,
        {
          a: () => fn.m.i32.add(fn.param(A), fn.loadI32(entry())),
          b: () => fn.m.i32.add(fn.param(B), fn.loadI32(entry(), 4)),
          c: () => fn.m.i32.add(fn.param(Y), fn.mulConst(t.get(), M * N * 4)),
        },
        none,
      );
      return fn.forRuntime(t, fn.i32(0), () => fn.i32(batches), 1, [gemm]);
    });
    return ctx.call(name, [ctx.addressOf(a!), bAddr, ctx.addressOf(node.outputs[0]!), table]);
  },
};
