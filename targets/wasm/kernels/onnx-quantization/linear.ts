import binaryen from 'binaryen';
import { dtypeBytes, getAttr, numel, type DType, type Node } from '../../../../ir/index.js';
import { quantGranularity, type Granularity } from '../../../../ir/ops/onnx-quantization.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { FLOAT_PARAM_TYPES, INT_TYPES, loadFloat, loadInt, roundTo, saturateRound, storeFloat, storeInt } from './numeric.js';

type Expr = binaryen.ExpressionRef;

/**
 * QuantizeLinear, DequantizeLinear (per-tensor, per-axis and blocked parameters) and DynamicQuantizeLinear,
 * step for step as targets/reference/kernels/onnx-quantization/linear.ts computes them:
 *   quantize:   y = saturate(round_half_even(r(r(x) / r(scale))) + zp), r = rounding to the division's precision
 *               (the `precision` attribute, else the scale's dtype);
 *   dequantize: y = f32(f32(f32(x) - zp) * scale), rounded to the output dtype;
 *   dynamic:    scale and zero point from min(x, 0) and max(x, 0), every step in float32.
 * Parameters are read at run time (they may be graph inputs); which parameter an element uses is static.
 */

/** The loop nest over a tensor of `shape` seen as [outer, size, inner] around the granularity's axis. */
interface ParamLayout {
  g: Granularity;
  outer: number;
  size: number;
  inner: number;
  /** Blocks along the axis (blocked granularity). */
  blocks: number;
  blockSize: number;
}

function paramLayout(shape: readonly number[], scaleShape: readonly number[], axis: number, blockSize: number): ParamLayout | string {
  const g = quantGranularity(shape, scaleShape, axis, blockSize);
  if (typeof g === 'string') return g;
  const n = numel(shape);
  if (g.kind === 'tensor') return { g, outer: 1, size: 1, inner: n, blocks: 1, blockSize: 1 };
  const size = shape[g.axis]!;
  const inner = numel(shape.slice(g.axis + 1));
  return { g, outer: numel(shape.slice(0, g.axis)), size, inner, blocks: g.kind === 'block' ? scaleShape[g.axis]! : size, blockSize: g.kind === 'block' ? g.blockSize : 1 };
}

/**
 * Calls body(paramIndex) for every element in row-major order, with the element's parameter index as an i32
 * expression (a fresh expression per call).
 */
function forEachElement(fn: FunctionBuilder, l: ParamLayout, body: (param: () => Expr) => Expr[]): Expr {
  const m = fn.m;
  const [o, c, j, pc] = [fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local()];
  if (l.g.kind === 'tensor') return fn.for(j, 0, l.inner, 1, body(() => fn.i32(0)));
  const rowParam =
    l.g.kind === 'axis' ? c.get() : fn.mulConst(m.i32.add(fn.mulConst(o.get(), l.blocks), m.i32.div_u(c.get(), fn.i32(l.blockSize))), l.inner);
  const param = l.g.kind === 'axis' ? () => pc.get() : () => m.i32.add(pc.get(), j.get());
  return fn.for(o, 0, l.outer, 1, [fn.for(c, 0, l.size, 1, [pc.set(rowParam), fn.for(j, 0, l.inner, 1, body(param))])]);
}

/** Advances a pointer local by a constant. */
const bump = (fn: FunctionBuilder, p: Local, n: number) => p.set(fn.addConst(p.get(), n));
const at = (fn: FunctionBuilder, base: Expr, index: Expr, bytes: number) => fn.m.i32.add(base, fn.mulConst(index, bytes));

export function checkQuantizeLinear(node: Node): string | null {
  const [x, scale] = node.inputs;
  const out = node.outputs[0]!.type.dtype;
  if (!INT_TYPES.includes(out) || out === 'i32') return `QuantizeLinear to ${out} is not supported by the wasm target`;
  if (!FLOAT_PARAM_TYPES.includes(x!.type.dtype)) return `QuantizeLinear of ${x!.type.dtype} is not supported by the wasm target`;
  if (!FLOAT_PARAM_TYPES.includes(scale!.type.dtype)) return `a ${scale!.type.dtype} scale is not supported by the wasm target`;
  const precision = (getAttr<string>(node, 'precision') as DType | '') || scale!.type.dtype;
  if (!FLOAT_PARAM_TYPES.includes(precision)) return `QuantizeLinear in ${precision} precision is not supported by the wasm target`;
  return null;
}

/** Why the (static) dims of x and scale give no parameter layout (per tensor, per axis or per block), or null. */
export function paramLayoutProblem(node: Node): string | null {
  const [x, scale] = node.inputs;
  const l = paramLayout(x!.type.shape as number[], scale!.type.shape as number[], getAttr<number>(node, 'axis'), getAttr<number>(node, 'block_size'));
  return typeof l === 'string' ? l : null;
}

export function emitQuantizeLinear(node: Node, ctx: EmitContext): Expr {
  const [x, scale, zp] = node.inputs;
  const y = node.outputs[0]!;
  const out = y.type.dtype;
  const precision = (getAttr<string>(node, 'precision') as DType | '') || scale!.type.dtype;
  const l = paramLayout(x!.type.shape as number[], scale!.type.shape as number[], getAttr<number>(node, 'axis'), getAttr<number>(node, 'block_size')) as ParamLayout;
  const [xd, sd, zd] = [x!.type.dtype, scale!.type.dtype, zp?.type.dtype ?? out];
  const zpPerParam = !!zp && numel(zp.type.shape as number[]) > 1;
  const plan = { l, xd, sd, zd, out, precision, zp: !!zp, zpPerParam };
  const name = ctx.defineFunction('quantize', plan, 4, (fn, { l, xd, sd, zd, out, precision, zp, zpPerParam }) => {
    const m = fn.m;
    const [px, py] = [fn.i32Local(), fn.i32Local()];
    const q = fn.f32Local();
    const zeroPoint = fn.i32Local();
    const body = (param: () => Expr): Expr[] => [
      q.set(roundTo(fn, precision, m.f32.div(roundTo(fn, precision, loadFloat(fn, xd, px.get())), roundTo(fn, precision, loadFloat(fn, sd, at(fn, fn.param(1), param(), dtypeBytes(sd))))))),
      zeroPoint.set(zp ? loadInt(fn, zd, at(fn, fn.param(2), zpPerParam ? param() : fn.i32(0), dtypeBytes(zd))) : fn.i32(0)),
      storeInt(fn, out, py.get(), saturateRound(fn, q, zeroPoint.get(), out)),
      bump(fn, px, dtypeBytes(xd)),
      bump(fn, py, dtypeBytes(out)),
    ];
    return fn.block([px.set(fn.param(0)), py.set(fn.param(3)), forEachElement(fn, l, body)]);
  });
  return ctx.call(name, [ctx.addressOf(x!), ctx.addressOf(scale!), zp ? ctx.addressOf(zp) : 0, ctx.addressOf(y)]);
}

export function checkDequantizeLinear(node: Node): string | null {
  const [x, scale] = node.inputs;
  const out = node.outputs[0]!.type.dtype;
  if (!INT_TYPES.includes(x!.type.dtype)) return `DequantizeLinear of ${x!.type.dtype} is not supported by the wasm target`;
  if (!FLOAT_PARAM_TYPES.includes(scale!.type.dtype)) return `a ${scale!.type.dtype} scale is not supported by the wasm target`;
  if (!FLOAT_PARAM_TYPES.includes(out)) return `DequantizeLinear to ${out} is not supported by the wasm target`;
  return null;
}

export function emitDequantizeLinear(node: Node, ctx: EmitContext): Expr {
  const [x, scale, zp] = node.inputs;
  const y = node.outputs[0]!;
  const out = y.type.dtype;
  const l = paramLayout(x!.type.shape as number[], scale!.type.shape as number[], getAttr<number>(node, 'axis'), getAttr<number>(node, 'block_size')) as ParamLayout;
  const [xd, sd, zd] = [x!.type.dtype, scale!.type.dtype, zp?.type.dtype ?? x!.type.dtype];
  const zpPerParam = !!zp && numel(zp.type.shape as number[]) > 1;
  const plan = { l, xd, sd, zd, out, zp: !!zp, zpPerParam };
  const name = ctx.defineFunction('dequantize', plan, 4, (fn, { l, xd, sd, zd, out, zp, zpPerParam }) => {
    const m = fn.m;
    const [px, py] = [fn.i32Local(), fn.i32Local()];
    const body = (p: () => Expr): Expr[] => {
      const zeroPoint = zp ? loadInt(fn, zd, at(fn, fn.param(2), zpPerParam ? p() : fn.i32(0), dtypeBytes(zd))) : fn.i32(0);
      // f32(x) - zp is exact in f64 (both are integers below 2^32), then rounded once to f32.
      const shifted = m.f32.demote(m.f64.sub(m.f64.promote(m.f32.convert_s.i32(loadInt(fn, xd, px.get()))), m.f64.convert_s.i32(zeroPoint)));
      return [
        storeFloat(fn, out, py.get(), m.f32.mul(shifted, loadFloat(fn, sd, at(fn, fn.param(1), p(), dtypeBytes(sd))))),
        bump(fn, px, dtypeBytes(xd)),
        bump(fn, py, dtypeBytes(out)),
      ];
    };
    return fn.block([px.set(fn.param(0)), py.set(fn.param(3)), forEachElement(fn, l, body)]);
  });
  return ctx.call(name, [ctx.addressOf(x!), ctx.addressOf(scale!), zp ? ctx.addressOf(zp) : 0, ctx.addressOf(y)]);
}

export function checkDynamicQuantizeLinear(node: Node): string | null {
  const x = node.inputs[0]!;
  if (x.type.dtype !== 'f32') return `DynamicQuantizeLinear of ${x.type.dtype} is not supported by the wasm target`;
  return null;
}

export function emitDynamicQuantizeLinear(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const n = numel(x.type.shape as number[]);
  const [y, yScale, yZeroPoint] = node.outputs;
  const name = ctx.defineFunction('dynamic-quantize', { n }, 4, (fn, { n }) => {
    const m = fn.m;
    const f = m.f32;
    const [i, p, zp] = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const [v, lo, hi, scale, q] = [fn.f32Local(), fn.f32Local(), fn.f32Local(), fn.f32Local(), fn.f32Local()];
    const elem = () => m.i32.add(fn.param(0), fn.mulConst(i.get(), 4));
    return fn.block([
      lo.set(fn.f32(0)),
      hi.set(fn.f32(0)),
      // Comparisons are false for NaN, so NaN never moves the range (as in the reference).
      fn.for(i, 0, n, 1, [v.set(fn.loadF(elem())), m.if(f.gt(v.get(), hi.get()), hi.set(v.get())), m.if(f.lt(v.get(), lo.get()), lo.set(v.get()))]),
      scale.set(m.select(f.eq(hi.get(), lo.get()), fn.f32(1), f.div(f.sub(hi.get(), lo.get()), fn.f32(255)))),
      // round_half_even(clamp(0 - min / scale, 0, 255)); NaN stays NaN through min/max and stores as 0.
      zp.set(m.i32.trunc_s_sat.f32(f.nearest(f.max(fn.f32(0), f.min(fn.f32(255), f.sub(fn.f32(0), f.div(lo.get(), scale.get()))))))),
      p.set(fn.param(1)),
      fn.for(i, 0, n, 1, [
        q.set(f.div(fn.loadF(elem()), scale.get())),
        fn.storeI8(p.get(), saturateRound(fn, q, zp.get(), 'u8')),
        bump(fn, p, 1),
      ]),
      fn.storeF(fn.param(2), scale.get()),
      fn.storeI8(fn.param(3), zp.get()),
    ]);
  });
  return ctx.call(name, [ctx.addressOf(x), ctx.addressOf(y!), ctx.addressOf(yScale!), ctx.addressOf(yZeroPoint!)]);
}
