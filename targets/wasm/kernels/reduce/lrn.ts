import binaryen from 'binaryen';
import { getAttr, numel, type Node } from '../../../../ir/index.js';
import { lrnWindow } from '../../../../ir/ops/nn.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { WasmKernel } from '../../kernel.js';
import { powConstV } from '../elementwise/elementwise-f32.js';
import { LANES, loadPartial, storePartial } from './reduce-simd.js';

/**
 * LRN (f32), vectorized across the spatial positions of a channel plane:
 *   y[n, c, s] = x[n, c, s] * (bias + alpha/size * sum_{k in window(c)} x[n, k, s]^2)^-beta
 * For each (n, c) the window [max(0, c - before), min(C - 1, c + after)] is found at run time and each group of
 * four positions sums its taps' squares in one f32x4 (taps a plane apart), so the sum runs in the reference's
 * order, one rounding per tap. The power is exp(-beta ln base) (powConstV; base > 0 whenever bias > 0). A plane
 * that is not a multiple of four ends with a partial vector that reads and writes only its floats.
 */

type Expr = binaryen.ExpressionRef;

interface LrnPlan {
  batch: number;
  channels: number;
  vol: number;
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}

function planOf(node: Node): LrnPlan {
  const shape = node.inputs[0]!.type.shape as number[];
  return {
    batch: shape[0]!,
    channels: shape[1]!,
    vol: numel(shape.slice(2)),
    size: getAttr<number>(node, 'size'),
    alpha: getAttr<number>(node, 'alpha'),
    beta: getAttr<number>(node, 'beta'),
    bias: getAttr<number>(node, 'bias'),
  };
}

/** Params: X, Y. */
function buildLrn(fn: FunctionBuilder, p: LrnPlan): Expr {
  const m = fn.m;
  const f = m.f32x4;
  const plane = p.vol * 4;
  const { before, after } = lrnWindow(p.size);
  const [n, c, lo, taps, k, s] = [0, 1, 2, 3, 4, 5].map(() => fn.i32Local()) as [Local, Local, Local, Local, Local, Local];
  const [xc, yc, win, tap] = [0, 1, 2, 3].map(() => fn.i32Local()) as [Local, Local, Local, Local];
  const acc = fn.v128Local();
  const v = fn.v128Local();
  const base = fn.v128Local();
  const out = fn.v128Local();
  /** One group of `lanes` positions at xc / yc / win (the window's first plane). */
  const group = (lanes: number): Expr[] => [
    acc.set(fn.splat(0)),
    tap.set(win.get()),
    fn.forRuntime(k, fn.i32(0), () => taps.get(), 1, [
      v.set(loadPartial(fn, tap, 0, lanes)),
      acc.set(f.add(acc.get(), f.mul(v.get(), v.get()))),
      tap.set(fn.addConst(tap.get(), plane)),
    ]),
    base.set(f.add(fn.splat(p.bias), f.mul(acc.get(), fn.splat(p.alpha / p.size)))),
    out.set(f.mul(loadPartial(fn, xc, 0, lanes), powConstV(fn, () => base.get(), -p.beta))),
    storePartial(fn, yc, 0, out, lanes),
  ];
  const vectors = Math.floor(p.vol / LANES);
  const rest = p.vol - vectors * LANES;
  const advance = (bytes: number) => [xc, yc, win].map((l) => l.set(fn.addConst(l.get(), bytes)));
  const channel: Expr[] = [
    // lo = max(0, c - before); taps = min(C - 1, c + after) - lo + 1
    lo.set(m.select(m.i32.lt_s(c.get(), fn.i32(before)), fn.i32(0), fn.addConst(c.get(), -before))),
    taps.set(
      m.i32.sub(m.select(m.i32.gt_s(fn.addConst(c.get(), after), fn.i32(p.channels - 1)), fn.i32(p.channels), fn.addConst(c.get(), after + 1)), lo.get()),
    ),
    xc.set(m.i32.add(fn.param(0), fn.mulConst(m.i32.add(fn.mulConst(n.get(), p.channels), c.get()), plane))),
    yc.set(m.i32.add(fn.param(1), fn.mulConst(m.i32.add(fn.mulConst(n.get(), p.channels), c.get()), plane))),
    win.set(m.i32.add(fn.param(0), fn.mulConst(m.i32.add(fn.mulConst(n.get(), p.channels), lo.get()), plane))),
    fn.for(s, 0, vectors, 1, [...group(LANES), ...advance(16)]),
  ];
  if (rest > 0) channel.push(...group(rest));
  return fn.for(n, 0, p.batch, 1, [fn.for(c, 0, p.channels, 1, channel)]);
}

export const lrnKernels: WasmKernel = {
  ops: ['LRN'],
  check(node) {
    for (const v of [node.inputs[0], node.outputs[0]]) {
      if (v && v.type.dtype !== 'f32') return `LRN on ${v.type.dtype} is not supported (f32 only)`;
    }
    return null;
  },
  checkDims: (node) => (numel(node.inputs[0]!.type.shape as number[]) === 0 ? 'empty tensors are not supported' : null),
  emit(node, ctx) {
    const name = ctx.defineFunction('lrn', planOf(node), 2, buildLrn);
    return ctx.call(name, [ctx.addressOf(node.inputs[0]!), ctx.addressOf(node.outputs[0]!)]);
  },
};
