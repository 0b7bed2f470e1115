import type binaryen from 'binaryen';
import type { FunctionBuilder } from '../../dsl.js';
import { validRange, type ConvGeometry } from '../../../shared/conv-geometry.js';

type Expr = binaryen.ExpressionRef;

/** n consecutive floats from src to dst (static n): v128 moves, then scalars. */
export function copyFloats(fn: FunctionBuilder, dst: () => Expr, src: () => Expr, n: number): Expr {
  const out: Expr[] = [];
  const vec = Math.floor(n / 4) * 4;
  if (vec > 0) {
    if (vec <= 16) {
      for (let q = 0; q < vec; q += 4) out.push(fn.storeV(dst(), fn.loadV(src(), q * 4), q * 4));
    } else {
      const q = fn.i32Local();
      const at = (base: () => Expr) => fn.m.i32.add(base(), fn.mulConst(q.get(), 4));
      out.push(fn.for(q, 0, vec, 4, [fn.storeV(at(dst), fn.loadV(at(src)))]));
    }
  }
  for (let r = vec; r < n; r++) out.push(fn.storeF(dst(), fn.loadF(src(), r * 4), r * 4));
  return fn.block(out.length ? out : [fn.m.nop()]);
}

/** n zero floats at dst (static n). */
export function zeroFloats(fn: FunctionBuilder, dst: () => Expr, n: number): Expr {
  if (n <= 0) return fn.m.nop();
  if (n <= 8) {
    const out: Expr[] = [];
    let r = 0;
    for (; r + 4 <= n; r += 4) out.push(fn.storeV(dst(), fn.splat(0), r * 4));
    for (; r < n; r++) out.push(fn.storeF(dst(), fn.f32(0), r * 4));
    return fn.block(out);
  }
  return fn.fill(dst(), fn.i32(0), fn.i32(n * 4));
}

/**
 * im2col of output rows [oh0, oh0 + rows) of one group: row (c·KH·KW + tap) of the result holds, for each output
 * position of those rows, the input value the tap reads (0 in padding); rows are `stride` floats apart.
 * Output columns whose input lies inside the image are known statically per tap, so the inner copies have no tests.
 */
export function emitIm2col(
  fn: FunctionBuilder,
  g: ConvGeometry,
  x: () => Expr,
  dst: () => Expr,
  oh0: () => Expr,
  rows: number,
  stride: number,
): Expr {
  const m = fn.m;
  const c = fn.i32Local();
  const r = fn.i32Local();
  const ih = fn.i32Local();
  const taps = g.KH * g.KW;
  const body: Expr[] = [];
  for (let kh = 0; kh < g.KH; kh++) {
    for (let kw = 0; kw < g.KW; kw++) {
      const tap = kh * g.KW + kw;
      const offset = kw * g.DW - g.PL;
      const [lo, hi] = validRange(g.OW, g.SW, offset, g.W);
      const row = () => fn.m.i32.add(fn.addConst(fn.m.i32.add(dst(), fn.mulConst(c.get(), taps * stride * 4)), tap * stride * 4), fn.mulConst(r.get(), g.OW * 4));
      const srcRow = () => fn.m.i32.add(fn.m.i32.add(x(), fn.mulConst(c.get(), g.H * g.W * 4)), fn.mulConst(ih.get(), g.W * 4));
      const inside: Expr[] = [zeroFloats(fn, row, lo)];
      if (hi > lo) {
        const src = () => fn.addConst(srcRow(), (lo * g.SW + offset) * 4);
        const d = () => fn.addConst(row(), lo * 4);
        if (g.SW === 1) inside.push(copyFloats(fn, d, src, hi - lo));
        else {
          const q = fn.i32Local();
          inside.push(fn.for(q, 0, hi - lo, 1, [fn.storeF(fn.m.i32.add(d(), fn.mulConst(q.get(), 4)), fn.loadF(fn.m.i32.add(src(), fn.mulConst(q.get(), g.SW * 4))))]));
        }
      }
      inside.push(zeroFloats(fn, () => fn.addConst(row(), hi * 4), g.OW - hi));
      body.push(
        fn.for(r, 0, rows, 1, [
          ih.set(fn.addConst(fn.mulConst(fn.m.i32.add(oh0(), r.get()), g.SH), kh * g.DH - g.PT)),
          m.if(m.i32.lt_u(ih.get(), fn.i32(g.H)), fn.block(inside), zeroFloats(fn, row, g.OW)),
        ]),
      );
    }
  }
  return fn.for(c, 0, g.Cg, 1, body);
}
