import binaryen from 'binaryen';
import { getAttr, type Node } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import type { ConvGeometry } from '../../../shared/conv-geometry.js';
import { emitLaneConvCall, type LaneConvOperands, type Requantizer } from './conv-requantize.js';
import { buildWinogradConv, forOutputTileGroups, forTileGroups, magnitudes, packWinogradWeights, winogradPlanOf, winogradShapeOf, type WinogradPlan } from './conv-winograd.js';
import { winogradMatrices } from '../conv/winograd.js';

type Expr = binaryen.ExpressionRef;

/**
 * 3x3 stride-1 QConv by integer Winograd F(4x4, 3x3), exact. The rows of Lavin's G (points 0, ±1, ±2, ∞)
 * scaled by s = (4, 6, 6, 24, 24, 1) are integers (G4), so U' = G4 g G4^T = diag(s) U diag(s). With
 * V = B^T d B of the zero-point-shifted input and M' = Σ_c U' ⊙ V = diag(s) M diag(s), the output is
 * 576·y = A4^T M' A4 with A4^T = A^T diag(24 / s) = A^T diag(6, 4, 4, 1, 1, 24), all integers.
 *
 * Everything after the products is wrapping i32, so it yields 576·y mod 2^32; times the inverse of 9 mod 2^32
 * that is 64·y mod 2^32, and an arithmetic shift by 6 gives y exactly when |y| < 2^25 — checked per layer
 * and output channel from the weights and the input's range (else the F(2x2) kernel, conv-winograd.ts,
 * takes the layer). |U'| <= 49|w| and |V| <= 100|x| fit i16, and a pair of their products fits i32, so the
 * products are i32x4.dot_i16x8_s on channel pairs as in F(2x2): 36 multiplies per 16 outputs instead of 64.
 *
 *  1. Widen x into channel-pair planes (conv-lanes.ts), with room for whole tiles.
 *  2. Input transform, 4 tiles per vector (tile t = ty·TXv + tx: its 6x6 window starts at row 4ty, column
 *     4tx), in i16 lanes; V is written as 36 planes (ξ = 6i + j) of panels [8 tiles][pair].
 *  3. 36 GEMMs (conv-winograd.ts) into M[ξ][m][t] (i32).
 *  4. Output transform per channel and 4 tiles, · 9^-1 >> 6, bias, requantization, 4 rows of 16 outputs.
 */

const PAIR = 4;
const XI = 36;

/** G' = diag(s) G: integer rows. */
export const G4 = [
  [1, 0, 0],
  [-1, -1, -1],
  [-1, 1, -1],
  [1, 2, 4],
  [1, -2, 4],
  [0, 0, 1],
];
/** B^T of the input transform (already integer). */
export const BT4 = winogradMatrices(4).BT;
/** A^T diag(24 / s): 576 times the output transform of M'. */
export const AT4 = winogradMatrices(4).AT.map((row) => row.map((a, j) => a * [6, 4, 4, 1, 1, 24][j]!));
/** 9^-1 mod 2^32 (as a signed i32): 576·y · 9^-1 = 64·y (mod 2^32). */
export const INV9 = 0x38e38e39;
/** |y| below this bound makes 64·y an i32, so the shift recovers y. */
export const Y_BOUND = 2 ** 25;

/** Tiles (lanes) the GEMMs compute for a tile size: F(4x4) pays where its 36 planes cover fewer than F(2x2)'s 16. */
const gemmWork = (g: ConvGeometry, tile: 2 | 4): number => {
  const p = winogradPlanOf(g, tile);
  return p.alpha * p.alpha * p.T8;
};

/**
 * null when the F(4x4) kernel takes this QConv: winogradShapeOf, less GEMM work than F(2x2), and for every
 * output channel Σ |w - w_zp| · max |x - x_zp| < 2^25 (so the exact sum survives the scaling by 64).
 */
export function winograd4ConvUnsuited(node: Node): string | null {
  const g = winogradShapeOf(node);
  if (typeof g === 'string') return g;
  if (gemmWork(g, 4) >= gemmWork(g, 2)) return 'F(2x2) tiles waste less';
  const { x, w: wSpan } = magnitudes(node);
  if (100 * x > 32767 || 49 * wSpan > 32767) return 'transformed operands exceed i16';
  const w = node.inputs[1]!.data!.data as Int8Array | Uint8Array;
  const wZp = getAttr<number>(node, 'w_zero_point');
  const perChannel = g.Cg * 9;
  for (let mg = 0; mg < g.M; mg++) {
    let sum = 0;
    for (let k = mg * perChannel; k < (mg + 1) * perChannel; k++) sum += Math.abs(w[k]! - wZp);
    if (sum * x >= Y_BOUND) return 'accumulators could exceed 2^25';
  }
  return null;
}

export function winograd4ScratchBytes(node: Node): number {
  return winogradPlanOf(winogradShapeOf(node) as ConvGeometry, 4).scratchBytes;
}

export function emitWinograd4Conv(node: Node, ctx: EmitContext): Expr {
  const p = winogradPlanOf(winogradShapeOf(node) as ConvGeometry, 4);
  const steps = { input: inputTransform, output: outputTransform };
  return emitLaneConvCall(node, ctx, { kernel: 'qconv-winograd4', plan: p, weights: packWinogradWeights(node, p, G4), scratchBytes: p.scratchBytes, build: (fn, q, o) => buildWinogradConv(fn, q, o, steps) });
}

type Vec = () => Expr;

/**
 * B^T along one axis of 6 vectors (i16 lanes; the intermediate sums may wrap, the results fit):
 * 4(d0 - d2) + p, q + s, q - s, p + 2t, p - 2t, d5 - d3 - 4t with p = d4 - d2, q = d4 - 4d2, s = d3 - 4d1,
 * t = d3 - d1. Returns the statements setting the temporaries and the 6 results.
 */
function bt(fn: FunctionBuilder, d: Vec[], tmp: Local[]): { setup: Expr[]; out: Expr[] } {
  const s = fn.m.i16x8;
  const [p, q, sv, t] = tmp as [Local, Local, Local, Local];
  const shl = (v: Expr, n: number) => s.shl(v, fn.i32(n));
  return {
    setup: [p.set(s.sub(d[4]!(), d[2]!())), q.set(s.sub(d[4]!(), shl(d[2]!(), 2))), sv.set(s.sub(d[3]!(), shl(d[1]!(), 2))), t.set(s.sub(d[3]!(), d[1]!()))],
    out: [
      s.add(shl(s.sub(d[0]!(), d[2]!()), 2), p.get()),
      s.add(q.get(), sv.get()),
      s.sub(q.get(), sv.get()),
      s.add(p.get(), shl(t.get(), 1)),
      s.sub(p.get(), shl(t.get(), 1)),
      s.sub(s.sub(d[5]!(), d[3]!()), shl(t.get(), 2)),
    ],
  };
}

/** Step 2: V[ξ] panels from the pair planes, 4 tiles (one vector of pairs) at a time. */
function inputTransform(fn: FunctionBuilder, p: WinogradPlan, xi: () => Expr, v: () => Expr): Expr {
  const m = fn.m;
  const [row, dst] = [fn.i32Local(), fn.i32Local()];
  const e = Array.from({ length: XI }, () => fn.v128Local());
  const ld = Array.from({ length: 5 }, () => fn.v128Local());
  const d = Array.from({ length: 6 }, () => fn.v128Local());
  const [t0, t1, t2, t3] = Array.from({ length: 4 }, () => fn.v128Local());
  const tmp = Array.from({ length: 4 }, () => fn.v128Local());
  const lanes = (ls: number[]) => ls.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);
  const body: Expr[] = [];
  for (let r = 0; r < 6; r++) {
    // ld[k] holds columns 4k..4k+3 (tile k's first four); a 4x4 transpose of pairs gives column j of the 4
    // tiles, and columns 4, 5 are columns 0, 1 shifted by a tile.
    ld.forEach((l, k) => body.push(l.set(fn.loadV(row.get(), r * p.Wp * PAIR + 16 * k))));
    const sh = (a: Local, b: Local, ls: number[]) => m.i8x16.shuffle(a.get(), b.get(), lanes(ls));
    body.push(
      t0.set(sh(ld[0]!, ld[1]!, [0, 4, 1, 5])),
      t1.set(sh(ld[0]!, ld[1]!, [2, 6, 3, 7])),
      t2.set(sh(ld[2]!, ld[3]!, [0, 4, 1, 5])),
      t3.set(sh(ld[2]!, ld[3]!, [2, 6, 3, 7])),
      d[0]!.set(sh(t0, t2, [0, 1, 4, 5])),
      d[1]!.set(sh(t0, t2, [2, 3, 6, 7])),
      d[2]!.set(sh(t1, t3, [0, 1, 4, 5])),
      d[3]!.set(sh(t1, t3, [2, 3, 6, 7])),
      d[4]!.set(sh(d[0]!, ld[4]!, [1, 2, 3, 4])),
      d[5]!.set(sh(d[1]!, ld[4]!, [1, 2, 3, 5])),
    );
    // Along the row: e[r][j] = (d B)[j].
    const rowT = bt(fn, d.map((x) => () => x.get()), tmp);
    body.push(...rowT.setup, ...rowT.out.map((x, j) => e[r * 6 + j]!.set(x)));
  }
  // Along the columns: V[i][j] = (B^T e)[i][j].
  for (let j = 0; j < 6; j++) {
    const colT = bt(fn, [0, 1, 2, 3, 4, 5].map((r) => () => e[r * 6 + j]!.get()), tmp);
    body.push(...colT.setup, ...colT.out.map((x, i) => fn.storeV(dst.get(), x, (i * 6 + j) * p.vPlaneBytes)));
  }
  return forTileGroups(fn, p, xi, v, row, dst, body);
}

/** A4^T along one axis (i32 lanes): 6m0 + 4a + c, 4b + 2d, 4(a + c), 4b + 8d + 24m5 with a, b = m1 ± m2, c, d = m3 ± m4. */
function at(fn: FunctionBuilder, v: Vec[], tmp: Local[]): { setup: Expr[]; out: Expr[] } {
  const s = fn.m.i32x4;
  const [a, b, c, d] = tmp as [Local, Local, Local, Local];
  const shl = (x: Expr, n: number) => s.shl(x, fn.i32(n));
  const times = (x: Expr, k: number) => s.mul(x, s.splat(fn.i32(k)));
  return {
    setup: [a.set(s.add(v[1]!(), v[2]!())), b.set(s.sub(v[1]!(), v[2]!())), c.set(s.add(v[3]!(), v[4]!())), d.set(s.sub(v[3]!(), v[4]!()))],
    out: [
      s.add(s.add(times(v[0]!(), 6), shl(a.get(), 2)), c.get()),
      s.add(shl(b.get(), 2), shl(d.get(), 1)),
      shl(s.add(a.get(), c.get()), 2),
      s.add(s.add(shl(b.get(), 2), shl(d.get(), 3)), times(v[5]!(), 24)),
    ],
  };
}

/** Step 4: per output channel and 4 tiles: y = (A4^T M' A4)·9^-1 >> 6, + bias, requantize, 4 rows of 16 outputs. */
function outputTransform(fn: FunctionBuilder, p: WinogradPlan, o: LaneConvOperands, requant: Requantizer, mBase: () => Expr, output: () => Expr): Expr {
  const m = fn.m;
  const { g } = p;
  const [ch, ty, tx, src, yRow] = Array.from({ length: 5 }, () => fn.i32Local());
  const f = Array.from({ length: 24 }, () => fn.v128Local());
  const y = Array.from({ length: 4 }, () => fn.v128Local());
  const [biasV, inv9, bytes] = [fn.v128Local(), fn.v128Local(), fn.v128Local()];
  const tmp = Array.from({ length: 4 }, () => fn.v128Local());
  const M = (xi: number) => () => fn.loadV(src.get(), xi * p.mPlaneBytes);
  const signed = o.out.dtype === 'i8';
  // Narrowed, byte 4j + k is column j of tile k; the output row wants it at 4k + j.
  const transpose = Array.from({ length: 16 }, (_, b) => 4 * (b % 4) + Math.floor(b / 4));
  const group = (columns: number): Expr[] => {
    const body: Expr[] = [];
    for (let j = 0; j < 6; j++) {
      const colT = at(fn, [0, 1, 2, 3, 4, 5].map((i) => M(i * 6 + j)), tmp);
      body.push(...colT.setup, ...colT.out.map((x, i) => f[i * 6 + j]!.set(x)));
    }
    const at0 = () => m.i32.add(yRow.get(), fn.mulConst(tx.get(), 4));
    for (let i = 0; i < 4; i++) {
      const rowT = at(fn, [0, 1, 2, 3, 4, 5].map((j) => () => f[i * 6 + j]!.get()), tmp);
      body.push(...rowT.setup, ...rowT.out.map((x, j) => y[j]!.set(m.i32x4.add(m.i32x4.shr_s(m.i32x4.mul(x, inv9.get()), fn.i32(6)), biasV.get()))));
      for (const v of y) body.push(v.set(requant.apply(v)));
      const words = [m.i16x8.narrow_i32x4_s(y[0]!.get(), y[1]!.get()), m.i16x8.narrow_i32x4_s(y[2]!.get(), y[3]!.get())] as const;
      const narrowed = signed ? m.i8x16.narrow_i16x8_s(...words) : m.i8x16.narrow_i16x8_u(...words);
      body.push(bytes.set(m.i8x16.shuffle(narrowed, m.v128.const(new Array(16).fill(0)), transpose)));
      const stores = fn.block(fn.storeFirstBytes(at0, () => bytes.get(), i * g.OW, columns));
      // A partial last tile row: its rows past OH are not stored.
      body.push(i > 0 && g.OH % 4 ? m.if(m.i32.lt_u(fn.addConst(m.i32.shl(ty.get(), fn.i32(2)), i), fn.i32(g.OH)), stores) : stores);
    }
    return body;
  };
  return fn.block([inv9.set(m.i32x4.splat(fn.i32(INV9 | 0))), forOutputTileGroups(fn, p, o, requant, mBase, output, { ch, ty, tx, src, yRow, biasV }, group)]);
}
