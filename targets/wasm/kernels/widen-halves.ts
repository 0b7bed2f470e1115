import binaryen from 'binaryen';
import { Node, numel, Value, type DType } from '../../../ir/index.js';
import { MEMORY } from '../dsl.js';
import type { EmitContext, WasmKernel, WasmOptions } from '../kernel.js';
import { f32ToHalf, halfToF32 } from './cast/half.js';

/**
 * f16 / bf16 nodes of an f32-only kernel family (Conv, MatMul, Gemm...) computed in f32: each half operand is
 * widened (exactly) into an f32 scratch buffer, half constants become f32 constants at compile time, the family
 * runs its f32 kernel on an f32 twin of the node, and each half result is rounded once, element by element,
 * from its f32 buffer. The reference computes these ops in a wider type and rounds each result once too, so the
 * results agree to within the f32 rounding of the accumulation (far below an ulp of the half type, except
 * near a rounding boundary).
 *
 * The family is asked first: a node it accepts as it is (f32, or a half node it handles itself) never takes
 * this path, so f32 models compile exactly as before.
 */

type Expr = binaryen.ExpressionRef;
type Half = 'f16' | 'bf16';

const isHalf = (d: DType): d is Half => d === 'f16' || d === 'bf16';
const hasHalves = (node: Node): boolean => [...node.inputs, ...node.outputs].some((v) => v && isHalf(v.type.dtype));
const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** The node with every half value replaced by an f32 twin (constants converted); `twins` maps each twin back. */
function f32Twin(node: Node): { node: Node; twins: Map<Value, Value> } {
  const twins = new Map<Value, Value>();
  const twin = (v: Value): Value => {
    if (!isHalf(v.type.dtype)) return v;
    const data = v.data && { dtype: 'f32' as const, shape: [...v.data.shape], data: Float32Array.from(v.data.data as Float32Array) };
    const t = new Value(`${v.name}.f32`, { dtype: 'f32', shape: v.type.shape }, data);
    twins.set(t, v);
    return t;
  };
  const inputs = node.inputs.map((v) => v && twin(v));
  // Outputs first saved: the Node constructor makes the twin node their producer.
  const outputs = node.outputs.map(twin);
  return { node: new Node(node.op, inputs, outputs, node.attrs, node.name), twins };
}

/** The f32 buffers of a twin node's run-time half values, each 16-byte aligned after the family's own scratch. */
function buffers(twin: { twins: Map<Value, Value> }, base: number): Map<Value, number> {
  const at = new Map<Value, number>();
  let offset = base;
  for (const t of twin.twins.keys()) {
    if (t.data) continue;
    at.set(t, offset);
    offset += align16(4 * numel(t.type.shape as number[]));
  }
  return at;
}

const buffersBytes = (twin: { twins: Map<Value, Value> }): number =>
  [...twin.twins.keys()].filter((t) => !t.data).reduce((a, t) => a + align16(4 * numel(t.type.shape as number[])), 0);

/** A function converting `count` elements between a half type and f32 (widen: half -> f32; else f32 -> half). */
function emitConvert(ctx: EmitContext, dtype: Half, widen: boolean, count: number, src: number, dst: number): Expr {
  const name = ctx.defineFunction('widen-halves.convert', { dtype, widen, count }, 2, (fn, p) => {
    const m = fn.m;
    const [ps, pd, i] = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const [sb, db] = p.widen ? [2, 4] : [4, 2];
    const step = p.widen
      ? fn.storeF(pd.get(), halfToF32(m, p.dtype, m.i32.load16_u(0, 2, ps.get(), MEMORY)))
      : m.i32.store16(0, 2, pd.get(), f32ToHalf(m, p.dtype, fn.loadF(ps.get())), MEMORY);
    return fn.block([
      ps.set(fn.param(0)),
      pd.set(fn.param(1)),
      fn.for(i, 0, p.count, 1, [step, ps.set(fn.addConst(ps.get(), sb)), pd.set(fn.addConst(pd.get(), db))]),
    ]);
  });
  return ctx.call(name, [src, dst]);
}

export function widenHalves(family: WasmKernel): WasmKernel {
  /** Whether the family takes the node as it is (static shapes: this runs from checkDims and later). */
  const takesAsIs = (node: Node): boolean => !hasHalves(node) || (family.check(node) === null && (family.checkDims?.(node) ?? null) === null);
  return {
    ops: family.ops,
    // The twin's check reads only dtypes the family knows, and its reasons are about the f32 computation.
    check: (node) => (hasHalves(node) ? family.check(f32Twin(node).node) : family.check(node)),
    checkDims(node) {
      if (takesAsIs(node)) return family.checkDims?.(node) ?? null;
      return family.checkDims?.(f32Twin(node).node) ?? null;
    },
    scratchBytes(node: Node, options: WasmOptions) {
      if (takesAsIs(node)) return family.scratchBytes?.(node, options) ?? 0;
      const twin = f32Twin(node);
      return align16(family.scratchBytes?.(twin.node, options) ?? 0) + buffersBytes(twin);
    },
    emit(node, ctx) {
      if (takesAsIs(node)) return family.emit(node, ctx);
      const twin = f32Twin(node);
      const own = align16(family.scratchBytes?.(twin.node, ctx.options) ?? 0);
      const base = ctx.scratch(own + buffersBytes(twin));
      const at = buffers(twin, base + own);
      const inner: EmitContext = {
        m: ctx.m,
        options: ctx.options,
        addressOf: (v) => at.get(v) ?? ctx.addressOf(v),
        placeData: (key, bytes, alignment) => ctx.placeData(key, bytes, alignment),
        scratch: (bytes) => {
          if (bytes > own) throw new Error(`${node.op} asked for ${bytes} scratch bytes but declared ${own}`);
          return base;
        },
        defineFunction: (kind, plan, params, build) => ctx.defineFunction(kind, plan, params, build),
        call: (name, args) => ctx.call(name, args),
      };
      const statements: Expr[] = [];
      const outputs = new Set(twin.node.outputs);
      for (const [t, v] of twin.twins) {
        const count = numel(t.type.shape as number[]);
        if (!t.data && !outputs.has(t)) statements.push(emitConvert(ctx, v.type.dtype as Half, true, count, ctx.addressOf(v), at.get(t)!));
      }
      statements.push(family.emit(twin.node, inner));
      for (const t of twin.node.outputs) {
        const v = twin.twins.get(t);
        if (v) statements.push(emitConvert(ctx, v.type.dtype as Half, false, numel(t.type.shape as number[]), at.get(t)!, ctx.addressOf(v)));
      }
      return ctx.m.block(null, statements, binaryen.none);
    },
  };
}
