import binaryen from 'binaryen';
import type { FunctionBuilder, Local } from '../../dsl.js';

type Expr = binaryen.ExpressionRef;

/**
 * The integer GEMM core of QConv and QMatMul: rows of zero-point-shifted i16 values, `kPad` (a multiple of 8)
 * per row, zero-padded. For every row p of X (`rows`) and every row c of W (`channels`) it computes the exact
 * (wrapping) int32 dot product with i32x4.dot_i16x8_s (|x - zp|, |w - zp| <= 255, so a pair of products fits
 * in i32) and hands it to `epilogue(c, p, acc)`. Tiles of 2 X rows x 4 W rows share their loads. W rows may
 * hold i8 instead (`wBytes` 1, when every w - zp fits): v128.load8x8_s widens them as they are read, which
 * halves the bytes a matrix-vector product streams.
 */
export interface DotSpec {
  rows: number;
  channels: number;
  kPad: number;
  /** Bytes per W element: 2 (i16, the default) or 1 (i8, see packRowsI8). */
  wBytes?: 1 | 2;
  /** Base addresses (fresh expressions per call). */
  x: () => Expr;
  w: () => Expr;
  /** Statements consuming the accumulator `acc` (an i32 local) of channel `c` (i32 expr) and row `p`. */
  epilogue: (c: () => Expr, p: Local, acc: Local) => Expr[];
}

export function emitDot(fn: FunctionBuilder, spec: DotSpec): Expr {
  const m = fn.m;
  const [p, c, k, xRow, wRow, acc] = Array.from({ length: 6 }, () => fn.i32Local());
  // A 2 x 4 tile (rows x channels): 8 accumulators, 2 X vectors and one W vector live (11 v128 registers).
  const vs = Array.from({ length: 8 }, () => fn.v128Local());
  const xv = [fn.v128Local(), fn.v128Local()];
  const wv = fn.v128Local();
  const rowBytes = spec.kPad * 2;
  const wBytes = spec.wBytes ?? 2;
  const wRowBytes = spec.kPad * wBytes;
  // k walks X's bytes (16 per step); an i8 W row advances half as fast.
  const wLoad = (j: number): Expr =>
    wBytes === 2 ? fn.loadV(m.i32.add(wRow.get(), k.get()), j * wRowBytes) : fn.load8x8(m.i32.add(wRow.get(), m.i32.shr_u(k.get(), fn.i32(1))), true, j * wRowBytes);
  const zero = () => m.v128.const([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const hsum = (v: Local) =>
    m.i32.add(
      m.i32.add(m.i32x4.extract_lane(v.get(), 0), m.i32x4.extract_lane(v.get(), 1)),
      m.i32.add(m.i32x4.extract_lane(v.get(), 2), m.i32x4.extract_lane(v.get(), 3)),
    );
  const tile = (rowCount: number, count: number): Expr[] => {
    const body: Expr[] = [];
    for (let r = 0; r < rowCount; r++) body.push(xv[r]!.set(fn.loadV(m.i32.add(xRow.get(), k.get()), r * rowBytes)));
    for (let j = 0; j < count; j++) {
      body.push(wv.set(wLoad(j)));
      for (let r = 0; r < rowCount; r++) {
        const v = vs[r * 4 + j]!;
        body.push(v.set(m.i32x4.add(v.get(), m.i32x4.dot_i16x8_s(xv[r]!.get(), wv.get()))));
      }
    }
    const out: Expr[] = [wRow.set(m.i32.add(spec.w(), fn.mulConst(c.get(), wRowBytes)))];
    for (let r = 0; r < rowCount; r++) for (let j = 0; j < count; j++) out.push(vs[r * 4 + j]!.set(zero()));
    out.push(fn.for(k, 0, rowBytes, 16, body));
    for (let r = 0; r < rowCount; r++) {
      const row = fn.i32Local();
      out.push(row.set(fn.addConst(p.get(), r)));
      for (let j = 0; j < count; j++) out.push(acc.set(hsum(vs[r * 4 + j]!)), ...spec.epilogue(() => fn.addConst(c.get(), j), row, acc));
    }
    return out;
  };
  const full = Math.floor(spec.channels / 4) * 4;
  const pass = (rowCount: number): Expr[] => [
    xRow.set(m.i32.add(spec.x(), fn.mulConst(p.get(), rowBytes))),
    fn.for(c, 0, full, 4, tile(rowCount, 4)),
    fn.for(c, full, spec.channels, 1, tile(rowCount, 1)),
  ];
  const pairs = Math.floor(spec.rows / 2) * 2;
  return fn.block([fn.for(p, 0, pairs, 2, pass(2)), fn.for(p, pairs, spec.rows, 1, pass(1))]);
}

/** Packs rows of (v - zp) as i16, zero-padded to kPad, little-endian. `at(r, k)` reads element k of row r. */
export function packRowsI16(rowCount: number, k: number, kPad: number, at: (r: number, k: number) => number): Uint8Array {
  const out = new Int16Array(rowCount * kPad);
  for (let r = 0; r < rowCount; r++) for (let i = 0; i < k; i++) out[r * kPad + i] = at(r, i);
  return new Uint8Array(out.buffer);
}

/** packRowsI16's layout in i8, or null when some value does not fit. */
export function packRowsI8(rowCount: number, k: number, kPad: number, at: (r: number, k: number) => number): Uint8Array | null {
  const out = new Int8Array(rowCount * kPad);
  for (let r = 0; r < rowCount; r++) {
    for (let i = 0; i < k; i++) {
      const v = at(r, i);
      if (v < -128 || v > 127) return null;
      out[r * kPad + i] = v;
    }
  }
  return new Uint8Array(out.buffer);
}

export const padTo8 = (k: number) => Math.ceil(k / 8) * 8;
