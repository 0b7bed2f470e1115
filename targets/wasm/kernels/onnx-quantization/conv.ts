import binaryen from 'binaryen';
import { dtypeBytes, getAttr, numel, type DType, type Node, type Value } from '../../../../ir/index.js';
import { convAttrsOf, convGeometry, type ConvGeometry } from '../../../../ir/ops/onnx-quantization.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { FLOAT_PARAM_TYPES, loadFloat, loadInt, roundTo, saturateRound, storeInt } from './numeric.js';

type Expr = binaryen.ExpressionRef;

/**
 * QLinearConv and ConvInteger over 1 to 3 spatial axes (seen as 3-D), as targets/reference/kernels/onnx-quantization/conv.ts:
 * exact int32 sums (wrapping) of (x - x_zp)(w - w_zp) over each window, padding contributing nothing; the bias
 * (QLinearConv) starts the sum. QLinearConv requantizes per output channel with
 *   multiplier = r(r(x_scale · w_scale[m]) / y_scale), y = saturate(round_half_even(f32(f32(acc) · multiplier)) + y_zp).
 * Plain loops, one output at a time (correctness first); parameters are read at run time.
 */

const EIGHT_BIT: readonly DType[] = ['i8', 'u8'];

/** How the kernel reads an optional operand: its dtype and whether it holds one value per output channel; null when absent. */
type QuantOperand = { dtype: DType; perChannel: boolean } | null;

function operands(node: Node) {
  const i = node.inputs;
  if (node.op === 'QLinearConv') return { x: i[0]!, xScale: i[1], xZp: i[2], w: i[3]!, wScale: i[4], wZp: i[5], yScale: i[6], yZp: i[7], bias: i[8] ?? null };
  return { x: i[0]!, xScale: null, xZp: i[2] ?? null, w: i[1]!, wScale: null, wZp: i[3] ?? null, yScale: null, yZp: null, bias: null };
}

function geometryOf(node: Node): ConvGeometry | string {
  const o = operands(node);
  return convGeometry(o.x.type.shape, o.w.type.shape, convAttrsOf((name) => getAttr(node, name)));
}

export function checkQuantConv(node: Node): string | null {
  const o = operands(node);
  const rank = o.x.type.shape.length;
  if (rank < 3 || rank > 5) return `${node.op} with ${rank - 2} spatial axes is not supported (1 to 3)`;
  if (!EIGHT_BIT.includes(o.x.type.dtype) || !EIGHT_BIT.includes(o.w.type.dtype)) return `${node.op} on ${o.x.type.dtype} x ${o.w.type.dtype} is not supported (8-bit)`;
  const g = geometryOf(node);
  if (typeof g === 'string') return g;
  const M = o.w.type.shape[0] as number;
  for (const s of [o.xScale, o.wScale, o.yScale]) if (s && !FLOAT_PARAM_TYPES.includes(s.type.dtype)) return `a ${s.type.dtype} scale is not supported by the wasm target`;
  for (const v of [o.xScale, o.xZp, o.yScale, o.yZp]) if (v && numel(v.type.shape as number[]) !== 1) return `%${v.name} must be a single value`;
  for (const v of [o.wScale, o.wZp]) {
    const count = v ? numel(v.type.shape as number[]) : 1;
    if (count !== 1 && count !== M) return `%${v!.name} must hold one value or one per output channel`;
  }
  if (o.bias && o.bias.type.dtype !== 'i32') return 'the bias must be i32';
  return null;
}

const to3 = (values: readonly number[], fill: number): number[] => [...new Array<number>(3 - values.length).fill(fill), ...values];

export function emitQuantConv(node: Node, ctx: EmitContext): Expr {
  const o = operands(node);
  const y = node.outputs[0]!;
  const g = geometryOf(node) as ConvGeometry;
  const xs = o.x.type.shape as number[];
  const ws = o.w.type.shape as number[];
  const n = xs.length - 2;
  const [batch, C] = [xs[0]!, xs[1]!];
  const M = ws[0]!;
  const group = getAttr<number>(node, 'group');
  const dims = to3(xs.slice(2), 1);
  const out = to3((y.type.shape as number[]).slice(2), 1);
  const kernel = to3(g.kernel, 1);
  const strides = to3(g.strides, 1);
  const dilations = to3(g.dilations, 1);
  const pads = to3(g.pads.slice(0, n), 0);
  const qlinear = node.op === 'QLinearConv';
  const [xd, wd, outD] = [o.x.type.dtype, o.w.type.dtype, y.type.dtype];
  const perChannel = (v: Value | null | undefined) => !!v && numel(v.type.shape as number[]) > 1;
  const dt = (v: Value | null | undefined): QuantOperand => (v ? { dtype: v.type.dtype, perChannel: perChannel(v) } : null);
  const scaleD = (o.xScale?.type.dtype ?? 'f32') as DType;
  const operandsRead = { xZp: dt(o.xZp), wZp: dt(o.wZp), xScale: dt(o.xScale), wScale: dt(o.wScale), yScale: dt(o.yScale), yZp: dt(o.yZp), bias: dt(o.bias) };
  const plan = { qlinear, batch, C, M, group, dims, out, kernel, strides, dilations, pads, xd, wd, outD, scaleD, o: operandsRead };
  // Params: x, w, xZp, wZp, bias, xScale, wScale, yScale, yZp, y.
  const name = ctx.defineFunction('qconv', plan, 10, buildQuantConv);

  function buildQuantConv(fn: FunctionBuilder, { qlinear, batch, C, group, dims, out, kernel, strides, dilations, pads, xd, wd, outD, scaleD, o }: typeof plan): Expr {
    const [Cg, Mg] = [C / group, plan.M / group];
    const m = fn.m;
    const [b, grp, mg, mo, c, xZp, wZp, acc, xPlane, wPtr, yPtr] = Array.from({ length: 11 }, () => fn.i32Local());
    const oc = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const kc = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const ic = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const [mult, q] = [fn.f32Local(), fn.f32Local()];
    const [xb, wb] = [dtypeBytes(xd), dtypeBytes(wd)];
    const inVol = dims[0]! * dims[1]! * dims[2]!;
    const paramAt = (v: NonNullable<QuantOperand>, param: number, index: Expr) => m.i32.add(fn.param(param), fn.mulConst(index, dtypeBytes(v.dtype)));
    const channelIndex = (v: QuantOperand) => (v?.perChannel ? mo.get() : fn.i32(0));
    const inRange = (l: Local, size: number) => m.i32.lt_u(l.get(), fn.i32(size));
    const xAt = m.i32.add(xPlane.get(), fn.mulConst(m.i32.add(fn.mulConst(m.i32.add(fn.mulConst(ic[0]!.get(), dims[1]!), ic[1]!.get()), dims[2]!), ic[2]!.get()), xb));
    const tap = fn.block([
      ic[2]!.set(m.i32.add(fn.addConst(fn.mulConst(oc[2]!.get(), strides[2]!), -pads[2]!), fn.mulConst(kc[2]!.get(), dilations[2]!))),
      m.if(
        m.i32.and(m.i32.and(inRange(ic[0]!, dims[0]!), inRange(ic[1]!, dims[1]!)), inRange(ic[2]!, dims[2]!)),
        acc.set(m.i32.add(acc.get(), m.i32.mul(m.i32.sub(loadInt(fn, xd, xAt), xZp.get()), m.i32.sub(loadInt(fn, wd, wPtr.get()), wZp.get())))),
      ),
      wPtr.set(fn.addConst(wPtr.get(), wb)),
    ]);
    const coordinate = (a: number) => ic[a]!.set(m.i32.add(fn.addConst(fn.mulConst(oc[a]!.get(), strides[a]!), -pads[a]!), fn.mulConst(kc[a]!.get(), dilations[a]!)));
    const window = fn.for(c, 0, Cg, 1, [
      xPlane.set(m.i32.add(fn.param(0), fn.mulConst(m.i32.add(fn.mulConst(b.get(), C), m.i32.add(fn.mulConst(grp.get(), Cg), c.get())), inVol * xb))),
      fn.for(kc[0]!, 0, kernel[0]!, 1, [coordinate(0), fn.for(kc[1]!, 0, kernel[1]!, 1, [coordinate(1), fn.for(kc[2]!, 0, kernel[2]!, 1, [tap])])]),
    ]);
    const result: Expr[] = qlinear
      ? [
          q.set(m.f32.mul(m.f32.convert_s.i32(acc.get()), mult.get())),
          storeInt(fn, outD, yPtr.get(), saturateRound(fn, q, o.yZp ? loadInt(fn, o.yZp.dtype, fn.param(8)) : fn.i32(0), outD)),
        ]
      : [fn.storeI32(yPtr.get(), acc.get())];
    const output = fn.block([
      acc.set(o.bias ? fn.loadI32(m.i32.add(fn.param(4), fn.mulConst(mo.get(), 4))) : fn.i32(0)),
      wPtr.set(m.i32.add(fn.param(1), fn.mulConst(mo.get(), Cg * kernel[0]! * kernel[1]! * kernel[2]! * wb))),
      window,
      ...result,
      yPtr.set(fn.addConst(yPtr.get(), dtypeBytes(outD))),
    ]);
    const r = (v: Expr) => roundTo(fn, scaleD, v);
    const channel = [
      mo.set(m.i32.add(fn.mulConst(grp.get(), Mg), mg.get())),
      wZp.set(o.wZp ? loadInt(fn, wd, paramAt(o.wZp, 3, channelIndex(o.wZp))) : fn.i32(0)),
      ...(qlinear
        ? [mult.set(r(m.f32.div(r(m.f32.mul(loadFloat(fn, o.xScale!.dtype, fn.param(5)), loadFloat(fn, o.wScale!.dtype, paramAt(o.wScale!, 6, channelIndex(o.wScale))))), loadFloat(fn, o.yScale!.dtype, fn.param(7)))))]
        : []),
      fn.for(oc[0]!, 0, out[0]!, 1, [fn.for(oc[1]!, 0, out[1]!, 1, [fn.for(oc[2]!, 0, out[2]!, 1, [output])])]),
    ];
    return fn.block([
      yPtr.set(fn.param(9)),
      xZp.set(o.xZp ? loadInt(fn, xd, fn.param(2)) : fn.i32(0)),
      fn.for(b, 0, batch, 1, [fn.for(grp, 0, group, 1, [fn.for(mg, 0, Mg, 1, channel)])]),
    ]);
  }

  const addr = (v: Value | null | undefined) => (v ? ctx.addressOf(v) : 0);
  return ctx.call(name, [addr(o.x), addr(o.w), addr(o.xZp), addr(o.wZp), addr(o.bias), addr(o.xScale), addr(o.wScale), addr(o.yScale), addr(o.yZp), addr(y)]);
}
