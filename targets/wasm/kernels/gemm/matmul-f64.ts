import binaryen from 'binaryen';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';

type Expr = binaryen.ExpressionRef;

/**
 * f64 MatMul: Y[i, j] = sum_k A[i, k] B[k, j], k in order as the reference sums (so results are bit-identical:
 * no fused multiply-add), two columns per f64x2 vector and an odd last column in scalar. Batches either fold
 * into M, or each reads its A and B byte offsets from a table (the f32 plan's broadcasting, in f64 bytes).
 * Params: A, B, Y, offsets table (unused when batches fold).
 */
export function buildMatmulF64(fn: FunctionBuilder, p: { M: number; N: number; K: number; batches: number; hasTable: boolean }): Expr {
  const m = fn.m;
  const { M, N, K } = p;
  const pairs = Math.floor(N / 2);
  const gemm = (a: () => Expr, b: () => Expr, y: () => Expr): Expr[] => {
    const [pa, py, pb, pk, i, j, k] = Array.from({ length: 7 }, () => fn.i32Local());
    const acc = fn.v128Local();
    const accS = fn.local(binaryen.f64);
    const aik = (): Expr => m.f64.load(0, 8, m.i32.add(pa.get(), m.i32.shl(k.get(), m.i32.const(3))), MEMORY);
    const kLoop = (body: Expr[]): Expr => fn.block([pk.set(pb.get()), fn.for(k, 0, K, 1, [...body, pk.set(fn.addConst(pk.get(), N * 8))])]);
    const column = (width: 1 | 2, at: number): Expr[] => {
      const bAt = (q: Local): Expr => fn.addConst(q.get(), at * 8);
      if (width === 2) {
        return [
          acc.set(m.f64x2.splat(m.f64.const(0))),
          kLoop([acc.set(m.f64x2.add(acc.get(), m.f64x2.mul(m.f64x2.splat(aik()), m.v128.load(0, 8, bAt(pk), MEMORY))))]),
          m.v128.store(0, 8, fn.addConst(py.get(), at * 8), acc.get(), MEMORY),
        ];
      }
      return [
        accS.set(m.f64.const(0)),
        kLoop([accS.set(m.f64.add(accS.get(), m.f64.mul(aik(), m.f64.load(0, 8, bAt(pk), MEMORY))))]),
        m.f64.store(0, 8, fn.addConst(py.get(), at * 8), accS.get(), MEMORY),
      ];
    };
    const row: Expr[] = [];
    if (pairs > 0) {
      // pb walks the pair's columns of B, py the output pair.
      row.push(
        pb.set(b()),
        fn.for(j, 0, pairs, 1, [...column(2, 0), pb.set(fn.addConst(pb.get(), 16)), py.set(fn.addConst(py.get(), 16))]),
      );
    } else {
      row.push(pb.set(b()));
    }
    if (N % 2) row.push(...column(1, 0));
    return [
      pa.set(a()),
      py.set(y()),
      fn.for(i, 0, M, 1, [...row, pa.set(fn.addConst(pa.get(), K * 8)), py.set(fn.addConst(py.get(), N % 2 ? 8 : 0))]),
    ];
  };
  if (!p.hasTable) return fn.block(gemm(() => fn.param(0), () => fn.param(1), () => fn.param(2)));
  const t = fn.i32Local();
  const entry = (): Expr => m.i32.add(fn.param(3), fn.mulConst(t.get(), 8));
  return fn.forRuntime(t, fn.i32(0), () => fn.i32(p.batches), 1, gemm(
    () => m.i32.add(fn.param(0), fn.loadI32(entry())),
    () => m.i32.add(fn.param(1), fn.loadI32(entry(), 4)),
    () => m.i32.add(fn.param(2), fn.mulConst(t.get(), M * N * 8)),
  ));
}
