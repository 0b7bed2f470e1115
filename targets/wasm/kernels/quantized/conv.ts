import binaryen from 'binaryen';
import { dtypeBytes, getAttr, numel, type Node, type Value } from '../../../../ir/index.js';
import { convAttrsOf, convGeometry, type ConvGeometry } from '../../../../ir/ops/onnx-quantization.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { emitDot, packRowsI16, padTo8 } from './dot.js';
import { loadQ, qOutputOf, requantizeI64, storeClamped, storeI16, type QOutput } from './numeric.js';

type Expr = binaryen.ExpressionRef;

/**
 * QConv (1 to 3 spatial axes, seen as 3-D) as an integer GEMM: per batch and group, im2col writes the window
 * of every output pixel as zero-point-shifted i16 (padding is 0 = x_zp - x_zp) into scratch; the constant
 * weights are packed once at compile time as (w - w_zp) i16 rows; emitDot sums with i32x4.dot_i16x8_s; the
 * epilogue adds the bias and requantizes per output channel in i64 (or stores the i32 accumulator).
 */

const EIGHT_BIT = ['i8', 'u8'];
const to3 = (values: readonly number[], fill: number): number[] => [...new Array<number>(3 - values.length).fill(fill), ...values];

function geometryOf(node: Node): ConvGeometry | string {
  return convGeometry(node.inputs[0]!.type.shape, node.inputs[1]!.type.shape, convAttrsOf((name) => getAttr(node, name)));
}

export function checkQConv(node: Node): string | null {
  const [x, w] = node.inputs;
  const rank = x!.type.shape.length;
  if (rank < 3 || rank > 5) return `QConv with ${rank - 2} spatial axes is not supported (1 to 3)`;
  if (!EIGHT_BIT.includes(x!.type.dtype) || !EIGHT_BIT.includes(w!.type.dtype)) return `QConv on ${x!.type.dtype} x ${w!.type.dtype} is not supported (8-bit)`;
  if (!w!.isConstant) return 'QConv weights must be constant (they are packed at compile time)';
  return null;
}

/** Why the convolution's geometry cannot be compiled (asked once shapes are static), or null. */
export function checkQConvGeometry(node: Node): string | null {
  const g = geometryOf(node);
  return typeof g === 'string' ? g : null;
}

interface ConvShape {
  batch: number;
  C: number;
  M: number;
  group: number;
  dims: number[];
  out: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
}

function convShape(node: Node): ConvShape {
  const xs = node.inputs[0]!.type.shape as number[];
  const g = geometryOf(node) as ConvGeometry;
  const n = xs.length - 2;
  return {
    batch: xs[0]!,
    C: xs[1]!,
    M: (node.inputs[1]!.type.shape as number[])[0]!,
    group: getAttr<number>(node, 'group'),
    dims: to3(xs.slice(2), 1),
    out: to3((node.outputs[0]!.type.shape as number[]).slice(2), 1),
    kernel: to3(g.kernel, 1),
    strides: to3(g.strides, 1),
    dilations: to3(g.dilations, 1),
    pads: to3(g.pads.slice(0, n), 0),
  };
}

const kOf = (s: ConvShape) => (s.C / s.group) * s.kernel[0]! * s.kernel[1]! * s.kernel[2]!;
const pixelsOf = (s: ConvShape) => s.out[0]! * s.out[1]! * s.out[2]!;

export function qconvScratchBytes(node: Node): number {
  const s = convShape(node);
  return pixelsOf(s) * padTo8(kOf(s)) * 2;
}

export function emitQConv(node: Node, ctx: EmitContext): Expr {
  const [x, w, bias, mult, shift] = node.inputs;
  const y = node.outputs[0]!;
  const s = convShape(node);
  const K = kOf(s);
  const kPad = padTo8(K);
  const xZp = getAttr<number>(node, 'x_zero_point');
  const wZp = getAttr<number>(node, 'w_zero_point');
  const out = qOutputOf(node);
  const wData = w!.data!.data as Int8Array | Uint8Array;
  const packed = ctx.placeData(`qconv-w:${w!.name}:${wZp}:${kPad}`, packRowsI16(s.M, K, kPad, (r, i) => wData[r * K + i]! - wZp));
  const perChannel = !!mult && numel(mult.type.shape as number[]) > 1;
  const xd = x!.type.dtype;
  const plan = { s, xd, xZp, out, bias: !!bias, mult: !!mult, perChannel };
  // Params: x, packed w, bias, multiplier, shift, y, scratch.
  const name = ctx.defineFunction('qconv', plan, 7, build);

  function build(fn: FunctionBuilder, { s, xd, xZp, out, bias, mult, perChannel }: typeof plan): Expr {
    const [K, P] = [kOf(s), pixelsOf(s)];
    const kPad = padTo8(K);
    const [Cg, Mg] = [s.C / s.group, s.M / s.group];
    const m = fn.m;
    const [b, grp, col, c, xPlane, yBase] = Array.from({ length: 6 }, () => fn.i32Local());
    const oc = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const kc = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const ic = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
    const tmp = fn.local(binaryen.i64);
    const xb = dtypeBytes(xd);
    const { dims, strides, dilations, pads, kernel } = s;
    const inVol = dims[0]! * dims[1]! * dims[2]!;
    const inRange = (l: Local, size: number) => m.i32.lt_u(l.get(), fn.i32(size));
    const coordinate = (a: number) => ic[a]!.set(m.i32.add(fn.addConst(fn.mulConst(oc[a]!.get(), strides[a]!), -pads[a]!), fn.mulConst(kc[a]!.get(), dilations[a]!)));
    const xAt = () => m.i32.add(xPlane.get(), fn.mulConst(m.i32.add(fn.mulConst(m.i32.add(fn.mulConst(ic[0]!.get(), dims[1]!), ic[1]!.get()), dims[2]!), ic[2]!.get()), xb));
    // One tap: padding stays 0 (the scratch was zero-filled).
    const tap = [
      coordinate(2),
      m.if(
        m.i32.and(m.i32.and(inRange(ic[0]!, dims[0]!), inRange(ic[1]!, dims[1]!)), inRange(ic[2]!, dims[2]!)),
        storeI16(fn, col.get(), fn.addConst(loadQ(fn, xd, xAt()), -xZp)),
      ),
      col.set(fn.addConst(col.get(), 2)),
    ];
    const window = fn.for(c, 0, Cg, 1, [
      xPlane.set(m.i32.add(fn.param(0), fn.mulConst(m.i32.add(fn.mulConst(b.get(), s.C), m.i32.add(fn.mulConst(grp.get(), Cg), c.get())), inVol * xb))),
      fn.for(kc[0]!, 0, kernel[0]!, 1, [coordinate(0), fn.for(kc[1]!, 0, kernel[1]!, 1, [coordinate(1), fn.for(kc[2]!, 0, kernel[2]!, 1, tap)])]),
    ]);
    const pixel = [window, col.set(fn.addConst(col.get(), (kPad - K) * 2))];
    const im2col = fn.block([
      fn.fill(fn.param(6), fn.i32(0), fn.i32(P * kPad * 2)),
      col.set(fn.param(6)),
      fn.for(oc[0]!, 0, s.out[0]!, 1, [fn.for(oc[1]!, 0, s.out[1]!, 1, [fn.for(oc[2]!, 0, s.out[2]!, 1, pixel)])]),
    ]);
    const dot = emitDot(fn, {
      rows: P,
      channels: Mg,
      kPad,
      x: () => fn.param(6),
      w: () => m.i32.add(fn.param(1), fn.mulConst(grp.get(), Mg * kPad * 2)),
      epilogue: (ch, p, acc) => {
        const channel = () => m.i32.add(fn.mulConst(grp.get(), Mg), ch());
        const yAt = m.i32.add(yBase.get(), fn.mulConst(m.i32.add(fn.mulConst(channel(), P), p.get()), dtypeBytes(out.dtype)));
        return accumulatorEpilogue(fn, out, { bias, mult, perChannel }, channel, acc, yAt, tmp);
      },
    });
    return fn.for(b, 0, s.batch, 1, [
      yBase.set(m.i32.add(fn.param(5), fn.mulConst(b.get(), s.M * P * dtypeBytes(out.dtype)))),
      fn.for(grp, 0, s.group, 1, [im2col, dot]),
    ]);
  }

  const addr = (v: Value | null | undefined) => (v ? ctx.addressOf(v) : 0);
  return ctx.call(name, [addr(x), packed, addr(bias), addr(mult), addr(shift), addr(y), ctx.scratch(qconvScratchBytes(node))]);
}

/**
 * acc += bias[c]; then the i32 accumulator, or clamp(requantize(acc, M[c], S[c]) + zp). Params 2, 3, 4 are the
 * bias, multiplier and shift addresses (QConv and QMatMul share this layout).
 */
export function accumulatorEpilogue(
  fn: FunctionBuilder,
  out: QOutput,
  has: { bias: boolean; mult: boolean; perChannel: boolean },
  channel: () => Expr,
  acc: Local,
  yAt: Expr,
  tmp: Local,
): Expr[] {
  const m = fn.m;
  const stmts: Expr[] = [];
  if (has.bias) stmts.push(acc.set(m.i32.add(acc.get(), fn.loadI32(m.i32.add(fn.param(2), fn.mulConst(channel(), 4))))));
  if (!has.mult) return [...stmts, fn.storeI32(yAt, acc.get())];
  const index = () => (has.perChannel ? fn.mulConst(channel(), 4) : fn.i32(0));
  const t = requantizeI64(fn, acc.get(), fn.loadI32(m.i32.add(fn.param(3), index())), () => fn.loadI32(m.i32.add(fn.param(4), index())));
  return [...stmts, ...storeClamped(fn, out, yAt, t, tmp)];
}
