import binaryen from 'binaryen';
import { arrayToBytes, dtypeBytes, dtypeRange, getAttr, isBigInt, isFloat, makeTensor, numel, type DType, type Node } from '../../../../ir/index.js';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import type { EmitContext, WasmKernel } from '../../kernel.js';
import { emitFill, uniformByteOf } from '../movement/movement-copy.js';
import { expF64, logF64 } from '../../math-f64.js';
import { expV, logV } from '../../vmath.js';
import { addCombine, blockedLoop, horizontal, LANES, mapped, MAX, maxCombine, minCombine, mulCombine, nest, reduceRow, storePartial, loadPartial, type LoopDim, type VecReducer } from './reduce-simd.js';

/**
 * ReduceX over constant axes and ArgMax/ArgMin.
 *
 * Reductions: the input is viewed with adjacent reduced (or kept) dims merged. When the innermost merged dim is
 * reduced, each output element reduces contiguous rows (SIMD along the row, lanes folded at the end); when it
 * is kept, four output elements per vector reduce in step (SIMD across the kept inner dim). f32 sums are
 * blocked (see reduce-simd.ts). i32/i64 run a scalar loop nest, with wrapping integer arithmetic as the
 * reference's (exact) results wrap on store; bool Max/Min (any/all) the same loop on 0/1 bytes. f64 runs a scalar
 * loop nest too, folding in input order as the reference does (exp and log from math-f64.ts).
 *
 * An empty input (a zero-size axis) makes no loops: every output element (if any) is the reduction of the empty
 * set, one constant (emptyResult), written as a fill.
 *
 * ArgMax/ArgMin view the input as [outer, dim, inner]: with inner >= 4 (f32, i32) four columns are scanned at
 * once keeping the best value and index per lane; otherwise a scalar scan. Ties keep the first index (strict
 * comparison), or the last with select_last_index (non-strict); NaN is never "better", as in the reference.
 */

type Expr = binaryen.ExpressionRef;
export type Kind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'L1' | 'L2' | 'LogSum' | 'LogSumExp' | 'SumSquare';

const KINDS: Record<string, Kind> = {
  ReduceSum: 'Sum',
  ReduceMean: 'Mean',
  ReduceMax: 'Max',
  ReduceMin: 'Min',
  ReduceProd: 'Prod',
  ReduceL1: 'L1',
  ReduceL2: 'L2',
  ReduceLogSum: 'LogSum',
  ReduceLogSumExp: 'LogSumExp',
  ReduceSumSquare: 'SumSquare',
};
/** Kinds the integer (i32/i64) path computes exactly like the reference. */
const INT_KINDS: ReadonlySet<Kind> = new Set(['Sum', 'Mean', 'Max', 'Min', 'Prod', 'L1', 'SumSquare']);

/** The reduced axes (sorted), or null when the node is an identity (empty axes with noop_with_empty_axes). */
function reducedAxes(node: Node): number[] | null {
  const x = node.inputs[0]!;
  const rank = x.type.shape.length;
  const axesV = node.inputs[1];
  const given = axesV?.data ? Array.from(axesV.data.data as ArrayLike<number | bigint>, Number) : [];
  if (given.length === 0) return getAttr<number>(node, 'noop_with_empty_axes') ? null : Array.from({ length: rank }, (_, i) => i);
  return [...new Set(given.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

function checkReduce(node: Node): string | null {
  return node.inputs[1] && !node.inputs[1].data ? 'the axes operand must be a constant' : null;
}

/** Reasons read from the (static) dims and the element type. */
function checkReduceDims(node: Node): string | null {
  const x = node.inputs[0]!;
  const kind = KINDS[node.op]!;
  const dtype = x.type.dtype;
  if (dtype === 'f32' || dtype === 'f64') return null;
  if (dtype === 'i32' || dtype === 'i64') return INT_KINDS.has(kind) ? null : `${node.op} on ${dtype} is not supported (only f32, f64)`;
  if (dtype === 'bool') return kind === 'Max' || kind === 'Min' ? null : `${node.op} on bool is not supported (ONNX defines only ReduceMax and ReduceMin on bool)`;
  return `${node.op} on ${dtype} is not supported (f32, f64; i32/i64 for Sum, Mean, Max, Min, Prod, L1, SumSquare; bool for Max, Min)`;
}

interface MergedDim {
  size: number;
  reduced: boolean;
  /** Element strides in the input and (kept dims only) the output. */
  inStride: number;
  outStride: number;
}

/** Dims of size 1 dropped, adjacent dims of the same kind merged, strides attached. */
function mergeForReduce(shape: readonly number[], axes: readonly number[]): MergedDim[] {
  const dims: { size: number; reduced: boolean }[] = [];
  shape.forEach((size, a) => {
    if (size === 1) return;
    const reduced = axes.includes(a);
    const last = dims[dims.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else dims.push({ size, reduced });
  });
  if (dims.length === 0) dims.push({ size: 1, reduced: true });
  const out: MergedDim[] = dims.map((d) => ({ ...d, inStride: 0, outStride: 0 }));
  let inStride = 1;
  let outStride = 1;
  for (let i = out.length - 1; i >= 0; i--) {
    const d = out[i]!;
    d.inStride = inStride;
    inStride *= d.size;
    if (!d.reduced) {
      d.outStride = outStride;
      outStride *= d.size;
    }
  }
  return out;
}

/** The reducer each kind folds with (LogSumExp's second pass is built separately, around the maximum). */
function reducerOf(kind: Kind): VecReducer {
  switch (kind) {
    case 'Max':
      return MAX;
    case 'Min':
      return { identity: Infinity, combine: minCombine, blocked: false };
    case 'Prod':
      return { identity: 1, combine: mulCombine, blocked: false };
    case 'L1':
      return { identity: 0, combine: addCombine, blocked: true, map: (fn, x) => fn.m.f32x4.abs(x) };
    case 'L2':
    case 'SumSquare':
      return { identity: 0, combine: addCombine, blocked: true, map: (fn, x) => sq(fn, x) };
    default:
      return { identity: 0, combine: addCombine, blocked: true };
  }
}

function sq(fn: FunctionBuilder, x: Expr): Expr {
  const t = fn.v128Local();
  return fn.m.block(null, [t.set(x), fn.m.f32x4.mul(t.get(), t.get())], binaryen.v128);
}

/** exp(x - m) with m a vector local: the terms of LogSumExp's (and Softmax's) sum. */
export function expShifted(m: Local): VecReducer {
  return { identity: 0, combine: addCombine, blocked: true, map: (fn, x) => expV(fn, fn.m.f32x4.sub(x, m.get())) };
}

/** The final value from the folded accumulator (and, for LogSumExp, the maximum). */
function finalize(fn: FunctionBuilder, kind: Kind, acc: Local, count: number, max?: Local): Expr {
  const f = fn.m.f32x4;
  switch (kind) {
    case 'Mean':
      return f.div(acc.get(), fn.splat(count));
    case 'L2':
      return f.sqrt(acc.get());
    case 'LogSum':
      return logV(fn, acc.get());
    case 'LogSumExp':
      // All -inf: the shifted terms are NaN, but the answer is -inf (as in the reference).
      return fn.m.v128.bitselect(max!.get(), f.add(max!.get(), logV(fn, acc.get())), f.eq(max!.get(), fn.splat(-Infinity)));
    default:
      return acc.get();
  }
}

const toLoop = (d: MergedDim, bytes: number, withOut: boolean): LoopDim => ({
  size: d.size,
  strides: withOut ? [d.inStride * bytes, d.outStride * bytes] : [d.inStride * bytes],
});

/** Partial sums per lane run over at most this many elements before they are folded into the total. */
const LANE_BLOCK = 64;

/** f32 reduction of `shape` over `axes`, from the address in param 0 to the address in param 1. */
export function buildReduceF32(fn: FunctionBuilder, kind: Kind, shape: readonly number[], axes: readonly number[]): Expr {
  const dims = mergeForReduce(shape, axes);
  const count = dims.filter((d) => d.reduced).reduce((a, d) => a * d.size, 1);
  const inBase = fn.i32Local();
  const outBase = fn.i32Local();
  const setup = [inBase.set(fn.param(0)), outBase.set(fn.param(1))];
  const r = reducerOf(kind);
  const last = dims[dims.length - 1]!;
  const kept = dims.filter((d) => !d.reduced);

  if (last.reduced) {
    // Each output element reduces contiguous rows of `last.size` floats.
    const rows = dims.slice(0, -1).filter((d) => d.reduced).map((d) => toLoop(d, 4, false));
    const reduceAll = (pi: Local, red: VecReducer, acc: Local): Expr[] => [
      acc.set(fn.splat(red.identity)),
      nest(fn, rows, [pi], ([pr]) => reduceRow(fn, pr!, last.size, red, acc)),
      ...horizontal(fn, acc, red.combine),
    ];
    const body = nest(fn, kept.map((d) => toLoop(d, 4, true)), [inBase, outBase], ([pi, po]) => {
      const acc = fn.v128Local();
      const res = fn.v128Local();
      if (kind === 'LogSumExp') {
        const max = fn.v128Local();
        return [...reduceAll(pi!, MAX, max), ...reduceAll(pi!, expShifted(max), acc), res.set(finalize(fn, kind, acc, count, max)), storePartial(fn, po!, 0, res, 1)];
      }
      return [...reduceAll(pi!, r, acc), res.set(finalize(fn, kind, acc, count)), storePartial(fn, po!, 0, res, 1)];
    });
    return fn.block([...setup, body]);
  }

  // The innermost dim is kept: vectors of output elements, each lane reducing a strided column.
  const inner = last.size;
  const reducedDims = dims.filter((d) => d.reduced).map((d) => toLoop(d, 4, false));
  const outerKept = kept.slice(0, -1).map((d) => toLoop(d, 4, true));
  /** Reduces vectors of lanes `lanes` (4 = full) at byte offsets 16u from pi, stores them at po. */
  const columns = (pi: Local, po: Local, lanes: number[]): Expr[] => {
    const out: Expr[] = [];
    const pass = (red: VecReducer, shift?: Local[]): Local[] => {
      const accs = lanes.map(() => fn.v128Local());
      out.push(...accs.map((a) => a.set(fn.splat(red.identity))));
      const reducer = (u: number): VecReducer => (shift ? expShifted(shift[u]!) : red);
      const step = (pr: Local, target: Local[]): Expr[] =>
        target.map((a, u) => a.set(reducer(u).combine(fn, a.get(), mapped(fn, reducer(u), loadPartial(fn, pr, 16 * u, lanes[u]!), lanes[u]))));
      if (!red.blocked || reducedDims.length === 0) {
        out.push(nest(fn, reducedDims, [pi], ([pr]) => step(pr!, accs)));
        return accs;
      }
      // Blocked: partial sums over runs of the innermost reduced dim, folded into the totals after each run.
      const innermost = reducedDims[reducedDims.length - 1]!;
      const parts = lanes.map(() => fn.v128Local());
      out.push(
        nest(fn, reducedDims.slice(0, -1), [pi], ([pr]) => {
          const q = fn.i32Local();
          return [
            q.set(pr!.get()),
            blockedLoop(
              fn,
              innermost.size,
              LANE_BLOCK,
              [q],
              innermost.strides,
              () => parts.map((p) => p.set(fn.splat(0))),
              () => step(q, parts),
              () => accs.map((a, u) => a.set(fn.m.f32x4.add(a.get(), parts[u]!.get()))),
            ),
          ];
        }),
      );
      return accs;
    };
    if (kind === 'LogSumExp') {
      const maxes = pass(MAX);
      const sums = pass({ ...r }, maxes);
      sums.forEach((s, u) => {
        const res = fn.v128Local();
        out.push(res.set(finalize(fn, kind, s, count, maxes[u])), storePartial(fn, po, 16 * u, res, lanes[u]!));
      });
    } else {
      pass(r).forEach((a, u) => {
        const res = fn.v128Local();
        out.push(res.set(finalize(fn, kind, a, count)), storePartial(fn, po, 16 * u, res, lanes[u]!));
      });
    }
    return out;
  };
  const body = nest(fn, outerKept, [inBase, outBase], ([pi, po]) => {
    const out: Expr[] = [];
    const wide = 4 * LANES;
    const blocks = Math.floor(inner / wide);
    if (blocks > 0) out.push(nest(fn, [{ size: blocks, strides: [wide * 4, wide * 4] }], [pi!, po!], ([bi, bo]) => columns(bi!, bo!, [4, 4, 4, 4])));
    const rest = inner - blocks * wide;
    if (rest > 0) {
      const bi = fn.i32Local();
      const bo = fn.i32Local();
      const lanes: number[] = [];
      for (let left = rest; left > 0; left -= LANES) lanes.push(Math.min(LANES, left));
      out.push(bi.set(fn.addConst(pi!.get(), blocks * wide * 4)), bo.set(fn.addConst(po!.get(), blocks * wide * 4)), ...columns(bi, bo, lanes));
    }
    return out;
  });
  return fn.block([...setup, body]);
}

/** Scalar integer reduction (i32, i64, or bool held as i32 0/1: Max is any, Min all) with wrapping arithmetic. */
function buildReduceInt(fn: FunctionBuilder, kind: Kind, dtype: DType, shape: readonly number[], axes: readonly number[]): Expr {
  const m = fn.m;
  const wide = dtype === 'i64';
  const bool = dtype === 'bool';
  const bytes = dtypeBytes(dtype);
  const t = wide ? m.i64 : m.i32;
  const c = (v: number): Expr => (wide ? m.i64.const(BigInt(v)) : m.i32.const(v | 0));
  const dims = mergeForReduce(shape, axes);
  const count = dims.filter((d) => d.reduced).reduce((a, d) => a * d.size, 1);
  const inBase = fn.i32Local();
  const outBase = fn.i32Local();
  const identity = (): Expr => {
    if (bool) return c(kind === 'Min' ? 1 : 0);
    if (kind === 'Max') return wide ? m.i64.const(-(2n ** 63n)) : m.i32.const(0x80000000 | 0);
    if (kind === 'Min') return wide ? m.i64.const(2n ** 63n - 1n) : m.i32.const(0x7fffffff);
    return c(kind === 'Prod' ? 1 : 0);
  };
  const body = nest(fn, dims.filter((d) => !d.reduced).map((d) => toLoop(d, bytes, true)), [inBase, outBase], ([pi, po]) => {
    const acc = fn.local(wide ? binaryen.i64 : binaryen.i32);
    const x = fn.local(wide ? binaryen.i64 : binaryen.i32);
    const load = (p: Local): Expr => (wide ? fn.loadI64(p.get()) : bool ? fn.loadU8(p.get()) : fn.loadI32(p.get()));
    const combine = (): Expr => {
      switch (kind) {
        case 'Max':
          return m.select(t.gt_s(x.get(), acc.get()), x.get(), acc.get());
        case 'Min':
          return m.select(t.lt_s(x.get(), acc.get()), x.get(), acc.get());
        case 'Prod':
          return t.mul(acc.get(), x.get());
        case 'L1':
          return t.add(acc.get(), m.select(t.lt_s(x.get(), c(0)), t.sub(c(0), x.get()), x.get()));
        case 'SumSquare':
          return t.add(acc.get(), t.mul(x.get(), x.get()));
        default:
          return t.add(acc.get(), x.get());
      }
    };
    const reduced = nest(fn, dims.filter((d) => d.reduced).map((d) => toLoop(d, bytes, false)), [pi!], ([pr]) => [x.set(load(pr!)), acc.set(combine())]);
    // Integer mean truncates toward zero, as the reference (and ONNX Runtime) do.
    const result = kind === 'Mean' ? t.div_s(acc.get(), c(count)) : acc.get();
    const store = wide ? fn.storeI64(po!.get(), result) : bool ? fn.storeI8(po!.get(), result) : fn.storeI32(po!.get(), result);
    return [acc.set(identity()), reduced, store];
  });
  return fn.block([inBase.set(fn.param(0)), outBase.set(fn.param(1)), body]);
}

/**
 * The reduction of the empty set, as ONNX defines it: the identity of the fold (0 for the sums, 1 for Prod, the
 * lowest value for Max and the highest for Min: -inf/+inf for floats), mapped by the final step (L2: sqrt(0) = 0,
 * LogSum and LogSumExp: log(0) = -inf, float Mean: 0 / 0 = NaN; integer Mean skips the division: 0).
 */
export function emptyResult(kind: Kind, dtype: DType): number {
  const float = isFloat(dtype);
  const [lowest, highest] = float ? [-Infinity, Infinity] : dtypeRange(dtype);
  switch (kind) {
    case 'Max':
      return lowest;
    case 'Min':
      return highest;
    case 'Prod':
      return 1;
    case 'Mean':
      return float ? NaN : 0;
    case 'LogSum':
    case 'LogSumExp':
      return -Infinity;
    default:
      return 0;
  }
}

/** Every output element set to the reduction of the empty set (nothing when the output is empty too). */
function emitEmptyReduce(node: Node, ctx: EmitContext, kind: Kind): Expr {
  const out = node.outputs[0]!;
  const n = numel(out.type.shape as number[]);
  if (n === 0) return ctx.m.nop();
  const dtype = out.type.dtype;
  const value = emptyResult(kind, dtype);
  // i64's highest value is not a double (dtypeRange rounds it up to 2^63): saturate it as a bigint.
  const element = isBigInt(dtype) ? (value >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(value)) : value;
  const bytes = arrayToBytes(dtype, makeTensor(dtype, [1], [element] as ArrayLike<number | bigint> as ArrayLike<number>).data);
  const width = bytes.length;
  const at = ctx.placeData(`reduce.empty:${dtype}:${Array.from(bytes).join(',')}`, bytes, width);
  return emitFill(ctx, width, [n], [1], ctx.addressOf(out), at, uniformByteOf(bytes));
}

/**
 * Scalar f64 reduction, each output element folding its inputs in order like the reference (which accumulates
 * in f64): NaN-propagating Max/Min; LogSumExp as max + log(sum exp(x - max)), -inf when the max is.
 */
function buildReduceF64(fn: FunctionBuilder, kind: Kind, shape: readonly number[], axes: readonly number[]): Expr {
  const m = fn.m;
  const f = m.f64;
  const dims = mergeForReduce(shape, axes);
  const count = dims.filter((d) => d.reduced).reduce((a, d) => a * d.size, 1);
  const reducedLoops = dims.filter((d) => d.reduced).map((d) => toLoop(d, 8, false));
  const inBase = fn.i32Local();
  const outBase = fn.i32Local();
  const identity = kind === 'Max' ? -Infinity : kind === 'Min' ? Infinity : kind === 'Prod' ? 1 : 0;
  const body = nest(fn, dims.filter((d) => !d.reduced).map((d) => toLoop(d, 8, true)), [inBase, outBase], ([pi, po]) => {
    const acc = fn.local(binaryen.f64);
    const max = fn.local(binaryen.f64);
    const x = fn.local(binaryen.f64);
    const fold = (a: Local, start: number, combine: () => Expr): Expr[] => [
      a.set(f.const(start)),
      nest(fn, reducedLoops, [pi!], ([pr]) => [x.set(f.load(0, 8, pr!.get(), MEMORY)), a.set(combine())]),
    ];
    const combine = (): Expr => {
      switch (kind) {
        case 'Max':
          return f.max(acc.get(), x.get());
        case 'Min':
          return f.min(acc.get(), x.get());
        case 'Prod':
          return f.mul(acc.get(), x.get());
        case 'L1':
          return f.add(acc.get(), f.abs(x.get()));
        case 'L2':
        case 'SumSquare':
          return f.add(acc.get(), f.mul(x.get(), x.get()));
        case 'LogSumExp':
          return f.add(acc.get(), expF64(m, f.sub(x.get(), max.get())));
        default:
          return f.add(acc.get(), x.get());
      }
    };
    const out: Expr[] = [];
    if (kind === 'LogSumExp') out.push(...fold(max, -Infinity, () => f.max(max.get(), x.get())));
    out.push(...fold(acc, identity, combine));
    let result: Expr;
    switch (kind) {
      case 'Mean':
        result = f.div(acc.get(), f.const(count));
        break;
      case 'L2':
        result = f.sqrt(acc.get());
        break;
      case 'LogSum':
        result = logF64(m, acc.get());
        break;
      case 'LogSumExp':
        result = m.select(f.eq(max.get(), f.const(-Infinity)), f.const(-Infinity), f.add(max.get(), logF64(m, acc.get())));
        break;
      default:
        result = acc.get();
    }
    return [...out, f.store(0, 8, po!.get(), result, MEMORY)];
  });
  return fn.block([inBase.set(fn.param(0)), outBase.set(fn.param(1)), body]);
}

/** What a reduction function is specialized to (GlobalAveragePool and GlobalMaxPool share it: pool.ts). */
export interface ReducePlan {
  kind: Kind;
  dtype: DType;
  shape: number[];
  axes: number[];
}

export function buildReduce(fn: FunctionBuilder, p: ReducePlan): Expr {
  if (p.dtype === 'f32') return buildReduceF32(fn, p.kind, p.shape, p.axes);
  return p.dtype === 'f64' ? buildReduceF64(fn, p.kind, p.shape, p.axes) : buildReduceInt(fn, p.kind, p.dtype, p.shape, p.axes);
}

function emitReduce(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const out = node.outputs[0]!;
  const shape = x.type.shape as number[];
  const axes = reducedAxes(node);
  const src = ctx.addressOf(x);
  const dst = ctx.addressOf(out);
  if (!axes) {
    if (src === dst) return ctx.m.nop();
    const bytes = numel(shape) * dtypeBytes(x.type.dtype);
    return ctx.call(ctx.defineFunction('copy', { bytes }, 2, (fn, p) => fn.copy(fn.param(1), fn.param(0), fn.i32(p.bytes))), [src, dst]);
  }
  const kind = KINDS[node.op]!;
  if (numel(shape) === 0) return emitEmptyReduce(node, ctx, kind);
  const dtype = x.type.dtype;
  const name = ctx.defineFunction('reduce', { kind, dtype, shape, axes }, 2, buildReduce);
  return ctx.call(name, [src, dst]);
}

// ---------------------------------------------------------------------------------------------------------
// ArgMax / ArgMin

function checkArgDims(node: Node): string | null {
  const x = node.inputs[0]!;
  if (numel(x.type.shape as number[]) === 0) return 'empty tensors are not supported';
  if (!['f32', 'i32', 'i64'].includes(x.type.dtype)) return `${node.op} on ${x.type.dtype} is not supported (f32, i32, i64)`;
  return null;
}

function buildArg(fn: FunctionBuilder, largest: boolean, last: boolean, dtype: DType, outer: number, dim: number, inner: number): Expr {
  const m = fn.m;
  const bytes = dtypeBytes(dtype);
  const inBase = fn.i32Local();
  const outBase = fn.i32Local();
  const rowBytes = dim * inner * bytes;
  const stepBytes = inner * bytes;
  const better = (x: Expr, best: Expr): Expr => {
    if (dtype === 'f32') return largest ? (last ? m.f32.ge(x, best) : m.f32.gt(x, best)) : last ? m.f32.le(x, best) : m.f32.lt(x, best);
    const t = dtype === 'i64' ? m.i64 : m.i32;
    return largest ? (last ? t.ge_s(x, best) : t.gt_s(x, best)) : last ? t.le_s(x, best) : t.lt_s(x, best);
  };
  const betterV = (x: Expr, best: Expr): Expr => {
    if (dtype === 'f32') {
      const f = m.f32x4;
      return largest ? (last ? f.ge(x, best) : f.gt(x, best)) : last ? f.le(x, best) : f.lt(x, best);
    }
    const i = m.i32x4;
    return largest ? (last ? i.ge_s(x, best) : i.gt_s(x, best)) : last ? i.le_s(x, best) : i.lt_s(x, best);
  };
  const vectorColumns = dtype !== 'i64' && inner >= LANES ? Math.floor(inner / LANES) : 0;
  const body = nest(fn, [{ size: outer, strides: [rowBytes, inner * 8] }], [inBase, outBase], ([pi, po]) => {
    const out: Expr[] = [];
    if (vectorColumns > 0) {
      out.push(
        nest(fn, [{ size: vectorColumns, strides: [16, 32] }], [pi!, po!], ([ci, co]) => {
          const best = fn.v128Local();
          const idx = fn.v128Local();
          const x = fn.v128Local();
          const mask = fn.v128Local();
          const q = fn.i32Local();
          const j = fn.i32Local();
          return [
            best.set(fn.loadV(ci!.get())),
            idx.set(m.i32x4.splat(fn.i32(0))),
            q.set(ci!.get()),
            fn.for(j, 1, dim, 1, [
              q.set(fn.addConst(q.get(), stepBytes)),
              x.set(fn.loadV(q.get())),
              mask.set(betterV(x.get(), best.get())),
              best.set(m.v128.bitselect(x.get(), best.get(), mask.get())),
              idx.set(m.v128.bitselect(m.i32x4.splat(j.get()), idx.get(), mask.get())),
            ]),
            fn.m.v128.store(0, 8, co!.get(), m.i64x2.extend_low_i32x4_s(idx.get()), MEMORY),
            fn.m.v128.store(16, 8, co!.get(), m.i64x2.extend_high_i32x4_s(idx.get()), MEMORY),
          ];
        }),
      );
    }
    // Remaining columns one at a time.
    for (let k = vectorColumns * LANES; k < inner; k++) {
      const type = dtype === 'f32' ? binaryen.f32 : dtype === 'i64' ? binaryen.i64 : binaryen.i32;
      const best = fn.local(type);
      const x = fn.local(type);
      const bi = fn.i32Local();
      const q = fn.i32Local();
      const j = fn.i32Local();
      const load = (): Expr => (dtype === 'f32' ? fn.loadF(q.get()) : dtype === 'i64' ? fn.loadI64(q.get()) : fn.loadI32(q.get()));
      out.push(
        q.set(fn.addConst(pi!.get(), k * bytes)),
        best.set(load()),
        bi.set(fn.i32(0)),
        fn.for(j, 1, dim, 1, [
          q.set(fn.addConst(q.get(), stepBytes)),
          x.set(load()),
          m.if(better(x.get(), best.get()), m.block(null, [best.set(x.get()), bi.set(j.get())])),
        ]),
        fn.storeI64(po!.get(), m.i64.extend_s(bi.get()), k * 8),
      );
    }
    return out;
  });
  return fn.block([inBase.set(fn.param(0)), outBase.set(fn.param(1)), body]);
}

function emitArg(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const shape = x.type.shape as number[];
  const a = getAttr<number>(node, 'axis');
  const axis = a < 0 ? a + shape.length : a;
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const dim = shape[axis]!;
  const largest = node.op === 'ArgMax';
  const last = getAttr<number>(node, 'select_last_index') !== 0;
  const plan = { largest, last, dtype: x.type.dtype, outer, dim, inner };
  const name = ctx.defineFunction('arg', plan, 2, (fn, p) => buildArg(fn, p.largest, p.last, p.dtype, p.outer, p.dim, p.inner));
  return ctx.call(name, [ctx.addressOf(x), ctx.addressOf(node.outputs[0]!)]);
}

export const reduceKernels: WasmKernel = {
  ops: [...Object.keys(KINDS), 'ArgMax', 'ArgMin'],
  check(node) {
    return node.op === 'ArgMax' || node.op === 'ArgMin' ? null : checkReduce(node);
  },
  checkDims(node) {
    return node.op === 'ArgMax' || node.op === 'ArgMin' ? checkArgDims(node) : checkReduceDims(node);
  },
  emit(node, ctx) {
    return node.op === 'ArgMax' || node.op === 'ArgMin' ? emitArg(node, ctx) : emitReduce(node, ctx);
  },
};
