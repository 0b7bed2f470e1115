import binaryen from 'binaryen';
import { getAttr, type Node } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { convGeometry, type ConvGeometry } from '../../../shared/conv-geometry.js';
import { PairTile, widenIntoPairPlanes, type PairPlanes } from './conv-lanes.js';
import { emitLaneConvCall, narrowTo8, type LaneConvOperands, type Requantizer } from './conv-requantize.js';
import { qOutputOf } from './numeric.js';

type Expr = binaryen.ExpressionRef;

/**
 * 3x3 stride-1 QConv by integer Winograd F(2x2, 3x3), exact: with G' = 2G (integer) the weights transform to
 * U = G' g G'^T = 4·G g G^T, the zero-point-shifted input tiles to V = B^T d B (sums and differences), and
 * A^T (Σ_c U ⊙ V) A is 4x the convolution — exactly, in wrapping i32, because 4x the true sum fits in i32
 * (checked per layer). An arithmetic shift by 2 then gives the exact accumulator, which is requantized as
 * everywhere else. 16 multiplies per 4 outputs instead of 36.
 *
 *  1. Widen x into channel-pair planes (conv-lanes.ts), with room for whole tiles.
 *  2. Input transform, 4 tiles per vector (tile t = ty·TXv + tx: its 4x4 window starts at row 2ty, column
 *     2tx); V is written as 16 planes (one per ξ = 4i + j) of panels [8 tiles][pair], as the GEMM reads them.
 *  3. 16 GEMMs with tiles in lanes (i32x4.dot_i16x8_s on channel pairs, 4 channels x 8 tiles per register
 *     tile) into M[ξ][m][t] (i32).
 *  4. Output transform per channel and 4 tiles, >> 2, bias, requantization, 2x2 outputs per tile stored.
 */

const PAIR = 4;
const TILE = 8;

/** The layout both integer Winograd kernels share (conv-winograd4.ts takes m = 4). */
export interface WinogradPlan extends PairPlanes {
  /** Output tile size and its transform's size (m + 2). */
  m: 2 | 4;
  alpha: number;
  /** Tile rows, real tile columns and tile columns rounded up to 4 (a vector), tiles rounded up to 8. */
  TY: number;
  TX: number;
  TXv: number;
  T8: number;
  /** Output channel blocks of 4. */
  blocks: number;
  /** Scratch layout: the alpha² planes of V, then those of M. */
  vOffset: number;
  vPlaneBytes: number;
  mOffset: number;
  mPlaneBytes: number;
  scratchBytes: number;
}

export function winogradPlanOf(g: ConvGeometry, tile: 2 | 4): WinogradPlan {
  const alpha = tile + 2;
  const planes = alpha * alpha;
  const Cp = Math.ceil(g.Cg / 2);
  const TY = Math.ceil(g.OH / tile);
  const TX = Math.ceil(g.OW / tile);
  const TXv = Math.ceil(TX / 4) * 4;
  const T8 = Math.ceil((TY * TXv) / TILE) * TILE;
  // The input transform of 4 tiles reads whole vectors from tile·tx (12 columns for F(2x2), 20 for F(4x4));
  // the last tile row reads rows up to tile·TY + 1.
  const Hp = Math.max(g.H + g.PT + g.PB, tile * TY + 2) + 1;
  const Wp = Math.max(g.W + g.PL + g.PR, tile * TXv + 4);
  const xiBytes = Cp * Hp * Wp * PAIR + 64 * PAIR;
  const blocks = Math.ceil(g.Mg / 4);
  // A cache line between planes: their sizes are mostly multiples of 4 KiB, and the transforms touch every
  // plane at the same place at once, which would map all of them to one cache set.
  const vPlaneBytes = T8 * Cp * PAIR + 64;
  const mPlaneBytes = blocks * 4 * T8 * 4 + 64;
  const vOffset = Math.ceil(xiBytes / 16) * 16;
  const mOffset = vOffset + planes * vPlaneBytes;
  return { g, m: tile, alpha, Cp, Hp, Wp, xiBytes, TY, TX, TXv, T8, blocks, vOffset, vPlaneBytes, mOffset, mPlaneBytes, scratchBytes: mOffset + planes * mPlaneBytes };
}

/** The largest |x - x_zp| and |w - w_zp| of the node's dtypes and zero points. */
export function magnitudes(node: Node): { x: number; w: number } {
  const span = (dtype: string, zp: number) => (dtype === 'u8' ? Math.max(zp, 255 - zp) : Math.max(zp + 128, 127 - zp));
  return { x: span(node.inputs[0]!.type.dtype, getAttr<number>(node, 'x_zero_point')), w: span(node.inputs[1]!.type.dtype, getAttr<number>(node, 'w_zero_point')) };
}

/** The geometry of a QConv both integer Winograd kernels can take (3x3, stride 1, no dilation, one group, requantized output), or why not. */
export function winogradShapeOf(node: Node): ConvGeometry | string {
  const g = convGeometry(node);
  if (typeof g === 'string') return g;
  if (node.inputs[0]!.type.shape.length !== 4) return 'not 2-D';
  if (g.KH !== 3 || g.KW !== 3 || g.SH !== 1 || g.SW !== 1 || g.DH !== 1 || g.DW !== 1 || g.group !== 1) return 'not a 3x3 stride-1 convolution';
  if (!node.inputs[3] || qOutputOf(node).dtype === 'i32') return 'no requantization';
  if (g.OH < 4 || g.OW < 4) return 'maps too small to pay';
  return g;
}

/** null when the Winograd kernel takes this QConv: winogradShapeOf, sums in range. */
export function winogradConvUnsuited(node: Node): string | null {
  const g = winogradShapeOf(node);
  if (typeof g === 'string') return g;
  const { x, w } = magnitudes(node);
  // |4 x (true sum)| < 2^31, and the transformed operands fit i16 (|V| <= 4|x|, |U| <= 9|w|).
  if (4 * 9 * g.Cg * x * w >= 2 ** 31 || 4 * x > 32767 || 9 * w > 32767) return 'accumulators could overflow';
  return null;
}

export function winogradScratchBytes(node: Node): number {
  return winogradPlanOf(convGeometry(node) as ConvGeometry, 2).scratchBytes;
}

const G2 = [
  [2, 0, 0],
  [1, 1, 1],
  [1, -1, 1],
  [0, 0, 2],
];

/**
 * U[ξ] = G' g G'^T of (w - w_zp) for an integer G' (alpha x 3), packed per ξ as the lane GEMM reads weights:
 * [ξ][block of 4][pair][4 ch][2 c].
 */
export function packWinogradWeights(node: Node, p: WinogradPlan, G: number[][]): Uint8Array {
  const { g, alpha } = p;
  const w = node.inputs[1]!.data!.data as Int8Array | Uint8Array;
  const wZp = getAttr<number>(node, 'w_zero_point');
  const perXi = p.blocks * p.Cp * 8;
  const out = new Int16Array(alpha * alpha * perXi);
  for (let mg = 0; mg < g.Mg; mg++) {
    for (let c = 0; c < g.Cg; c++) {
      const k = (r: number, s: number) => w[((mg * g.Cg + c) * 3 + r) * 3 + s]! - wZp;
      const [b, lane] = [Math.floor(mg / 4), mg % 4];
      const [cp, half] = [Math.floor(c / 2), c % 2];
      for (let i = 0; i < alpha; i++) {
        for (let j = 0; j < alpha; j++) {
          let sum = 0;
          for (let r = 0; r < 3; r++) for (let s = 0; s < 3; s++) sum += G[i]![r]! * k(r, s) * G[j]![s]!;
          out[(i * alpha + j) * perXi + ((b * p.Cp + cp) * 4 + lane) * 2 + half] = sum;
        }
      }
    }
  }
  return new Uint8Array(out.buffer);
}

export function emitWinogradConv(node: Node, ctx: EmitContext): Expr {
  const p = winogradPlanOf(convGeometry(node) as ConvGeometry, 2);
  const steps = { input: inputTransform, output: outputTransform };
  return emitLaneConvCall(node, ctx, { kernel: 'qconv-winograd', plan: p, weights: packWinogradWeights(node, p, G2), scratchBytes: p.scratchBytes, build: (fn, q, o) => buildWinogradConv(fn, q, o, steps) });
}

/** A Winograd kernel's own transforms (steps 2 and 4); steps 1 and 3 are shared. */
export interface WinogradSteps {
  input(fn: FunctionBuilder, p: WinogradPlan, xi: () => Expr, v: () => Expr): Expr;
  output(fn: FunctionBuilder, p: WinogradPlan, o: LaneConvOperands, requant: Requantizer, mBase: () => Expr, output: () => Expr): Expr;
}

export function buildWinogradConv(fn: FunctionBuilder, p: WinogradPlan, o: LaneConvOperands, steps: WinogradSteps): Expr {
  const m = fn.m;
  const { g } = p;
  const b = fn.i32Local();
  const scratch = (offset: number) => () => fn.addConst(fn.param(6), offset);
  const input = () => m.i32.add(fn.param(0), fn.mulConst(b.get(), g.C * g.H * g.W));
  const output = () => m.i32.add(fn.param(5), fn.mulConst(b.get(), g.M * g.OH * g.OW));
  const requant = o.requant!.make(fn);
  return fn.block([
    ...requant.setup(),
    fn.for(b, 0, g.batch, 1, [
      widenIntoPairPlanes(fn, p, o, input, scratch(0)),
      steps.input(fn, p, scratch(0), scratch(p.vOffset)),
      products(fn, p, scratch(p.vOffset), () => fn.param(1), scratch(p.mOffset)),
      steps.output(fn, p, o, requant, scratch(p.mOffset), output),
    ]),
  ]);
}

/**
 * The loop nest of step 2: per channel pair and group of 4 tiles, `row` is the pair plane at the group's
 * window and `dst` the group's place in V[0] (tile t = ty·TXv + tx goes to panel t >> 3, half t & 4: byte
 * (t >> 3)·Cp·32 + cp·32 + (t & 4)·4).
 */
export function forTileGroups(fn: FunctionBuilder, p: WinogradPlan, xi: () => Expr, v: () => Expr, row: Local, dst: Local, body: Expr[]): Expr {
  const m = fn.m;
  const [cp, ty, tx, t] = Array.from({ length: 4 }, () => fn.i32Local());
  return fn.for(cp, 0, p.Cp, 1, [
    fn.for(ty, 0, p.TY, 1, [
      fn.for(tx, 0, p.TXv, 4, [
        row.set(m.i32.add(xi(), m.i32.add(fn.mulConst(cp.get(), p.Hp * p.Wp * PAIR), fn.mulConst(m.i32.add(fn.mulConst(ty.get(), p.m * p.Wp), fn.mulConst(tx.get(), p.m)), PAIR)))),
        t.set(m.i32.add(fn.mulConst(ty.get(), p.TXv), tx.get())),
        dst.set(
          m.i32.add(
            v(),
            m.i32.add(m.i32.add(fn.mulConst(m.i32.shr_u(t.get(), fn.i32(3)), p.Cp * TILE * PAIR), fn.mulConst(cp.get(), TILE * PAIR)), fn.mulConst(m.i32.and(t.get(), fn.i32(4)), PAIR)),
          ),
        ),
        ...body,
      ]),
    ]),
  ]);
}

type Vec = () => Expr;

/** B^T applied along one axis of a 4-vector of tiles' rows (or columns): d0 - d2, d1 + d2, d2 - d1, d1 - d3. */
function bt(m: binaryen.Module, d: Vec[]): Expr[] {
  const s = m.i16x8;
  return [s.sub(d[0]!(), d[2]!()), s.add(d[1]!(), d[2]!()), s.sub(d[2]!(), d[1]!()), s.sub(d[1]!(), d[3]!())];
}

/** Step 2: V[ξ] panels from the pair planes, 4 tiles (one vector of pairs) at a time. */
function inputTransform(fn: FunctionBuilder, p: WinogradPlan, xi: () => Expr, v: () => Expr): Expr {
  const m = fn.m;
  const [row, dst] = [fn.i32Local(), fn.i32Local()];
  const d = Array.from({ length: 16 }, () => fn.v128Local());
  const e = Array.from({ length: 16 }, () => fn.v128Local());
  const [v0, v1, v2] = [fn.v128Local(), fn.v128Local(), fn.v128Local()];
  const pairs = (lanes: number[]) => lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);
  const body: Expr[] = [];
  for (let r = 0; r < 4; r++) {
    // Tile k of the 4 reads columns 2k + j: even columns from (v0, v1), the rest shifted in from v2.
    body.push(
      v0.set(fn.loadV(row.get(), r * p.Wp * PAIR)),
      v1.set(fn.loadV(row.get(), r * p.Wp * PAIR + 16)),
      v2.set(fn.loadV(row.get(), r * p.Wp * PAIR + 32)),
      d[r * 4]!.set(m.i8x16.shuffle(v0.get(), v1.get(), pairs([0, 2, 4, 6]))),
      d[r * 4 + 1]!.set(m.i8x16.shuffle(v0.get(), v1.get(), pairs([1, 3, 5, 7]))),
      d[r * 4 + 2]!.set(m.i8x16.shuffle(d[r * 4]!.get(), v2.get(), pairs([1, 2, 3, 4]))),
      d[r * 4 + 3]!.set(m.i8x16.shuffle(d[r * 4 + 1]!.get(), v2.get(), pairs([1, 2, 3, 5]))),
    );
  }
  // Rows: e[i][j] = (B^T d)[i][j]; then columns: V[i][j] = (e B)[i][j].
  for (let j = 0; j < 4; j++) bt(m, [0, 1, 2, 3].map((i) => () => d[i * 4 + j]!.get())).forEach((x, i) => body.push(e[i * 4 + j]!.set(x)));
  for (let i = 0; i < 4; i++) {
    bt(m, [0, 1, 2, 3].map((j) => () => e[i * 4 + j]!.get())).forEach((x, j) => body.push(fn.storeV(dst.get(), x, (i * 4 + j) * p.vPlaneBytes)));
  }
  return forTileGroups(fn, p, xi, v, row, dst, body);
}

/** Step 3: M[ξ][m][t] = Σ_pairs U[ξ] · V[ξ] for each of the alpha² ξ, 4 channels x 8 tiles per register tile. */
function products(fn: FunctionBuilder, p: WinogradPlan, v: () => Expr, u: () => Expr, out: () => Expr): Expr {
  const m = fn.m;
  const [xi, blk, panel, xt, wp, dst] = Array.from({ length: 6 }, () => fn.i32Local());
  const pairTile = new PairTile(fn);
  const acc = pairTile.acc;
  const uPerXi = p.blocks * p.Cp * 16;
  const tile = [
    xt.set(m.i32.add(m.i32.add(v(), fn.mulConst(xi.get(), p.vPlaneBytes)), fn.mulConst(panel.get(), p.Cp * TILE * PAIR))),
    wp.set(m.i32.add(u(), m.i32.add(fn.mulConst(xi.get(), uPerXi), fn.mulConst(blk.get(), p.Cp * 16)))),
    ...pairTile.reduce(xt, wp, p.Cp),
    // M[ξ][blk·4 + j][panel·8 ..] as i32.
    dst.set(m.i32.add(m.i32.add(out(), fn.mulConst(xi.get(), p.mPlaneBytes)), m.i32.add(fn.mulConst(blk.get(), 4 * p.T8 * 4), fn.mulConst(panel.get(), TILE * 4)))),
    ...[0, 1, 2, 3].flatMap((j) => [fn.storeV(dst.get(), acc[j * 2]!.get(), j * p.T8 * 4), fn.storeV(dst.get(), acc[j * 2 + 1]!.get(), j * p.T8 * 4 + 16)]),
  ];
  return fn.for(xi, 0, p.alpha * p.alpha, 1, [fn.for(blk, 0, p.blocks, 1, [fn.for(panel, 0, p.T8 / TILE, 1, tile)])]);
}

/** A^T along one axis: m0 + m1 + m2, m1 - m2 - m3 (i32 lanes). */
function at(m: binaryen.Module, v: Vec[]): [Expr, Expr] {
  const s = m.i32x4;
  return [s.add(s.add(v[0]!(), v[1]!()), v[2]!()), s.sub(s.sub(v[1]!(), v[2]!()), v[3]!())];
}

/** Step 4: per output channel and 4 tiles: Y = A^T M A >> 2, + bias, requantize, 2 rows of 8 outputs. */
function outputTransform(fn: FunctionBuilder, p: WinogradPlan, o: LaneConvOperands, requant: Requantizer, mBase: () => Expr, output: () => Expr): Expr {
  const m = fn.m;
  const { g } = p;
  const [ch, ty, tx, src, yRow] = Array.from({ length: 5 }, () => fn.i32Local());
  const f = Array.from({ length: 8 }, () => fn.v128Local());
  const y = Array.from({ length: 4 }, () => fn.v128Local());
  const [biasV, row0, row1] = [fn.v128Local(), fn.v128Local(), fn.v128Local()];
  const M = (xi: number) => () => fn.loadV(src.get(), xi * p.mPlaneBytes);
  const signed = o.out.dtype === 'i8';
  // 4 tiles' two output columns interleaved: bytes [Y_0 lane 0, Y_1 lane 0, Y_0 lane 1, ...].
  const interleave = [0, 4, 1, 5, 2, 6, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const group = (columns: number): Expr[] => {
    const body: Expr[] = [];
    for (let j = 0; j < 4; j++) at(m, [0, 1, 2, 3].map((i) => M(i * 4 + j))).forEach((x, i) => body.push(f[i * 4 + j]!.set(x)));
    for (let i = 0; i < 2; i++) {
      at(m, [0, 1, 2, 3].map((j) => () => f[i * 4 + j]!.get())).forEach((x, j) => body.push(y[i * 2 + j]!.set(m.i32x4.add(m.i32x4.shr_s(x, fn.i32(2)), biasV.get()))));
    }
    for (const v of y) body.push(v.set(requant.apply(v)));
    body.push(
      row0.set(m.i8x16.shuffle(narrowTo8(fn, signed, y[0]!.get(), y[1]!.get()), m.v128.const(new Array(16).fill(0)), interleave)),
      row1.set(m.i8x16.shuffle(narrowTo8(fn, signed, y[2]!.get(), y[3]!.get()), m.v128.const(new Array(16).fill(0)), interleave)),
    );
    const at0 = () => m.i32.add(yRow.get(), fn.mulConst(tx.get(), 2));
    const store = (rowVec: Local, offset: number): Expr[] => fn.storeFirstBytes(at0, () => rowVec.get(), offset, columns);
    body.push(...store(row0, 0));
    // An odd output height: the last tile row has no second output row.
    body.push(g.OH % 2 ? m.if(m.i32.lt_u(fn.addConst(m.i32.shl(ty.get(), fn.i32(1)), 1), fn.i32(g.OH)), fn.block(store(row1, g.OW))) : fn.block(store(row1, g.OW)));
    return body;
  };
  return forOutputTileGroups(fn, p, o, requant, mBase, output, { ch, ty, tx, src, yRow, biasV }, group);
}

/** The locals step 4's loop nest sets for its group body. */
export interface OutputTileLocals {
  ch: Local;
  ty: Local;
  tx: Local;
  /** The group's first M element (channel ch, tiles ty·TXv + tx) in plane 0. */
  src: Local;
  yRow: Local;
  biasV: Local;
}

/**
 * The loop nest of step 4: per output channel (its bias splat in biasV, the requantizer loaded for it) and tile
 * row (yRow at the row's first output row), the groups of 4 tiles at tx (src at their M values), 4·m output columns
 * each but the last.
 */
export function forOutputTileGroups(
  fn: FunctionBuilder,
  p: WinogradPlan,
  o: LaneConvOperands,
  requant: Requantizer,
  mBase: () => Expr,
  output: () => Expr,
  l: OutputTileLocals,
  body: (columns: number) => Expr[],
): Expr {
  const m = fn.m;
  const { g } = p;
  const group = (columns: number): Expr[] => [
    l.src.set(m.i32.add(m.i32.add(mBase(), fn.mulConst(l.ch.get(), p.T8 * 4)), fn.mulConst(m.i32.add(fn.mulConst(l.ty.get(), p.TXv), l.tx.get()), 4))),
    ...body(columns),
  ];
  const fullGroups = Math.floor(g.OW / (4 * p.m)) * 4;
  const lastColumns = g.OW - p.m * fullGroups;
  const param = (index: number) => fn.loadI32(m.i32.add(fn.param(index), fn.mulConst(l.ch.get(), 4)));
  return fn.for(l.ch, 0, g.M, 1, [
    l.biasV.set(o.bias ? m.i32x4.splat(param(2)) : m.v128.const(new Array(16).fill(0))),
    ...requant.load(() => l.ch.get()),
    fn.for(l.ty, 0, p.TY, 1, [
      l.yRow.set(m.i32.add(output(), m.i32.add(fn.mulConst(l.ch.get(), g.OH * g.OW), fn.mulConst(l.ty.get(), p.m * g.OW)))),
      fn.for(l.tx, 0, fullGroups, 4, group(4 * p.m)),
      ...(lastColumns > 0 ? [l.tx.set(fn.i32(fullGroups)), ...group(lastColumns)] : []),
    ]),
  ]);
}
