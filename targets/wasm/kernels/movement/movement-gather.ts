import binaryen from 'binaryen';
import { dtypeBytes, getAttr, type Node } from '../../../../ir/index.js';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { copyRun, loadBytes, loopNest, rowMajorStrides, storeBytes, type Get } from './movement-copy.js';

type Expr = binaryen.ExpressionRef;

/**
 * Gathers whose indices are read at run time. An index i counts from the end when negative; an index outside
 * [-dim, dim) traps (`unreachable`, a WebAssembly.RuntimeError for the caller) — the reference interpreter
 * fails on it too, and a trap can never read or write outside the tensors. 64-bit indices are checked as
 * 64-bit values, so 2^32 does not wrap to 0.
 */

/** Sets `out` to the resolved index read at `ptr` (i32 or i64 of `indexWidth` bytes), trapping when out of range. */
function resolveIndex(fn: FunctionBuilder, indexWidth: number, ptr: Expr, dim: number, out: Local): Expr[] {
  const m = fn.m;
  if (indexWidth === 8) {
    const v = fn.local(binaryen.i64);
    const d = () => m.i64.const(BigInt(dim));
    return [
      v.set(m.i64.load(0, 8, ptr, MEMORY)),
      v.set(m.select(m.i64.lt_s(v.get(), m.i64.const(0n)), m.i64.add(v.get(), d()), v.get())),
      m.if(m.i64.ge_u(v.get(), d()), m.unreachable()),
      out.set(m.i32.wrap(v.get())),
    ];
  }
  return [
    out.set(m.i32.load(0, 4, ptr, MEMORY)),
    out.set(m.select(m.i32.lt_s(out.get(), fn.i32(0)), m.i32.add(out.get(), fn.i32(dim)), out.get())),
    m.if(m.i32.ge_u(out.get(), fn.i32(dim)), m.unreachable()),
  ];
}

export interface GatherGeometry {
  outer: number;
  dim: number;
  inner: number;
  /** Number of indices. */
  count: number;
  width: number;
  indexWidth: number;
}

/** Gather along an axis: for each outer block and index, one contiguous row of `inner` elements. */
export function emitRuntimeGather(ctx: EmitContext, g: GatherGeometry, dst: number, src: number, idx: number): Expr {
  if (g.outer === 0 || g.count === 0 || g.inner === 0) return ctx.m.nop();
  const name = ctx.defineFunction('movement.gather', g, 3, (fn, g) => {
    const row = g.inner * g.width;
    const i = fn.i32Local();
    const body = loopNest(
      fn,
      [g.outer, g.count],
      [
        [g.count * row, row],
        [g.dim * row, 0],
        [0, g.indexWidth],
      ],
      [() => fn.param(0), () => fn.param(1), () => fn.param(2)],
      ([pd, ps, pi]) => [
        ...resolveIndex(fn, g.indexWidth, pi!(), g.dim, i),
        ...copyRun(fn, pd!, () => fn.m.i32.add(ps!(), fn.mulConst(i.get(), row)), row),
      ],
    );
    return fn.block(body);
  });
  return ctx.call(name, [dst, src, idx]);
}

/** GatherElements: out[c] = data[c with c[axis] replaced by indices[c]], one element at a time. */
export function emitGatherElements(ctx: EmitContext, node: Node, dst: number, src: number, idx: number): Expr {
  const data = node.inputs[0]!;
  const indices = node.inputs[1]!;
  const shape = data.type.shape as number[];
  const idxShape = indices.type.shape as number[];
  const rank = shape.length;
  const a = getAttr<number>(node, 'axis');
  const axis = a < 0 ? a + rank : a;
  if (idxShape.some((d) => d === 0)) return ctx.m.nop();
  const width = dtypeBytes(data.type.dtype);
  const indexWidth = dtypeBytes(indices.type.dtype);
  const name = ctx.defineFunction('movement.gather-elements', { shape, idxShape, axis, width, indexWidth }, 3, (fn, { shape, idxShape, axis, width, indexWidth }) => {
    const dataStrides = rowMajorStrides(shape).map((s) => s * width);
    const outStrides = rowMajorStrides(idxShape);
    const i = fn.i32Local();
    const body = loopNest(
      fn,
      idxShape,
      [outStrides.map((s) => s * width), dataStrides.map((s, k) => (k === axis ? 0 : s)), outStrides.map((s) => s * indexWidth)],
      [() => fn.param(0), () => fn.param(1), () => fn.param(2)],
      ([pd, ps, pi]: Get[]) => [
        ...resolveIndex(fn, indexWidth, pi!(), shape[axis]!, i),
        storeBytes(fn.m, width, pd!(), loadBytes(fn.m, width, fn.m.i32.add(ps!(), fn.mulConst(i.get(), dataStrides[axis]!)))),
      ],
    );
    return fn.block(body);
  });
  return ctx.call(name, [dst, src, idx]);
}
