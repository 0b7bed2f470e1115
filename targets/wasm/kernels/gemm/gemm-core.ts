import binaryen from 'binaryen';
import type { FunctionBuilder, Local } from '../../dsl.js';
import { MEMORY } from '../../dsl.js';
import { applyActivationV } from '../activation.js';

type Expr = binaryen.ExpressionRef;

/**
 * The register-tiled SIMD128 GEMM every conv / Gemm / MatMul kernel of this target runs:
 *
 *   C[M×N] = epilogue(A[M×K] · B[K×N])
 *
 * A tile of up to MR rows × NR columns of C lives in f32x4 accumulators while k runs: per k, one load32_splat
 * per row of A and NR/4 v128 loads of B feed rows·NR/4 independent mul+add chains (SIMD128 has no FMA). With
 * the default 4×8 tile that is 8 accumulators + 2 B vectors + 1 splat: within the 16 xmm registers V8 has.
 *
 * Operands are described by byte strides, so one generator serves packed weights, plain row-major matrices,
 * transposed operands and im2col / Winograd buffers:
 *   A(i,k) = a + i0·aPanel + r·aRow + k·aK        (i = i0 + r, i0 a multiple of MR)
 *   B(k,j) = b + (j div NR)·bTile + k·bK + (j mod NR)·4
 *   C(i,j) = c + i·cRow + j·4
 * Weights are packed at compile time (packA / packB) so A panels and B tiles are read contiguously.
 *
 * K is split in blocks (KC) so the A sliver of a tile stays in L1 while C tiles accumulate across blocks, and N
 * in blocks (NC) so the B block a row panel sweeps stays in L2.
 */

export interface GemmLayout {
  M: number;
  N: number;
  K: number;
  /** Rows per register tile (A is packed in panels of this many rows). */
  mr: number;
  /** Columns per register tile, a multiple of 4 (B is packed in tiles this wide). */
  nr: number;
  aPanel: number;
  aRow: number;
  aK: number;
  bTile: number;
  bK: number;
  /** Whether whole nr-wide B tiles may be loaded past column N (packed / padded buffers). */
  bPadded: boolean;
  cRow: number;
}

/** Additive terms of the epilogue, each scaled: y = act(alpha·AB + Σ scale·term). */
export type EpilogueTerm =
  | { kind: 'row'; scale: number; addr: () => Expr } // term(i) at addr + i·4 (conv bias, Gemm C [M,1])
  | { kind: 'col'; scale: number; addr: () => Expr } // term(j) at addr + j·4 (Gemm C [N])
  | { kind: 'matrix'; scale: number; row: number; addr: () => Expr } // term(i,j) at addr + i·row + j·4
  | { kind: 'scalar'; scale: number; addr: () => Expr }; // one value at addr

export interface GemmEpilogue {
  alpha: number;
  terms: EpilogueTerm[];
  /** A FusedConv / FusedGemm activation (ir/ops/fused.ts), params as on the node. */
  activation: { name: string; params: readonly number[] };
}

export interface GemmAddresses {
  a: () => Expr;
  b: () => Expr;
  c: () => Expr;
}

/** Largest K run per block; the A sliver (mr·KC·4 bytes) stays in L1. */
const KC_MAX = 1024;
/** Bytes of B one N block may span (L2 is 1 MB on the machines we measured; leave room for A and C). */
const B_BLOCK_BYTES = 384 * 1024;
/** k-loop unrolling: fewer loop branches and pointer bumps per multiply-add. */
const UNROLL = 4;

// ---------------------------------------------------------------------------------------------------------
// Partial vectors: the last 1-3 lanes of a row, read and written without touching bytes past it.

export function loadLanes(fn: FunctionBuilder, ptr: () => Expr, offset: number, lanes: number): Expr {
  const m = fn.m;
  if (lanes >= 4) return fn.loadV(ptr(), offset);
  if (lanes === 1) return m.v128.load32_zero(offset, 4, ptr(), MEMORY);
  const two = m.v128.load64_zero(offset, 4, ptr(), MEMORY);
  if (lanes === 2) return two;
  return m.v128.load32_lane(offset + 8, 4, 2, ptr(), two, MEMORY);
}

export function storeLanes(fn: FunctionBuilder, ptr: () => Expr, offset: number, value: Local, lanes: number): Expr {
  const m = fn.m;
  if (lanes >= 4) return fn.storeV(ptr(), value.get(), offset);
  if (lanes === 1) return m.v128.store32_lane(offset, 4, 0, ptr(), value.get(), MEMORY);
  const two = m.v128.store64_lane(offset, 4, 0, ptr(), value.get(), MEMORY);
  if (lanes === 2) return two;
  return fn.block([two, m.v128.store32_lane(offset + 8, 4, 2, ptr(), value.get(), MEMORY)]);
}

// ---------------------------------------------------------------------------------------------------------
// Compile-time packing of constant operands

/** A [M×K] (element (i,k) at a[i·rowStride + k·kStride]) packed in panels of mr rows, k-major, zero-padded. */
export function packA(a: ArrayLike<number>, M: number, K: number, rowStride: number, kStride: number, mr: number): Float32Array {
  const panels = Math.ceil(M / mr);
  const out = new Float32Array(panels * mr * K);
  for (let i = 0; i < M; i++) {
    const base = Math.floor(i / mr) * mr * K + (i % mr);
    for (let k = 0; k < K; k++) out[base + k * mr] = a[i * rowStride + k * kStride]!;
  }
  return out;
}

/** B [K×N] (element (k,j) at b[k·kStride + j·colStride]) packed in tiles of nr columns, k-major, zero-padded. */
export function packB(b: ArrayLike<number>, K: number, N: number, kStride: number, colStride: number, nr: number): Float32Array {
  const tiles = Math.ceil(N / nr);
  const out = new Float32Array(tiles * K * nr);
  for (let j = 0; j < N; j++) {
    const base = Math.floor(j / nr) * K * nr + (j % nr);
    for (let k = 0; k < K; k++) out[base + k * nr] = b[k * kStride + j * colStride]!;
  }
  return out;
}

export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Layout of a packed A (from packA with the same mr). */
export function packedALayout(K: number, mr: number): Pick<GemmLayout, 'aPanel' | 'aRow' | 'aK' | 'mr'> {
  return { mr, aPanel: K * 4, aRow: 4, aK: mr * 4 };
}
/** Layout of a packed B (from packB with the same nr). */
export function packedBLayout(K: number, nr: number): Pick<GemmLayout, 'bTile' | 'bK' | 'bPadded' | 'nr'> {
  return { nr, bTile: K * nr * 4, bK: nr * 4, bPadded: true };
}

// ---------------------------------------------------------------------------------------------------------
// Code generation

type KMode = { init: 'zero' | 'load'; finish: 'raw' | 'epilogue' };

/** Statements computing C = epilogue(A·B) for the layout; addresses may be runtime expressions. */
export function emitGemm(fn: FunctionBuilder, L: GemmLayout, addr: GemmAddresses, ep: GemmEpilogue): Expr {
  if (L.M === 0 || L.N === 0) return fn.m.nop();
  if (L.K === 0) throw new Error('emitGemm: K = 0 is handled by the caller');
  const blocks = Math.ceil(L.K / KC_MAX);
  const kc = Math.ceil(L.K / blocks / UNROLL) * UNROLL;
  const last = L.K - kc * (blocks - 1);
  const g = new GemmEmitter(fn, L, addr, ep);
  if (blocks === 1) return g.pass(0, L.K, { init: 'zero', finish: 'epilogue' });
  const out: Expr[] = [g.pass(0, kc, { init: 'zero', finish: 'raw' })];
  if (blocks > 2) {
    const kb = fn.i32Local();
    out.push(fn.for(kb, kc, kc * (blocks - 1), kc, [g.pass(() => kb.get(), kc, { init: 'load', finish: 'raw' })]));
  }
  out.push(g.pass(kc * (blocks - 1), last, { init: 'load', finish: 'epilogue' }));
  return fn.block(out);
}

class GemmEmitter {
  private readonly m: binaryen.Module;
  private readonly aP: Local;
  private readonly bP: Local;
  private readonly cP: Local;
  private readonly i: Local;
  private readonly jt: Local;
  private readonly kk: Local;
  private readonly acc: Local[];
  private readonly bv: Local[];
  private readonly av: Local;

  constructor(
    private readonly fn: FunctionBuilder,
    private readonly L: GemmLayout,
    private readonly addr: GemmAddresses,
    private readonly ep: GemmEpilogue,
  ) {
    this.m = fn.m;
    this.aP = fn.i32Local();
    this.bP = fn.i32Local();
    this.cP = fn.i32Local();
    this.i = fn.i32Local();
    this.jt = fn.i32Local();
    this.kk = fn.i32Local();
    const nv = L.nr / 4;
    this.acc = Array.from({ length: L.mr * nv }, () => fn.v128Local());
    this.bv = Array.from({ length: nv }, () => fn.v128Local());
    this.av = fn.v128Local();
  }

  /** One K block [k0, k0 + kLen) over all of C. */
  pass(k0: (() => Expr) | number, kLen: number, mode: KMode): Expr {
    const { fn, L } = this;
    const out: Expr[] = [];
    const fullTiles = Math.floor(L.N / L.nr);
    const rem = L.N - fullTiles * L.nr;
    const fullRows = Math.floor(L.M / L.mr) * L.mr;
    const remRows = L.M - fullRows;
    if (fullTiles > 0) {
      const tilesPerBlock = Math.max(1, Math.floor(B_BLOCK_BYTES / (kLen * L.nr * 4)));
      const jb = fn.i32Local();
      const jEnd = fn.i32Local();
      const rowsBody = (rows: number, iStart: number, iEnd: number) =>
        fn.for(this.i, iStart, iEnd, L.mr, [
          fn.forRuntime(this.jt, jb.get(), () => jEnd.get(), 1, [this.tile(rows, L.nr, k0, kLen, mode)]),
        ]);
      const body: Expr[] = [
        jEnd.set(this.m.select(this.m.i32.lt_s(fn.addConst(jb.get(), tilesPerBlock), fn.i32(fullTiles)), fn.addConst(jb.get(), tilesPerBlock), fn.i32(fullTiles))),
      ];
      if (fullRows > 0) body.push(rowsBody(L.mr, 0, fullRows));
      if (remRows > 0) body.push(rowsBody(remRows, fullRows, fullRows + 1));
      out.push(fn.for(jb, 0, fullTiles, tilesPerBlock, body));
    }
    if (rem > 0) {
      const tail: Expr[] = [this.jt.set(fn.i32(fullTiles))];
      if (fullRows > 0) tail.push(fn.for(this.i, 0, fullRows, L.mr, [this.tile(L.mr, rem, k0, kLen, mode)]));
      if (remRows > 0) tail.push(fn.block([this.i.set(fn.i32(fullRows)), this.tile(remRows, rem, k0, kLen, mode)]));
      out.push(fn.block(tail));
    }
    return out.length ? fn.block(out) : this.m.nop();
  }

  /** A rows × cols tile at (i, jt·nr); cols <= nr, the last vector may be partial. */
  private tile(rows: number, cols: number, k0: (() => Expr) | number, kLen: number, mode: KMode): Expr {
    const { fn, L, m } = this;
    const nv = Math.ceil(cols / 4);
    const lastLanes = cols - 4 * (nv - 1);
    const bLanes = (v: number) => (L.bPadded || v < nv - 1 ? 4 : lastLanes);
    const cLanes = (v: number) => (v < nv - 1 ? 4 : lastLanes);
    const acc = (r: number, v: number) => this.acc[r * (L.nr / 4) + v]!;
    const out: Expr[] = [];
    const withK = (e: Expr, stride: number) => (typeof k0 === 'number' ? fn.addConst(e, k0 * stride) : fn.m.i32.add(e, fn.mulConst(k0(), stride)));
    out.push(this.aP.set(withK(fn.m.i32.add(this.addr.a(), fn.mulConst(this.i.get(), L.aPanel)), L.aK)));
    out.push(this.bP.set(withK(fn.m.i32.add(this.addr.b(), fn.mulConst(this.jt.get(), L.bTile)), L.bK)));
    out.push(this.cP.set(fn.m.i32.add(fn.m.i32.add(this.addr.c(), fn.mulConst(this.i.get(), L.cRow)), fn.mulConst(this.jt.get(), L.nr * 4))));
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < nv; v++) {
        out.push(acc(r, v).set(mode.init === 'zero' ? fn.splat(0) : loadLanes(fn, () => this.cP.get(), r * L.cRow + v * 16, cLanes(v))));
      }
    }
    const step = (u: number): Expr[] => {
      const s: Expr[] = [];
      for (let v = 0; v < nv; v++) s.push(this.bv[v]!.set(loadLanes(fn, () => this.bP.get(), u * L.bK + v * 16, bLanes(v))));
      for (let r = 0; r < rows; r++) {
        s.push(this.av.set(fn.loadSplat(this.aP.get(), r * L.aRow + u * L.aK)));
        for (let v = 0; v < nv; v++) {
          s.push(acc(r, v).set(m.f32x4.add(acc(r, v).get(), m.f32x4.mul(this.av.get(), this.bv[v]!.get()))));
        }
      }
      return s;
    };
    const main = Math.floor(kLen / UNROLL) * UNROLL;
    if (main > 0) {
      const body: Expr[] = [];
      for (let u = 0; u < UNROLL; u++) body.push(...step(u));
      body.push(this.aP.set(fn.addConst(this.aP.get(), UNROLL * L.aK)));
      body.push(this.bP.set(fn.addConst(this.bP.get(), UNROLL * L.bK)));
      out.push(fn.for(this.kk, 0, main, UNROLL, body));
    }
    for (let u = 0; u < kLen - main; u++) out.push(...step(u));
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < nv; v++) {
        const a = acc(r, v);
        if (mode.finish === 'epilogue') out.push(...this.epilogue(a, r, v, cLanes(v)));
        out.push(storeLanes(fn, () => this.cP.get(), r * L.cRow + v * 16, a, cLanes(v)));
      }
    }
    return fn.block(out);
  }

  /** acc <- act(alpha·acc + terms) for row i + r, columns jt·nr + 4v ... */
  private epilogue(a: Local, r: number, v: number, lanes: number): Expr[] {
    const { fn, L, m, ep } = this;
    const s: Expr[] = [];
    let x = a.get();
    if (ep.alpha !== 1) x = m.f32x4.mul(x, fn.splat(ep.alpha));
    const scaled = (t: Expr, scale: number) => (scale === 1 ? t : m.f32x4.mul(t, fn.splat(scale)));
    const col = () => fn.addConst(fn.mulConst(this.jt.get(), L.nr * 4), v * 16);
    for (const t of ep.terms) {
      let term: Expr;
      if (t.kind === 'row') term = fn.loadSplat(fn.m.i32.add(t.addr(), fn.mulConst(this.i.get(), 4)), r * 4);
      else if (t.kind === 'scalar') term = fn.loadSplat(t.addr());
      else if (t.kind === 'col') term = loadLanes(fn, () => fn.m.i32.add(t.addr(), col()), 0, lanes);
      else term = loadLanes(fn, () => fn.m.i32.add(fn.m.i32.add(t.addr(), fn.mulConst(this.i.get(), t.row)), col()), r * t.row, lanes);
      x = m.f32x4.add(x, scaled(term, t.scale));
    }
    s.push(a.set(applyActivationV(fn, ep.activation.name, ep.activation.params, x)));
    return s;
  }
}
