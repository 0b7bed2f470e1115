import type binaryen from 'binaryen';
import { getAttr, type Node } from '../../../../ir/index.js';
import { windowGeometry, windowOutputDim } from '../../../../ir/ops/nn.js';
import type { FunctionBuilder } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { activationOf, CONV_MR, CONV_NR, convOperands, convTerms, convWeightsAddress, P, type ConvActivation, type ConvTerms } from './conv-operands.js';
import { validRange } from '../../../shared/conv-geometry.js';
import { copyFloats, zeroFloats } from './conv-im2col.js';
import { emitGemm, packedALayout, type GemmLayout } from '../gemm/gemm-core.js';

type Expr = binaryen.ExpressionRef;

/**
 * 3-D Conv / FusedConv (NCDHW f32): per group, the GEMM W[Mg × Cg·KD·KH·KW] · cols[Cg·KD·KH·KW × OD·OH·OW] on the
 * shared GEMM core (gemm-core.ts), with cols an im2col of a band of output depth planes in scratch — the 2-D
 * path of conv.ts with one more axis. Bias, residual and activation are applied as the GEMM stores its tiles.
 */

export interface Conv3dGeometry {
  batch: number;
  C: number;
  M: number;
  group: number;
  Cg: number;
  Mg: number;
  K: number;
  /** [depth, height, width] of the input, output, kernel, strides, dilations and begin pads. */
  in: [number, number, number];
  out: [number, number, number];
  kernel: [number, number, number];
  strides: [number, number, number];
  dilations: [number, number, number];
  pads: [number, number, number];
}

const triple = (v: readonly number[]): [number, number, number] => [v[0]!, v[1]!, v[2]!];

export function conv3dGeometry(node: Node): Conv3dGeometry | string {
  const x = node.inputs[0]!.type;
  const w = node.inputs[1]!.type;
  if (x.dtype !== 'f32') return `only f32 convolutions are supported, got ${x.dtype}`;
  for (const extra of node.inputs.slice(2)) if (extra && extra.type.dtype !== 'f32') return `operand %${extra.name} must be f32`;
  const xs = x.shape as number[];
  const ws = w.shape as number[];
  let problem: string | null = null;
  const onFail = (m: string): never => {
    problem = m;
    throw new Error(m);
  };
  try {
    const g = windowGeometry({ attr: <T,>(name: string) => getAttr(node, name) as T } as never, xs.slice(2), onFail, ws.slice(2));
    const out = xs.slice(2).map((d, i) => windowOutputDim(d, g, i, false, onFail) as number);
    const group = getAttr<number>(node, 'group');
    const [C, M] = [xs[1]!, ws[0]!];
    const [Cg, Mg] = [C / group, M / group];
    if (!Number.isInteger(Cg) || !Number.isInteger(Mg)) return `group ${group} does not divide the channels`;
    return {
      batch: xs[0]!,
      C,
      M,
      group,
      Cg,
      Mg,
      K: Cg * g.kernel.reduce((a, b) => a * b, 1),
      in: triple(xs.slice(2)),
      out: triple(out),
      kernel: triple(g.kernel),
      strides: triple(g.strides),
      dilations: triple(g.dilations),
      pads: triple(g.pads.slice(0, 3)),
    };
  } catch (e) {
    return problem ?? (e as Error).message;
  }
}

/** Bytes of im2col columns per band. */
const BAND_BYTES = 256 * 1024;

function bandPlanes(g: Conv3dGeometry): number {
  const plane = g.out[1] * g.out[2];
  return Math.max(1, Math.min(g.out[0], Math.floor(BAND_BYTES / (g.K * plane * 4))));
}

const bandStride = (g: Conv3dGeometry, planes: number) => Math.ceil((planes * g.out[1] * g.out[2]) / CONV_NR) * CONV_NR;

export function conv3dScratchBytes(g: Conv3dGeometry): number {
  return g.K * bandStride(g, bandPlanes(g)) * 4 + 64;
}

/**
 * im2col of output depth planes [od0, od0 + planes) of one group: row (c·taps + tap) holds, for each output
 * position of those planes, the input value the tap reads (0 in padding); rows are `stride` floats apart.
 */
function emitIm2col3d(fn: FunctionBuilder, g: Conv3dGeometry, x: () => Expr, dst: () => Expr, od0: () => Expr, planes: number, stride: number): Expr {
  const m = fn.m;
  const [D, H, W] = g.in;
  const [, OH, OW] = g.out;
  const [KD, KH, KW] = g.kernel;
  const [SD, SH, SW] = g.strides;
  const [DD, DH, DW] = g.dilations;
  const [PF, PT, PL] = g.pads;
  const taps = KD * KH * KW;
  const [c, r, oh, id, ih] = [fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const body: Expr[] = [];
  for (let kd = 0; kd < KD; kd++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const tap = (kd * KH + kh) * KW + kw;
        const offset = kw * DW - PL;
        const [lo, hi] = validRange(OW, SW, offset, W);
        const row = () => fn.m.i32.add(fn.addConst(fn.m.i32.add(dst(), fn.mulConst(c.get(), taps * stride * 4)), tap * stride * 4), fn.mulConst(fn.m.i32.add(fn.mulConst(r.get(), OH), oh.get()), OW * 4));
        const srcRow = () => fn.m.i32.add(fn.m.i32.add(x(), fn.mulConst(c.get(), D * H * W * 4)), fn.mulConst(fn.m.i32.add(fn.mulConst(id.get(), H), ih.get()), W * 4));
        const inside: Expr[] = [zeroFloats(fn, row, lo)];
        if (hi > lo) {
          const src = () => fn.addConst(srcRow(), (lo * SW + offset) * 4);
          const d = () => fn.addConst(row(), lo * 4);
          if (SW === 1) inside.push(copyFloats(fn, d, src, hi - lo));
          else {
            const q = fn.i32Local();
            inside.push(fn.for(q, 0, hi - lo, 1, [fn.storeF(fn.m.i32.add(d(), fn.mulConst(q.get(), 4)), fn.loadF(fn.m.i32.add(src(), fn.mulConst(q.get(), SW * 4))))]));
          }
        }
        inside.push(zeroFloats(fn, () => fn.addConst(row(), hi * 4), OW - hi));
        body.push(
          fn.for(r, 0, planes, 1, [
            id.set(fn.addConst(fn.mulConst(fn.m.i32.add(od0(), r.get()), SD), kd * DD - PF)),
            fn.for(oh, 0, OH, 1, [
              ih.set(fn.addConst(fn.mulConst(oh.get(), SH), kh * DH - PT)),
              m.if(m.i32.and(m.i32.lt_u(id.get(), fn.i32(D)), m.i32.lt_u(ih.get(), fn.i32(H))), fn.block(inside), zeroFloats(fn, row, OW)),
            ]),
          ]),
        );
      }
    }
  }
  return fn.for(c, 0, g.Cg, 1, body);
}

export function emitConv3d(node: Node, g: Conv3dGeometry, ctx: EmitContext): Expr {
  const w = node.inputs[1]!;
  const act = activationOf(node);
  const packed = !!w.data;
  const wAddr = convWeightsAddress(w, g, ctx);
  const call = convOperands(node, ctx, wAddr, conv3dScratchBytes(g));
  const plan = { g, act, packed, hasBias: call.hasBias, hasZ: call.hasZ };
  const name = ctx.defineFunction('conv3d-gemm', plan, 6, (fn, p) => conv3dBody(fn, p.g, p, p.act, p.packed));
  return ctx.call(name, call.args);
}

function conv3dBody(fn: FunctionBuilder, g: Conv3dGeometry, call: ConvTerms, act: ConvActivation, packed: boolean): Expr {
  const n = fn.i32Local();
  const grp = fn.i32Local();
  const band = fn.i32Local();
  const inVol = g.in[0] * g.in[1] * g.in[2];
  const plane = g.out[1] * g.out[2];
  const outVol = g.out[0] * plane;
  const panelRows = Math.ceil(g.Mg / CONV_MR) * CONV_MR;
  const xG = () => fn.m.i32.add(fn.param(P.x), fn.m.i32.add(fn.mulConst(n.get(), g.C * inVol * 4), fn.mulConst(grp.get(), g.Cg * inVol * 4)));
  const yOffset = () => fn.m.i32.add(fn.mulConst(n.get(), g.M * outVol * 4), fn.mulConst(grp.get(), g.Mg * outVol * 4));
  const aG = () => fn.m.i32.add(fn.param(P.w), fn.mulConst(grp.get(), (packed ? panelRows : g.Mg) * g.K * 4));
  const biasG = () => fn.m.i32.add(fn.param(P.bias), fn.mulConst(grp.get(), g.Mg * 4));
  const aLayout = packed ? packedALayout(g.K, CONV_MR) : { mr: CONV_MR, aPanel: g.K * 4, aRow: g.K * 4, aK: 4 };
  const planes = bandPlanes(g);
  const bands = Math.ceil(g.out[0] / planes);
  const lastPlanes = g.out[0] - (bands - 1) * planes;
  const stride = bandStride(g, planes);
  const cols = () => fn.param(P.scratch);
  const bandBody = (od0: () => Expr, count: number) => {
    const at = () => fn.m.i32.add(yOffset(), fn.mulConst(od0(), plane * 4));
    const layout: GemmLayout = { M: g.Mg, K: g.K, ...aLayout, nr: CONV_NR, cRow: outVol * 4, N: count * plane, bTile: CONV_NR * 4, bK: stride * 4, bPadded: true };
    return fn.block([
      emitIm2col3d(fn, g, xG, cols, od0, count, stride),
      emitGemm(fn, layout, { a: aG, b: cols, c: () => fn.m.i32.add(fn.param(P.y), at()) }, {
        alpha: 1,
        terms: convTerms(fn, call, biasG, () => fn.m.i32.add(fn.param(P.z), at()), outVol * 4),
        activation: act,
      }),
    ]);
  };
  const parts: Expr[] = [];
  if (bands > 1) parts.push(fn.for(band, 0, (bands - 1) * planes, planes, [bandBody(() => band.get(), planes)]));
  parts.push(bandBody(() => fn.i32((bands - 1) * planes), lastPlanes));
  return fn.for(n, 0, g.batch, 1, [fn.for(grp, 0, g.group, 1, [fn.block(parts)])]);
}
