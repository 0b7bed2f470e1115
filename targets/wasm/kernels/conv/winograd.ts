import type binaryen from 'binaryen';
import type { Node } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { applyActivationV } from '../activation.js';
import type { ConvGeometry } from '../../../shared/conv-geometry.js';
import { copyFloats } from './conv-im2col.js';
import { activationOf, convOperands, CONV_MR, CONV_NR, P } from './conv-operands.js';
import { emitGemm, floatBytes, loadLanes, packedALayout, storeLanes } from '../gemm/gemm-core.js';

type Expr = binaryen.ExpressionRef;

/**
 * Winograd F(m×m, 3×3) for 3×3 stride-1 undilated ungrouped convolutions (m = 2 or 4, α = m + 2):
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A   per m×m output tile, summed over input channels
 *
 * The α² element-wise products summed over channels are α² independent GEMMs U_ξ[Cout×Cin] · V_ξ[Cin×tiles], so the
 * multiply count drops from 9 to α²/m² per output (2.25× fewer for m = 2, 4× for m = 4) and the work runs in the
 * register-tiled GEMM of gemm-core.ts. U is transformed and packed at compile time. Per block of tile rows
 * (sized so V and M stay in L2):
 *   1. each input channel is copied into a zero-bordered plane (no edge tests in the transforms), and Bᵀ d B is
 *      computed for four horizontally adjacent tiles at a time, one tile per f32x4 lane (shuffles gather the
 *      stride-m columns), into V[ξ][ci][tile];
 *   2. α² GEMMs M_ξ = U_ξ V_ξ;
 *   3. Aᵀ M A per four tiles, shuffled back to output pixel order, plus bias and residual, activation, stored once.
 */

interface WinogradMatrices {
  m: number;
  alpha: number;
  BT: number[][];
  G: number[][];
  AT: number[][];
}

const F2: WinogradMatrices = {
  m: 2,
  alpha: 4,
  BT: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  G: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

/** Interpolation points 0, ±1, ±2, ∞ (the Lavin–Gray choice). */
const F4: WinogradMatrices = {
  m: 4,
  alpha: 6,
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

export function winogradMatrices(m: 2 | 4): WinogradMatrices {
  return m === 2 ? F2 : F4;
}

/** Smallest channel counts for which the transforms pay for themselves. */
const MIN_CHANNELS = 16;
/** Bytes of V + M per block of tile rows. */
const BLOCK_BYTES = 2048 * 1024;

export function useWinograd(g: ConvGeometry): boolean {
  return g.KH === 3 && g.KW === 3 && g.SH === 1 && g.SW === 1 && g.DH === 1 && g.DW === 1 && g.group === 1 && g.C >= MIN_CHANNELS && g.M >= MIN_CHANNELS && g.OH >= 2 && g.OW >= 2;
}

/** The output tile size for a layer: F(4×4) where its tiles are not mostly padding. */
export function winogradTile(g: ConvGeometry): 2 | 4 {
  return g.OW >= 12 && g.OH >= 12 ? 4 : 2;
}

interface Plan {
  T: WinogradMatrices;
  tH: number;
  tW: number;
  /** Tile rows per block, blocks, tile rows in the last block. */
  rb: number;
  blocks: number;
  lastRows: number;
  /** Row stride (floats) of V and M: tiles per block rounded up to the GEMM's tile width. */
  tStride: number;
  Hp: number;
  Wp: number;
  /** Scratch offsets (bytes) of the plane, V and M, and the total. */
  vAt: number;
  mAt: number;
  bytes: number;
  /** Column vectors per transform row group. */
  nq: number;
}

function planOf(g: ConvGeometry, m: 2 | 4): Plan {
  const T = winogradMatrices(m);
  const a2 = T.alpha * T.alpha;
  const tH = Math.ceil(g.OH / m);
  const tW = Math.ceil(g.OW / m);
  const rb = Math.max(1, Math.min(tH, Math.floor(BLOCK_BYTES / (a2 * (g.C + g.M) * tW * 4))));
  const blocks = Math.ceil(tH / rb);
  const lastRows = tH - (blocks - 1) * rb;
  const tStride = Math.ceil((rb * tW) / CONV_NR) * CONV_NR;
  const groups = Math.ceil(tW / 4);
  // The input transform of a group of four tiles reads columns [4·tw·m/4 .., + 4·nq) of the plane.
  const nq = m === 2 ? 4 : 5;
  const Hp = tH * m + 2;
  const Wp = Math.ceil((4 * (groups - 1) * m + (m === 2 ? 10 : 20)) / 4) * 4;
  const planeBytes = Math.ceil((Hp * Wp * 4) / 64) * 64;
  const vAt = planeBytes;
  const mAt = vAt + a2 * g.C * tStride * 4;
  const bytes = mAt + a2 * g.M * tStride * 4 + 64;
  return { T, tH, tW, rb, blocks, lastRows, tStride, Hp, Wp, vAt, mAt, bytes, nq };
}

export function winogradScratchBytes(g: ConvGeometry): number {
  return planOf(g, winogradTile(g)).bytes;
}

/** U_ξ = (G g Gᵀ)_ξ for every (co, ci), packed per ξ in GEMM panels; computed in f64, rounded once. */
export function transformWeights(w: ArrayLike<number>, Cout: number, Cin: number, T: WinogradMatrices): Float32Array {
  // U = G g G^T for every (co, ci), computed in f64 and written straight into the packed GEMM layout of each
  // transform position xi: panels of CONV_MR output channels, input channels k-major (what packA produces).
  const a = T.alpha;
  const G = Float64Array.from(T.G.flat()); // a x 3, row-major
  const panelRows = Math.ceil(Cout / CONV_MR) * CONV_MR;
  const positionStride = panelRows * Cin;
  const out = new Float32Array(a * a * positionStride);
  const tmp = new Float64Array(a * 3);
  const g = new Float64Array(9);
  for (let co = 0; co < Cout; co++) {
    const rowBase = Math.floor(co / CONV_MR) * CONV_MR * Cin + (co % CONV_MR);
    for (let ci = 0; ci < Cin; ci++) {
      const base = (co * Cin + ci) * 9;
      for (let t = 0; t < 9; t++) g[t] = w[base + t]!;
      for (let i = 0; i < a; i++) {
        const g0 = G[i * 3]!;
        const g1 = G[i * 3 + 1]!;
        const g2 = G[i * 3 + 2]!;
        tmp[i * 3] = g0 * g[0]! + g1 * g[3]! + g2 * g[6]!;
        tmp[i * 3 + 1] = g0 * g[1]! + g1 * g[4]! + g2 * g[7]!;
        tmp[i * 3 + 2] = g0 * g[2]! + g1 * g[5]! + g2 * g[8]!;
      }
      const at = rowBase + ci * CONV_MR;
      for (let i = 0; i < a; i++) {
        const t0 = tmp[i * 3]!;
        const t1 = tmp[i * 3 + 1]!;
        const t2 = tmp[i * 3 + 2]!;
        for (let j = 0; j < a; j++) {
          out[(i * a + j) * positionStride + at] = t0 * G[j * 3]! + t1 * G[j * 3 + 1]! + t2 * G[j * 3 + 2]!;
        }
      }
    }
  }
  return out;
}

export function emitWinograd(node: Node, g: ConvGeometry, ctx: EmitContext): Expr {
  const m = winogradTile(g);
  const plan = planOf(g, m);
  const w = node.inputs[1]!;
  const act = activationOf(node);
  if (!w.data) throw new Error('Winograd needs constant weights (checked by useWinograd callers)');
  const u = ctx.placeData(`winograd-u:${w.name}:${m}:${CONV_MR}`, floatBytes(transformWeights(w.data.data as Float32Array, g.M, g.C, plan.T)));
  const call = convOperands(node, ctx, u, plan.bytes);
  const key = { m, g, act, hasBias: call.hasBias, hasZ: call.hasZ };
  const name = ctx.defineFunction(`conv-winograd${m}`, key, 6, (fn, p) => new WinogradEmitter(fn, p.g, planOf(p.g, p.m), p.act, p.hasBias, p.hasZ).body());
  return ctx.call(name, call.args);
}

/** i8x16.shuffle picking f32 lanes (0-3 from a, 4-7 from b). */
function shuffle32(fn: FunctionBuilder, a: Expr, b: Expr, lanes: readonly number[]): Expr {
  const mask: number[] = [];
  for (const l of lanes) for (let k = 0; k < 4; k++) mask.push(l * 4 + k);
  return fn.m.i8x16.shuffle(a, b, mask);
}

/** Σ coeffs[c]·inputs[c] over f32x4 values, skipping zeros and multiplying only by constants other than ±1. */
function combine(fn: FunctionBuilder, coeffs: readonly number[], inputs: readonly (() => Expr)[]): Expr {
  const f = fn.m.f32x4;
  let acc: Expr | null = null;
  coeffs.forEach((c, i) => {
    if (c === 0) return;
    const x = inputs[i]!();
    if (acc === null) {
      acc = c === 1 ? x : c === -1 ? f.neg(x) : f.mul(x, fn.splat(c));
      return;
    }
    if (c === 1) acc = f.add(acc, x);
    else if (c === -1) acc = f.sub(acc, x);
    else acc = f.add(acc, f.mul(x, fn.splat(c)));
  });
  return acc ?? fn.splat(0);
}

/** 4×4 transpose of f32x4 values (rows -> columns). */
function transpose4(fn: FunctionBuilder, rows: readonly Local[], tmp: readonly Local[]): { set: Expr[]; cols: (() => Expr)[] } {
  const [a, b, c, d] = rows as [Local, Local, Local, Local];
  const [t0, t1, t2, t3] = tmp as [Local, Local, Local, Local];
  const set = [
    t0.set(shuffle32(fn, a.get(), b.get(), [0, 4, 1, 5])),
    t1.set(shuffle32(fn, c.get(), d.get(), [0, 4, 1, 5])),
    t2.set(shuffle32(fn, a.get(), b.get(), [2, 6, 3, 7])),
    t3.set(shuffle32(fn, c.get(), d.get(), [2, 6, 3, 7])),
  ];
  const cols = [
    () => shuffle32(fn, t0.get(), t1.get(), [0, 1, 4, 5]),
    () => shuffle32(fn, t0.get(), t1.get(), [2, 3, 6, 7]),
    () => shuffle32(fn, t2.get(), t3.get(), [0, 1, 4, 5]),
    () => shuffle32(fn, t2.get(), t3.get(), [2, 3, 6, 7]),
  ];
  return { set, cols };
}

class WinogradEmitter {
  private readonly m: number;
  private readonly a: number;
  private readonly n: Local;
  private readonly blk: Local;
  private readonly ci: Local;
  private readonly co: Local;
  private readonly th: Local;
  private readonly tw: Local;
  private readonly xi: Local;
  private readonly row: Local;
  private readonly vecs: Local[];
  private readonly gath: Local[];
  private readonly tmp: Local[];
  private readonly outs: Local[];

  constructor(
    private readonly fn: FunctionBuilder,
    private readonly g: ConvGeometry,
    private readonly p: Plan,
    private readonly act: { name: string; params: readonly number[] },
    private readonly hasBias: boolean,
    private readonly hasZ: boolean,
  ) {
    this.m = p.T.m;
    this.a = p.T.alpha;
    this.n = fn.i32Local();
    this.blk = fn.i32Local();
    this.ci = fn.i32Local();
    this.co = fn.i32Local();
    this.th = fn.i32Local();
    this.tw = fn.i32Local();
    this.xi = fn.i32Local();
    this.row = fn.i32Local();
    this.vecs = Array.from({ length: 6 }, () => fn.v128Local());
    this.gath = Array.from({ length: this.a * this.a }, () => fn.v128Local());
    this.tmp = Array.from({ length: 4 }, () => fn.v128Local());
    this.outs = Array.from({ length: 4 * this.m }, () => fn.v128Local());
  }

  private plane(): Expr {
    return this.fn.param(P.scratch);
  }

  body(): Expr {
    const { fn, g, p } = this;
    const parts: Expr[] = [fn.fill(this.plane(), fn.i32(0), fn.i32(p.Hp * p.Wp * 4))];
    const perBlock = (rows: number) => [this.inputTransform(rows), this.gemms(rows), this.outputTransform(rows)];
    const blocks: Expr[] = [];
    if (p.blocks > 1) blocks.push(fn.for(this.blk, 0, p.blocks - 1, 1, perBlock(p.rb)));
    blocks.push(fn.block([this.blk.set(fn.i32(p.blocks - 1)), ...perBlock(p.lastRows)]));
    parts.push(fn.for(this.n, 0, g.batch, 1, blocks));
    return fn.block(parts);
  }

  /** First tile row of the current block. */
  private th0(): Expr {
    return this.fn.mulConst(this.blk.get(), this.p.rb);
  }

  /** Copies the input rows a block of `rows` tile rows reads into the plane, then transforms them into V. */
  private inputTransform(rows: number): Expr {
    const { fn, g, p } = this;
    const m = this.m;
    const mm = fn.m;
    // Plane row q always holds input row q - PT: the rows a block reads are copied in; padding rows and columns
    // are never written after the fill at the start, so they stay zero.
    const copyRows: Expr[] = [];
    const r = this.row;
    const inRow = () => fn.addConst(fn.m.i32.add(fn.mulConst(this.th0(), m), r.get()), -g.PT);
    copyRows.push(
      fn.for(r, 0, rows * m + 2, 1, [
        mm.if(
          mm.i32.lt_u(inRow(), fn.i32(g.H)),
          copyFloats(
            fn,
            () => fn.addConst(fn.m.i32.add(this.plane(), fn.mulConst(fn.m.i32.add(fn.mulConst(this.th0(), m), r.get()), p.Wp * 4)), g.PL * 4),
            () => fn.m.i32.add(fn.m.i32.add(fn.param(P.x), fn.mulConst(fn.m.i32.add(fn.mulConst(this.n.get(), g.C), this.ci.get()), g.H * g.W * 4)), fn.mulConst(inRow(), g.W * 4)),
            g.W,
          ),
        ),
      ]),
    );
    const groups = Math.floor(p.tW / 4);
    const rem = p.tW - groups * 4;
    const perRow: Expr[] = [];
    if (groups > 0) perRow.push(fn.for(this.tw, 0, groups * 4, 4, [this.inputGroup(4)]));
    if (rem > 0) perRow.push(fn.block([this.tw.set(fn.i32(groups * 4)), this.inputGroup(rem)]));
    return fn.for(this.ci, 0, g.C, 1, [...copyRows, fn.for(this.th, 0, rows, 1, perRow)]);
  }

  /** Bᵀ d B for tiles tw .. tw + lanes - 1 of tile row th (relative to the block) of channel ci. */
  private inputGroup(lanes: number): Expr {
    const { fn, p } = this;
    const { m, a } = this;
    const T = p.T;
    const out: Expr[] = [];
    // Plane address of the group's top-left input: row (th0 + th)·m, column tw·m.
    const base = () => fn.m.i32.add(fn.m.i32.add(this.plane(), fn.mulConst(fn.m.i32.add(this.th0(), this.th.get()), m * p.Wp * 4)), fn.mulConst(this.tw.get(), m * 4));
    const rowsOf = (offsets: readonly number[], i: number) =>
      offsets.map((col, q) =>
        this.vecs[q]!.set(combine(fn, T.BT[i]!, Array.from({ length: a }, (_, rr) => () => fn.loadV(base(), (rr * p.Wp + col) * 4)))),
      );
    // gath[i·α + c] = (Bᵀ d)[i][c] for the four tiles, one per lane, gathered from the plane. (Gathering every
    // row before the column transform measured faster than interleaving the two per row.)
    for (let i = 0; i < a; i++) {
      const row = this.gath.slice(i * a, i * a + a);
      if (m === 2) {
        out.push(...rowsOf([0, 4, 2, 6], i));
        const [v0, v1, v2, v3] = this.vecs as [Local, Local, Local, Local];
        out.push(row[0]!.set(shuffle32(fn, v0.get(), v1.get(), [0, 2, 4, 6])));
        out.push(row[1]!.set(shuffle32(fn, v0.get(), v1.get(), [1, 3, 5, 7])));
        out.push(row[2]!.set(shuffle32(fn, v2.get(), v3.get(), [0, 2, 4, 6])));
        out.push(row[3]!.set(shuffle32(fn, v2.get(), v3.get(), [1, 3, 5, 7])));
      } else {
        out.push(...rowsOf([0, 4, 8, 12, 16], i));
        const first = transpose4(fn, this.vecs.slice(0, 4), this.tmp);
        out.push(...first.set);
        for (let c = 0; c < 4; c++) out.push(row[c]!.set(first.cols[c]!()));
        const second = transpose4(fn, this.vecs.slice(1, 5), this.tmp);
        out.push(...second.set);
        for (let c = 0; c < 2; c++) out.push(row[4 + c]!.set(second.cols[c]!()));
      }
    }
    // V[i·α + j][ci][t] = Σ_c (Bᵀ d)[i][c] B[c][j], t = th·tW + tw relative to the block.
    const v = this.vecs[0]!;
    const at = () =>
      fn.m.i32.add(fn.m.i32.add(fn.addConst(fn.param(P.scratch), p.vAt), fn.mulConst(this.ci.get(), p.tStride * 4)), fn.mulConst(fn.m.i32.add(fn.mulConst(this.th.get(), p.tW), this.tw.get()), 4));
    for (let i = 0; i < a; i++) {
      for (let j = 0; j < a; j++) {
        out.push(v.set(combine(fn, T.BT[j]!, Array.from({ length: a }, (_, c) => () => this.gath[i * a + c]!.get()))));
        out.push(storeLanes(fn, at, (i * a + j) * this.g.C * p.tStride * 4, v, lanes));
      }
    }
    return fn.block(out);
  }

  /** M_ξ = U_ξ · V_ξ for the block's tiles. */
  private gemms(rows: number): Expr {
    const { fn, g, p } = this;
    const N = rows * p.tW;
    const panelRows = Math.ceil(g.M / CONV_MR) * CONV_MR;
    const layout = {
      M: g.M,
      N,
      K: g.C,
      ...packedALayout(g.C, CONV_MR),
      nr: CONV_NR,
      bTile: CONV_NR * 4,
      bK: p.tStride * 4,
      bPadded: true,
      cRow: p.tStride * 4,
    };
    const gemm = emitGemm(
      fn,
      layout,
      {
        a: () => fn.m.i32.add(fn.param(P.w), fn.mulConst(this.xi.get(), panelRows * g.C * 4)),
        b: () => fn.m.i32.add(fn.addConst(fn.param(P.scratch), p.vAt), fn.mulConst(this.xi.get(), g.C * p.tStride * 4)),
        c: () => fn.m.i32.add(fn.addConst(fn.param(P.scratch), p.mAt), fn.mulConst(this.xi.get(), g.M * p.tStride * 4)),
      },
      { alpha: 1, terms: [], activation: { name: 'None', params: [] } },
    );
    return fn.forRuntime(this.xi, fn.i32(0), () => fn.i32(this.a * this.a), 1, [gemm]);
  }

  /** Aᵀ M A + bias + Z, activation, for every output channel and tile of the block. */
  private outputTransform(rows: number): Expr {
    const { fn, g, p } = this;
    const groups = Math.floor(p.tW / 4);
    const rem = p.tW - groups * 4;
    const perRow: Expr[] = [];
    if (groups > 0) perRow.push(fn.for(this.tw, 0, groups * 4, 4, [this.outputGroup(4)]));
    if (rem > 0) perRow.push(fn.block([this.tw.set(fn.i32(groups * 4)), this.outputGroup(rem)]));
    return fn.for(this.co, 0, g.M, 1, [fn.for(this.th, 0, rows, 1, perRow)]);
  }

  private outputGroup(tiles: number): Expr {
    const { fn, g, p } = this;
    const { m, a } = this;
    const T = p.T;
    const mm = fn.m;
    const out: Expr[] = [];
    const mAt = () =>
      fn.m.i32.add(fn.m.i32.add(fn.addConst(fn.param(P.scratch), p.mAt), fn.mulConst(this.co.get(), p.tStride * 4)), fn.mulConst(fn.m.i32.add(fn.mulConst(this.th.get(), p.tW), this.tw.get()), 4));
    const load = (xi: number) => () => fn.loadV(mAt(), xi * g.M * p.tStride * 4);
    // Z[r][j] = Σ_i Aᵀ[r][i] M[i][j]  (m × α), into gath.
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < a; j++) {
        out.push(this.gath[r * a + j]!.set(combine(fn, T.AT[r]!, Array.from({ length: a }, (_, i) => load(i * a + j)))));
      }
    }
    // Y[r][c] = Σ_j Z[r][j] Aᵀ[c][j], one tile per lane; then back to pixel order.
    for (let r = 0; r < m; r++) {
      const y = Array.from({ length: m }, (_, c) => combine(fn, T.AT[c]!, Array.from({ length: a }, (_, j) => () => this.gath[r * a + j]!.get())));
      const ys = this.tmp.slice(0, m);
      y.forEach((e, c) => out.push(ys[c]!.set(e)));
      const px = this.outs.slice(r * 4, r * 4 + m); // pixel-order vectors of output row r
      if (m === 2) {
        out.push(px[0]!.set(shuffle32(fn, ys[0]!.get(), ys[1]!.get(), [0, 4, 1, 5])));
        out.push(px[1]!.set(shuffle32(fn, ys[0]!.get(), ys[1]!.get(), [2, 6, 3, 7])));
      } else {
        const tr = transpose4(fn, ys, this.vecs.slice(0, 4));
        out.push(...tr.set);
        for (let q = 0; q < 4; q++) out.push(px[q]!.set(tr.cols[q]!()));
      }
    }
    // Stores: output row (th0 + th)·m + r, columns tw·m ...; the last tile row may be cut by OH, the last group by OW.
    const oh = () => fn.mulConst(fn.m.i32.add(this.th0(), this.th.get()), m);
    const rowAddr = (base: Expr, r: number) =>
      fn.m.i32.add(fn.m.i32.add(base, fn.mulConst(fn.m.i32.add(fn.mulConst(this.n.get(), g.M), this.co.get()), g.OH * g.OW * 4)), fn.m.i32.add(fn.mulConst(oh(), g.OW * 4), fn.addConst(fn.mulConst(this.tw.get(), m * 4), r * g.OW * 4)));
    // Valid output columns of the group: 4·m, except in the row's last group when OW is not a multiple of m
    // (-1: a full group that is last in its row only for tw = tW - 4, decided at run time).
    const cols = tiles < 4 ? g.OW - (p.tW - tiles) * m : p.tW % 4 === 0 && p.tW * m > g.OW ? -1 : 4 * m;
    const stores = (r: number, ncols: number): Expr[] => {
      const s: Expr[] = [];
      for (let q = 0; q * 4 < ncols; q++) {
        const lanes = Math.min(4, ncols - q * 4);
        const v = this.outs[r * 4 + q]!;
        let x = v.get();
        if (this.hasBias) x = mm.f32x4.add(x, fn.loadSplat(fn.m.i32.add(fn.param(P.bias), fn.mulConst(this.co.get(), 4))));
        if (this.hasZ) x = mm.f32x4.add(x, loadLanes(fn, () => rowAddr(fn.param(P.z), r), q * 16, lanes));
        s.push(v.set(applyActivationV(fn, this.act.name, this.act.params, x)));
        s.push(storeLanes(fn, () => rowAddr(fn.param(P.y), r), q * 16, v, lanes));
      }
      return s;
    };
    const storeRows = (ncols: number): Expr[] => {
      const s: Expr[] = [];
      for (let r = 0; r < m; r++) {
        const st = fn.block(stores(r, ncols));
        // Rows past OH exist only in the last tile row when OH is not a multiple of m.
        if (r > 0 && g.OH % m !== 0) s.push(mm.if(mm.i32.lt_s(fn.addConst(oh(), r), fn.i32(g.OH)), st));
        else s.push(st);
      }
      return s;
    };
    if (cols >= 0) out.push(...storeRows(cols));
    else {
      // Full groups: the row's last group (tw = tW - 4) is cut by OW when OW is not a multiple of m.
      out.push(mm.if(mm.i32.eq(this.tw.get(), fn.i32(p.tW - 4)), fn.block(storeRows(g.OW - (p.tW - 4) * m)), fn.block(storeRows(4 * m))));
    }
    return fn.block(out);
  }
}
