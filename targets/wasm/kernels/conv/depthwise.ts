import type binaryen from 'binaryen';
import type { Node } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { applyActivationV } from '../activation.js';
import type { ConvGeometry } from '../../../shared/conv-geometry.js';
import { copyFloats } from './conv-im2col.js';
import { activationOf, convOperands, P } from './conv-operands.js';
import { loadLanes, storeLanes } from '../gemm/gemm-core.js';

type Expr = binaryen.ExpressionRef;

/**
 * Depthwise convolution (group = C = M): each channel convolved with its own KH×KW filter, computed directly
 * with four adjacent output columns per f32x4. Every channel is first copied into a zero-bordered plane in
 * scratch, so the tap loops have no edge tests; stride 2 loads eight inputs and keeps the even lanes with one
 * shuffle, other strides gather lanes. Bias, residual and activation are applied before the single store.
 */

export function isDepthwise(g: ConvGeometry): boolean {
  return g.group > 1 && g.group === g.C && g.group === g.M;
}

interface Plan {
  Hp: number;
  Wp: number;
  groups: number;
}

function planOf(g: ConvGeometry): Plan {
  const groups = Math.ceil(g.OW / 4);
  const Hp = g.H + g.PT + g.PB + g.DH * 0 + 1;
  // The last group's vectors reach column (4·groups - 1)·SW + (KW - 1)·DW (+ 4 for the stride-2 pair loads).
  const reach = (4 * groups - 1) * g.SW + (g.KW - 1) * g.DW + 8;
  const Wp = Math.ceil(Math.max(reach, g.W + g.PL + g.PR) / 4) * 4;
  return { Hp: Math.max(Hp, (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1), Wp, groups };
}

export function depthwiseScratchBytes(g: ConvGeometry): number {
  const p = planOf(g);
  return p.Hp * p.Wp * 4 + 64;
}

export function emitDepthwise(node: Node, g: ConvGeometry, ctx: EmitContext): Expr {
  const w = node.inputs[1]!;
  const act = activationOf(node);
  const call = convOperands(node, ctx, ctx.addressOf(w), depthwiseScratchBytes(g));
  const plan = { g, act, hasBias: call.hasBias, hasZ: call.hasZ };
  const name = ctx.defineFunction('conv-depthwise', plan, 6, (fn, p) => depthwiseBody(fn, p.g, planOf(p.g), p.act, p.hasBias, p.hasZ));
  return ctx.call(name, call.args);
}

function shuffle32(fn: FunctionBuilder, a: Expr, b: Expr, lanes: readonly number[]): Expr {
  const mask: number[] = [];
  for (const l of lanes) for (let k = 0; k < 4; k++) mask.push(l * 4 + k);
  return fn.m.i8x16.shuffle(a, b, mask);
}

function depthwiseBody(
  fn: FunctionBuilder,
  g: ConvGeometry,
  p: Plan,
  act: { name: string; params: readonly number[] },
  hasBias: boolean,
  hasZ: boolean,
): Expr {
  const mm = fn.m;
  const f = mm.f32x4;
  const n = fn.i32Local();
  const c = fn.i32Local();
  const r = fn.i32Local();
  const oh = fn.i32Local();
  const ow = fn.i32Local();
  const inRow = fn.i32Local();
  const outRow = fn.i32Local();
  const acc = fn.v128Local();
  const taps = g.KH * g.KW;
  const wv: Local[] = taps <= 9 ? Array.from({ length: taps }, () => fn.v128Local()) : [];
  const plane = () => fn.param(P.scratch);
  const nc = () => fn.m.i32.add(fn.mulConst(n.get(), g.C), c.get());

  // Plane row q holds input row q - PT at columns [PL, PL + W); the rest stays zero from the fill.
  const copy = fn.for(r, 0, g.H, 1, [
    copyFloats(
      fn,
      () => fn.addConst(fn.m.i32.add(plane(), fn.mulConst(r.get(), p.Wp * 4)), (g.PT * p.Wp + g.PL) * 4),
      () => fn.m.i32.add(fn.m.i32.add(fn.param(P.x), fn.mulConst(nc(), g.H * g.W * 4)), fn.mulConst(r.get(), g.W * 4)),
      g.W,
    ),
  ]);
  const weight = (t: number): Expr => (wv.length ? wv[t]!.get() : fn.loadSplat(fn.m.i32.add(fn.param(P.w), fn.mulConst(c.get(), taps * 4)), t * 4));
  const loadWeights = wv.map((l, t) => l.set(fn.loadSplat(fn.m.i32.add(fn.param(P.w), fn.mulConst(c.get(), taps * 4)), t * 4)));

  /** Four outputs at columns ow .. ow+3 of row oh; inRow = plane address of row oh·SH. */
  const input = (kh: number, kw: number): Expr => {
    const at = () => fn.m.i32.add(inRow.get(), fn.mulConst(ow.get(), g.SW * 4));
    const off = (kh * g.DH * p.Wp + kw * g.DW) * 4;
    if (g.SW === 1) return fn.loadV(at(), off);
    if (g.SW === 2) return shuffle32(fn, fn.loadV(at(), off), fn.loadV(at(), off + 16), [0, 2, 4, 6]);
    let v = mm.f32x4.splat(fn.loadF(at(), off));
    for (let l = 1; l < 4; l++) v = mm.f32x4.replace_lane(v, l, fn.loadF(at(), off + l * g.SW * 4));
    return v;
  };
  const group = (lanes: number): Expr => {
    const s: Expr[] = [];
    let x: Expr = hasBias ? fn.loadSplat(fn.m.i32.add(fn.param(P.bias), fn.mulConst(c.get(), 4))) : fn.splat(0);
    for (let kh = 0; kh < g.KH; kh++) {
      for (let kw = 0; kw < g.KW; kw++) x = f.add(x, f.mul(weight(kh * g.KW + kw), input(kh, kw)));
    }
    if (hasZ) x = f.add(x, loadLanes(fn, () => fn.m.i32.add(fn.m.i32.add(fn.param(P.z), outRow.get()), fn.mulConst(ow.get(), 4)), 0, lanes));
    s.push(acc.set(applyActivationV(fn, act.name, act.params, x)));
    s.push(storeLanes(fn, () => fn.m.i32.add(fn.m.i32.add(fn.param(P.y), outRow.get()), fn.mulConst(ow.get(), 4)), 0, acc, lanes));
    return fn.block(s);
  };
  const full = Math.floor(g.OW / 4);
  const rem = g.OW - full * 4;
  const row: Expr[] = [
    inRow.set(fn.m.i32.add(plane(), fn.mulConst(oh.get(), g.SH * p.Wp * 4))),
    outRow.set(fn.m.i32.add(fn.mulConst(nc(), g.OH * g.OW * 4), fn.mulConst(oh.get(), g.OW * 4))),
  ];
  if (full > 0) row.push(fn.for(ow, 0, full * 4, 4, [group(4)]));
  if (rem > 0) row.push(fn.block([ow.set(fn.i32(full * 4)), group(rem)]));
  const perChannel = [copy, ...loadWeights, fn.for(oh, 0, g.OH, 1, row)];
  return fn.block([
    fn.fill(plane(), fn.i32(0), fn.i32(p.Hp * p.Wp * 4)),
    fn.for(n, 0, g.batch, 1, [fn.for(c, 0, g.C, 1, perChannel)]),
  ]);
}
