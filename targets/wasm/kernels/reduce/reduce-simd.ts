import binaryen from 'binaryen';
import type { FunctionBuilder, Local } from '../../dsl.js';

/**
 * SIMD building blocks shared by the reduction, pooling, normalization and softmax kernels: partial vectors
 * (tails shorter than four lanes), horizontal combines, nested loops that walk several pointers, and
 * contiguous row reductions with blocked (two-level) summation so long f32 sums stay accurate.
 *
 * Binaryen expressions form a tree, so an expression may be used only once: helpers take pointer *locals*
 * plus static byte offsets (which become load/store offset immediates) and build fresh expressions each time.
 */

type Expr = binaryen.ExpressionRef;

/**
 * expr + n (a constant). FunctionBuilder.add cannot tell an expression from a number (binaryen's
 * ExpressionRef is a number), so kernels here add constants with this.
 */
/** Floats per f32x4 vector. */
export const LANES = 4;
/** Elements summed into one set of partial accumulators before they are folded into the total. */
export const SUM_BLOCK = 512;

/** An associative lane-wise combine over f32x4, with the value that leaves the other operand unchanged. */
export interface VecReducer {
  /** Neutral element of `combine` (0 for sums, 1 for products, -inf for max, +inf for min). */
  identity: number;
  /** Elementwise transform applied to each loaded vector before combining (x*x, |x|, exp(x - m)...). */
  map?: (fn: FunctionBuilder, x: Expr) => Expr;
  combine: (fn: FunctionBuilder, a: Expr, b: Expr) => Expr;
  /** Sum-like: accumulate in blocks of SUM_BLOCK elements (rounding errors grow with the run length). */
  blocked: boolean;
}

export const addCombine = (fn: FunctionBuilder, a: Expr, b: Expr): Expr => fn.m.f32x4.add(a, b);
export const mulCombine = (fn: FunctionBuilder, a: Expr, b: Expr): Expr => fn.m.f32x4.mul(a, b);
export const maxCombine = (fn: FunctionBuilder, a: Expr, b: Expr): Expr => fn.m.f32x4.max(a, b);
export const minCombine = (fn: FunctionBuilder, a: Expr, b: Expr): Expr => fn.m.f32x4.min(a, b);

export const SUM: VecReducer = { identity: 0, combine: addCombine, blocked: true };
export const MAX: VecReducer = { identity: -Infinity, combine: maxCombine, blocked: false };

/** A v128 constant whose first `n` 32-bit lanes are all ones (the lanes a partial vector holds). */
export function laneMask(fn: FunctionBuilder, n: number): Expr {
  const bytes = new Array<number>(16).fill(0);
  for (let i = 0; i < 4 * n; i++) bytes[i] = 0xff;
  return fn.m.v128.const(bytes);
}

/** Four f32 lanes from `ptr + offset + lane * step` bytes (a strided gather), `n` lanes loaded, the rest `fill`. */
export function gather(fn: FunctionBuilder, ptr: Local, offset: number, step: number, n = LANES, fill = 0): Expr {
  let v = fn.splat(fill);
  for (let lane = 0; lane < n; lane++) v = fn.m.f32x4.replace_lane(v, lane, fn.loadF(ptr.get(), offset + lane * step));
  return v;
}

/** The first `n` (1..4) floats at ptr + offset in the low lanes; the others hold `fill`. Reads only n floats. */
export function loadPartial(fn: FunctionBuilder, ptr: Local, offset: number, n: number, fill = 0): Expr {
  if (n >= LANES) return fn.loadV(ptr.get(), offset);
  return gather(fn, ptr, offset, 4, n, fill);
}

/** Stores the first `n` lanes of vector local `v` at ptr + offset (all four with one store when n = 4). */
export function storePartial(fn: FunctionBuilder, ptr: Local, offset: number, v: Local, n: number): Expr {
  if (n >= LANES) return fn.storeV(ptr.get(), v.get(), offset);
  const stores: Expr[] = [];
  for (let lane = 0; lane < n; lane++) stores.push(fn.storeF(ptr.get(), fn.m.f32x4.extract_lane(v.get(), lane), offset + 4 * lane));
  return fn.block(stores);
}

/** r.map(x), with lanes at or above `n` replaced by the identity so they do not disturb the combine. */
export function mapped(fn: FunctionBuilder, r: VecReducer, x: Expr, n = LANES): Expr {
  const y = r.map ? r.map(fn, x) : x;
  if (n >= LANES) return y;
  return fn.m.v128.bitselect(y, fn.splat(r.identity), laneMask(fn, n));
}

/** Folds the four lanes of `acc` together; afterwards every lane holds the result ((a0.a2).(a1.a3)). */
export function horizontal(fn: FunctionBuilder, acc: Local, combine: VecReducer['combine']): Expr[] {
  const m = fn.m;
  return [
    acc.set(combine(fn, acc.get(), m.i8x16.shuffle(acc.get(), acc.get(), laneBytes([2, 3, 0, 1])))),
    acc.set(combine(fn, acc.get(), m.i8x16.shuffle(acc.get(), acc.get(), laneBytes([1, 0, 3, 2])))),
  ];
}

/** i8x16.shuffle mask selecting 32-bit lanes (0..7 over the two operands). */
export function laneBytes(lanes: readonly number[]): number[] {
  return lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}

/** One loop level of a nest: `size` steps, advancing each walked pointer by its byte stride. */
export interface LoopDim {
  size: number;
  strides: number[];
}

/**
 * Nested loops over `dims` (outermost first) walking pointers that start at `bases`; `body` receives the
 * pointer locals of the innermost level. With no dims the body runs once on the bases.
 */
export function nest(fn: FunctionBuilder, dims: readonly LoopDim[], bases: readonly Local[], body: (ptrs: Local[]) => Expr[]): Expr {
  if (dims.length === 0) return fn.block(body([...bases]));
  const [dim, ...rest] = dims;
  const ptrs = bases.map(() => fn.i32Local());
  const counter = fn.i32Local();
  const inner = nest(fn, rest, ptrs, body);
  const steps = ptrs.map((p, k) => (dim!.strides[k] ? p.set(fn.addConst(p.get(), dim!.strides[k]!)) : fn.m.nop()));
  return fn.block([...ptrs.map((p, k) => p.set(bases[k]!.get())), fn.for(counter, 0, dim!.size, 1, [inner, ...steps])]);
}

/** Contiguous dims merged: each LoopDim whose stride times size equals the next outer stride is folded. */
export function mergeDims(dims: readonly LoopDim[]): LoopDim[] {
  const out: LoopDim[] = [];
  for (const d of dims) {
    if (d.size === 1) continue;
    const prev = out[out.length - 1];
    if (prev && prev.strides.every((s, k) => s === d.strides[k]! * d.size)) {
      out[out.length - 1] = { size: prev.size * d.size, strides: d.strides };
    } else {
      out.push(d);
    }
  }
  return out;
}

/**
 * Combines `count` contiguous floats from `ptr + offset` into the vector local `acc` (lane-wise: the caller
 * folds the lanes with `horizontal`). Up to four independent accumulators hide the add latency; sum-like
 * reducers fold those into `acc` every SUM_BLOCK elements, so no partial sum runs over more than
 * SUM_BLOCK / 16 elements and the total over count / SUM_BLOCK partials (two-level, near-pairwise accuracy).
 * `acc` must be initialized by the caller.
 */
export function reduceRow(fn: FunctionBuilder, ptr: Local, count: number, r: VecReducer, acc: Local): Expr[] {
  const unroll = Math.max(1, Math.min(4, Math.floor(count / LANES)));
  const step = unroll * LANES;
  const full = Math.floor(count / step) * step;
  const out: Expr[] = [];
  const q = fn.i32Local();
  out.push(q.set(ptr.get()));
  if (full > 0) {
    const parts = Array.from({ length: unroll }, () => fn.v128Local());
    const block = r.blocked ? Math.max(step, Math.floor(SUM_BLOCK / step) * step) : full;
    const runBlock = (len: number): Expr[] => {
      const counter = fn.i32Local();
      const body: Expr[] = parts.map((p, u) => p.set(r.combine(fn, p.get(), mapped(fn, r, fn.loadV(q.get(), 16 * u)))));
      body.push(q.set(fn.addConst(q.get(), 4 * step)));
      let folded: Expr = parts[0]!.get();
      for (let u = 1; u < unroll; u++) folded = r.combine(fn, folded, parts[u]!.get());
      return [
        ...parts.map((p) => p.set(fn.splat(r.identity))),
        fn.for(counter, 0, len / step, 1, body),
        acc.set(r.combine(fn, acc.get(), folded)),
      ];
    };
    const blocks = Math.floor(full / block);
    if (blocks > 0) {
      const counter = fn.i32Local();
      out.push(fn.for(counter, 0, blocks, 1, runBlock(block)));
    }
    if (full - blocks * block > 0) out.push(...runBlock(full - blocks * block));
  }
  let offset = 0;
  for (let rest = count - full; rest > 0; rest -= LANES, offset += 16) {
    out.push(acc.set(r.combine(fn, acc.get(), mapped(fn, r, loadPartial(fn, q, offset, rest), Math.min(rest, LANES)))));
  }
  return out;
}

/**
 * A loop of `size` steps walking `ptrs` by `strides` bytes, cut into runs of `block` steps: `pre` runs before
 * each run and `post` after it (e.g. reset partial sums, then fold them into the total).
 */
export function blockedLoop(
  fn: FunctionBuilder,
  size: number,
  block: number,
  ptrs: readonly Local[],
  strides: readonly number[],
  pre: () => Expr[],
  body: () => Expr[],
  post: () => Expr[],
): Expr {
  const run = (len: number): Expr[] => {
    const counter = fn.i32Local();
    const steps = ptrs.map((p, k) => p.set(fn.addConst(p.get(), strides[k]!)));
    return [...pre(), fn.for(counter, 0, len, 1, [...body(), ...steps]), ...post()];
  };
  const out: Expr[] = [];
  const blocks = Math.floor(size / block);
  if (blocks > 1) out.push(fn.for(fn.i32Local(), 0, blocks, 1, run(block)));
  else if (blocks === 1) out.push(...run(block));
  if (size % block > 0) out.push(...run(size % block));
  return fn.block(out);
}

/** The f32 scalar in lane 0 of a vector local. */
export function lane0(fn: FunctionBuilder, v: Local): Expr {
  return fn.m.f32x4.extract_lane(v.get(), 0);
}

/**
 * dst[i] = f(src0[i], src1[i], ...) over `count` contiguous floats (vectors, then a partial tail vector that
 * reads and writes only the remaining floats). `f` gets one fresh load expression per source. dst may alias a
 * source. The pointer locals are not modified.
 */
export function mapRow(fn: FunctionBuilder, dst: Local, srcs: readonly Local[], count: number, f: (xs: Expr[]) => Expr): Expr[] {
  const out: Expr[] = [];
  const vectors = Math.floor(count / LANES);
  const ptrs = [dst, ...srcs];
  const walk = ptrs.map(() => fn.i32Local());
  out.push(...walk.map((w, k) => w.set(ptrs[k]!.get())));
  if (vectors > 0) {
    const [wd, ...ws] = walk;
    out.push(
      nest(fn, [{ size: vectors, strides: walk.map(() => 16) }], walk, ([d, ...s]) => [fn.storeV(d!.get(), f(s.map((p) => fn.loadV(p.get()))))]),
      ...[wd!, ...ws].map((w) => w.set(fn.addConst(w.get(), vectors * 16))),
    );
  }
  const rest = count - vectors * LANES;
  if (rest > 0) {
    const v = fn.v128Local();
    const [wd, ...ws] = walk;
    out.push(v.set(f(ws.map((p) => loadPartial(fn, p, 0, rest)))), storePartial(fn, wd!, 0, v, rest));
  }
  return out;
}
