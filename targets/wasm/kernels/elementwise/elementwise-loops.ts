import binaryen from 'binaryen';
import { MEMORY, type FunctionBuilder } from '../../dsl.js';
import type { BroadcastLayout } from '../../../shared/broadcast.js';

export { collapseBroadcast, type BroadcastLayout } from '../../../shared/broadcast.js';

/**
 * Loop nests for elementwise kernels over ONNX-broadcast operands with static shapes.
 *
 * The output shape is collapsed first: size-1 output axes go, and neighbouring axes merge when every operand is
 * broadcast along both or along neither (so [N,C,H,W] + [C,1,1] runs as [N | C | H*W] with the second operand
 * read once per C and splatted along H*W). The innermost collapsed axis is contiguous (stride 1) or broadcast
 * (stride 0) for every operand; kernels vectorize along it. Outer axes are counted loops that advance one byte
 * pointer per operand.
 *
 * NB: FunctionBuilder.for/add/mul treat every JS number as a constant, and binaryen ExpressionRefs are numbers,
 * so this file passes them only true constants and does runtime i32 arithmetic with m.i32 directly.
 */

type Expr = binaryen.ExpressionRef;

/**
 * Emits the outer loops of a layout. `pointers` are the base byte addresses of the operands (function params),
 * `bytes` their element sizes; `inner(ptrs, length)` emits the innermost axis given each operand's pointer at its
 * start. Each outer level keeps its own pointer per operand, advanced by the operand's stride after each step.
 */
export function emitLoopNest(
  fn: FunctionBuilder,
  layout: BroadcastLayout,
  pointers: readonly (() => Expr)[],
  bytes: readonly number[],
  inner: (ptrs: readonly (() => Expr)[], length: number) => Expr,
): Expr {
  const m = fn.m;
  const { dims, strides } = layout;
  const last = dims.length - 1;
  const level = (a: number, parent: readonly (() => Expr)[]): Expr => {
    if (a === last) return inner(parent, dims[last]!);
    const locals = parent.map(() => fn.i32Local());
    const ptrs = locals.map((l) => () => l.get());
    const counter = fn.i32Local();
    const advance = locals
      .map((l, k) => (strides[k]![a]! === 0 ? null : l.set(m.i32.add(l.get(), m.i32.const(strides[k]![a]! * bytes[k]!)))))
      .filter((e): e is Expr => e !== null);
    return fn.block([...locals.map((l, k) => l.set(parent[k]!())), fn.for(counter, 0, dims[a]!, 1, [level(a + 1, ptrs), ...advance])]);
  };
  return level(0, pointers);
}

/** ptr + i * bytes, for a runtime element index i. */
export function elementAddress(m: binaryen.Module, ptr: Expr, index: Expr, bytes: number): Expr {
  const shift = Math.log2(bytes);
  return m.i32.add(ptr, shift === 0 ? index : m.i32.shl(index, m.i32.const(shift)));
}

// ---------------------------------------------------------------------------------------------------------
// memory accesses the FunctionBuilder lacks (all name the module's memory)

export const memoryOps = (m: binaryen.Module) => ({
  load32Zero: (ptr: Expr) => m.v128.load32_zero(0, 1, ptr, MEMORY),
  load8Splat: (ptr: Expr) => m.v128.load8_splat(0, 1, ptr, MEMORY),
  store32Lane0: (ptr: Expr, v: Expr) => m.v128.store32_lane(0, 1, 0, ptr, v, MEMORY),
  store8Lane0: (ptr: Expr, v: Expr) => m.v128.store8_lane(0, 1, 0, ptr, v, MEMORY),
  load16: (ptr: Expr, signed: boolean) => (signed ? m.i32.load16_s(0, 2, ptr, MEMORY) : m.i32.load16_u(0, 2, ptr, MEMORY)),
  store16: (ptr: Expr, v: Expr) => m.i32.store16(0, 2, ptr, v, MEMORY),
  loadF64: (ptr: Expr) => m.f64.load(0, 8, ptr, MEMORY),
  storeF64: (ptr: Expr, v: Expr) => m.f64.store(0, 8, ptr, v, MEMORY),
});
