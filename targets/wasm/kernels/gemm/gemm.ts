import type binaryen from 'binaryen';
import { getAttr, type Node } from '../../../../ir/index.js';
import type { FunctionBuilder } from '../../dsl.js';
import type { EmitContext, WasmKernel } from '../../kernel.js';
import { activationUnsupported } from '../activation.js';
import { activationOf } from '../conv/conv-operands.js';
import { emitGemm, floatBytes, packB, packedBLayout, type EpilogueTerm, type GemmLayout } from './gemm-core.js';

type Expr = binaryen.ExpressionRef;

/**
 * Gemm and FusedGemm: y = act(alpha·A'·B' + beta·C), A' = transA ? Aᵀ : A, C broadcast to [M, N].
 * A constant B (the usual weights) is transposed if needed and packed into GEMM tiles at compile time; a
 * runtime transposed B is transposed into scratch first. A is read in place (row splats need no packing).
 * C becomes an epilogue term by its broadcast shape: scalar, per column, per row or full.
 */

const A = 0;
const B = 1;
const C = 2;
const Y = 3;
const SCRATCH = 4;

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
}

/** Reason the operands rule the node out before its dims are read, or null. */
function operandProblem(node: Node): string | null {
  const [a, b] = node.inputs;
  if (!a || !b) return 'Gemm needs A and B';
  return a.type.dtype !== 'f32' ? `only f32 Gemm is supported, got ${a.type.dtype}` : null;
}

/** M, N, K and the transposes of a node operandProblem accepts, from its (static) dims. */
function shapeOf(node: Node): GemmShape | string {
  const [a, b] = node.inputs;
  const transA = getAttr<number>(node, 'transA') !== 0;
  const transB = getAttr<number>(node, 'transB') !== 0;
  const [as, bs] = [a!.type.shape as number[], b!.type.shape as number[]];
  const [M, K] = transA ? [as[1]!, as[0]!] : [as[0]!, as[1]!];
  const N = transB ? bs[0]! : bs[1]!;
  return { M, N, K, transA, transB };
}

/** Rows and columns of a register tile for an M-row product: wide tiles keep enough chains busy when M is tiny. */
export function tileFor(M: number): { mr: number; nr: number } {
  return M <= 2 ? { mr: M, nr: 16 } : { mr: 4, nr: 8 };
}

/** Gemm's C operand as its kernel sees it: its shape and beta, or null when absent. */
interface GemmC {
  shape: number[];
  beta: number;
}

/** The epilogue term of Gemm's C, by its broadcast shape. */
function cTerm(cOperand: GemmC | null, s: GemmShape, addr: () => Expr): EpilogueTerm[] {
  if (!cOperand || cOperand.beta === 0) return [];
  const { shape, beta } = cOperand;
  const [cm, cn] = shape.length === 2 ? shape : shape.length === 1 ? [1, shape[0]!] : [1, 1];
  if (cm === 1 && cn === 1) return [{ kind: 'scalar', scale: beta, addr }];
  if (cm === 1) return [{ kind: 'col', scale: beta, addr }];
  if (cn === 1 && s.N !== 1) return [{ kind: 'row', scale: beta, addr }];
  return [{ kind: 'matrix', scale: beta, row: s.N * 4, addr }];
}

function scratchBytesOf(node: Node, s: GemmShape): number {
  return s.transB && !node.inputs[1]!.data ? s.K * s.N * 4 + 64 : 0;
}

export const gemmKernels: WasmKernel = {
  ops: ['Gemm', 'FusedGemm'],
  check: operandProblem,
  checkDims(node) {
    const s = shapeOf(node);
    if (typeof s === 'string') return s;
    if (s.K === 0 || s.M === 0 || s.N === 0) return 'empty Gemm operands are not supported';
    const c = node.inputs[2];
    if (c && c.type.dtype !== 'f32') return `C must be f32, got ${c.type.dtype}`;
    const act = activationOf(node);
    return activationUnsupported(act.name, act.params);
  },
  scratchBytes(node) {
    const s = shapeOf(node);
    return typeof s === 'string' ? 0 : scratchBytesOf(node, s);
  },
  emit(node, ctx) {
    const s = shapeOf(node) as GemmShape;
    const [a, b, c] = node.inputs;
    const { mr, nr } = tileFor(s.M);
    const packed = !!b!.data;
    let bAddr: number;
    if (packed) {
      const data = b!.data!.data as Float32Array;
      const p = s.transB ? packB(data, s.K, s.N, 1, s.K, nr) : packB(data, s.K, s.N, s.N, 1, nr);
      bAddr = ctx.placeData(`gemm-packed-b:${b!.name}:${s.transB}:${nr}`, floatBytes(p));
    } else {
      bAddr = ctx.addressOf(b!);
    }
    const scratch = scratchBytesOf(node, s);
    const act = activationOf(node);
    const alpha = getAttr<number>(node, 'alpha');
    const beta = getAttr<number>(node, 'beta');
    const cOperand: GemmC | null = c ? { shape: c.type.shape as number[], beta } : null;
    const plan = { s, packed, alpha, c: cOperand, act };
    const name = ctx.defineFunction('gemm', plan, 5, (fn, { s, packed, alpha, c, act }) => {
      const { mr, nr } = tileFor(s.M);
      const out: Expr[] = [];
      let bBase = () => fn.param(B);
      if (!packed && s.transB) {
        out.push(transposeInto(fn, () => fn.param(SCRATCH), () => fn.param(B), s.N, s.K));
        bBase = () => fn.param(SCRATCH);
      }
      const layout: GemmLayout = {
        M: s.M,
        N: s.N,
        K: s.K,
        mr,
        ...(s.transA ? { aPanel: 4, aRow: 4, aK: s.M * 4 } : { aPanel: s.K * 4, aRow: s.K * 4, aK: 4 }),
        ...(packed ? packedBLayout(s.K, nr) : { nr, bTile: nr * 4, bK: s.N * 4, bPadded: false }),
        cRow: s.N * 4,
      };
      out.push(emitGemm(fn, layout, { a: () => fn.param(A), b: bBase, c: () => fn.param(Y) }, { alpha, terms: cTerm(c, s, () => fn.param(C)), activation: act }));
      return fn.block(out);
    });
    return ctx.call(name, [ctx.addressOf(a!), bAddr, c ? ctx.addressOf(c) : 0, ctx.addressOf(node.outputs[0]!), scratch ? ctx.scratch(scratch) : 0]);
  },
};

/** dst[c][r] = src[r][c] for a rows × cols f32 matrix. */
export function transposeInto(fn: FunctionBuilder, dst: () => Expr, src: () => Expr, rows: number, cols: number): Expr {
  const r = fn.i32Local();
  const c = fn.i32Local();
  return fn.for(r, 0, rows, 1, [
    fn.for(c, 0, cols, 1, [
      fn.storeF(fn.m.i32.add(fn.m.i32.add(dst(), fn.mulConst(c.get(), rows * 4)), fn.mulConst(r.get(), 4)), fn.loadF(fn.m.i32.add(fn.m.i32.add(src(), fn.mulConst(r.get(), cols * 4)), fn.mulConst(c.get(), 4)))),
    ]),
  ]);
}
