import binaryen from 'binaryen';
import { broadcastShapes, dtypeBytes, numel, type DType, type Node, type Value } from '../../../../ir/index.js';
import { matmulLayout, matmulParamShape, type MatmulLayout as Layout } from '../../../../ir/ops/onnx-quantization.js';
import type { FunctionBuilder } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { FLOAT_PARAM_TYPES, loadFloat, loadInt, roundTo, saturateRound, storeInt } from './numeric.js';

type Expr = binaryen.ExpressionRef;

/**
 * QLinearMatMul and MatMulInteger: exact int32 numpy.matmul of zero-point-shifted 8-bit operands (wrapping like
 * the reference's Int32Array sums), with numpy broadcasting of batch dims and 1-D promotion; QLinearMatMul then
 * requantizes each accumulator as targets/reference/kernels/onnx-quantization.ts does:
 *   multiplier = r(r(a_scale · b_scale) / y_scale)   (r: rounding to the scale dtype after a float32 op)
 *   y = saturate(round_half_even(f32(f32(acc) · multiplier)) + y_zero_point).
 * Parameters (scales, zero points: per tensor, per row of A, per column of B) are read at run time through
 * static index tables placed with the code, as are the per-batch operand offsets. Scalar loops: correctness
 * first.
 */

/** For each flat index of `full`, the flat index of `shape` broadcast to it (numpy rules, right-aligned). */
export function broadcastIndex(full: readonly number[], shape: readonly number[]): Int32Array {
  const n = numel(full);
  const out = new Int32Array(n);
  const rank = full.length;
  const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const strides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d]!;
  }
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += coord[d]! * strides[d]!;
    out[i] = at;
    for (let d = rank - 1; d >= 0 && ++coord[d]! === full[d]!; d--) coord[d] = 0;
  }
  return out;
}

/** Index of a parameter for each (batch, row) or (batch, column) of the result. */
function paramTable(param: Value, matrix: number[], l: Layout, side: 'row' | 'column'): Int32Array | string {
  const shape = matmulParamShape(param.type.shape, matrix, side);
  if (typeof shape === 'string') return shape;
  const target = side === 'row' ? [...l.batch, l.m, 1] : [...l.batch, 1, l.n];
  const full = broadcastShapes([target, shape]);
  if (!full || full.length !== target.length || full.some((d, i) => d !== target[i])) return `parameter [${param.type.shape.join(',')}] does not fit the result`;
  return broadcastIndex(target, shape as number[]);
}

const EIGHT_BIT: readonly DType[] = ['i8', 'u8'];

/** Operand positions of the two ops: a, b, and their parameters (null where the op has none). */
function operands(node: Node) {
  const i = node.inputs;
  if (node.op === 'QLinearMatMul') return { a: i[0]!, aScale: i[1], aZp: i[2], b: i[3]!, bScale: i[4], bZp: i[5], yScale: i[6], yZp: i[7] };
  return { a: i[0]!, aScale: null, aZp: i[2] ?? null, b: i[1]!, bScale: null, bZp: i[3] ?? null, yScale: null, yZp: null };
}

export function checkQuantMatmul(node: Node): string | null {
  const o = operands(node);
  if (!EIGHT_BIT.includes(o.a.type.dtype) || !EIGHT_BIT.includes(o.b.type.dtype)) return `${node.op} on ${o.a.type.dtype} x ${o.b.type.dtype} is not supported (8-bit)`;
  const l = matmulLayout(o.a.type.shape as number[], o.b.type.shape as number[]);
  if (typeof l === 'string') return l;
  for (const [p, side] of [[o.aZp, 'row'], [o.aScale, 'row'], [o.bZp, 'column'], [o.bScale, 'column']] as const) {
    if (!p) continue;
    const t = paramTable(p, side === 'row' ? l.a : l.b, l, side);
    if (typeof t === 'string') return t;
  }
  for (const s of [o.aScale, o.bScale, o.yScale]) if (s && !FLOAT_PARAM_TYPES.includes(s.type.dtype)) return `a ${s.type.dtype} scale is not supported by the wasm target`;
  if (o.yScale && numel(o.yScale.type.shape as number[]) !== 1) return 'y_scale must be a single value';
  if (o.yZp && numel(o.yZp.type.shape as number[]) !== 1) return 'y_zero_point must be a single value';
  return null;
}

const int32Bytes = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function emitQuantMatmul(node: Node, ctx: EmitContext): Expr {
  const o = operands(node);
  const y = node.outputs[0]!;
  const l = matmulLayout(o.a.type.shape as number[], o.b.type.shape as number[]) as Layout;
  const batches = numel(l.batch);
  const aBatch = broadcastIndex(l.batch, l.a.slice(0, -2));
  const bBatch = broadcastIndex(l.batch, l.b.slice(0, -2));
  const table = (v: Value | null | undefined, side: 'row' | 'column') =>
    v ? (paramTable(v, side === 'row' ? l.a : l.b, l, side) as Int32Array) : new Int32Array(side === 'row' ? batches * l.m : batches * l.n);
  const tables = [aBatch, bBatch, table(o.aZp, 'row'), table(o.aScale, 'row'), table(o.bZp, 'column'), table(o.bScale, 'column')];
  const tableAt = tables.map((t, i) => ctx.placeData(`qmatmul-table:${i}:${t.join(',')}`, int32Bytes(t), 4));
  const qlinear = node.op === 'QLinearMatMul';
  const [ad, bd, outD] = [o.a.type.dtype, o.b.type.dtype, y.type.dtype];
  const dt = (v: Value | null | undefined): DType | null => v?.type.dtype ?? null;
  const scaleD = (o.aScale?.type.dtype ?? 'f32') as DType;
  // The operands' dtypes (null: absent) are what the code reads them as; the tables stay in the plan so
  // nodes share a function as they always did (the code reads them at run time, through a parameter).
  const d = { aZp: dt(o.aZp), bZp: dt(o.bZp), aScale: dt(o.aScale), bScale: dt(o.bScale), yScale: dt(o.yScale), yZp: dt(o.yZp) };
  const plan = { qlinear, l, batches, ad, bd, outD, scaleD, d, tables };
  // Params: a, b, aZp, bZp, aScale, bScale, yScale, yZp, y, then the six tables.
  const name = ctx.defineFunction('qmatmul', plan, 15, (fn, { qlinear, l, batches, ad, bd, outD, scaleD, d }) => {
    const m = fn.m;
    const [bi, i, j, p, aRow, bCol, acc, aZp, bZp, rowA, colB, yPtr] = Array.from({ length: 12 }, () => fn.i32Local());
    const [aS, mult, q] = [fn.f32Local(), fn.f32Local(), fn.f32Local()];
    const T = (t: number, index: Expr) => fn.loadI32(m.i32.add(fn.param(9 + t), fn.mulConst(index, 4)));
    const zpOf = (dtype: DType | null, param: number, index: Expr) => (dtype ? loadInt(fn, dtype, m.i32.add(fn.param(param), fn.mulConst(index, dtypeBytes(dtype)))) : fn.i32(0));
    const scaleOf = (dtype: DType | null, param: number, index: Expr) => loadFloat(fn, dtype!, m.i32.add(fn.param(param), fn.mulConst(index, dtypeBytes(dtype!))));
    const [ab, bb] = [dtypeBytes(ad), dtypeBytes(bd)];
    const product = m.i32.mul(
      m.i32.sub(loadInt(fn, ad, m.i32.add(aRow.get(), fn.mulConst(p.get(), ab))), aZp.get()),
      m.i32.sub(loadInt(fn, bd, m.i32.add(bCol.get(), fn.mulConst(p.get(), l.n * bb))), bZp.get()),
    );
    const result: Expr[] = [];
    if (qlinear) {
      const r = (v: Expr) => roundTo(fn, scaleD, v);
      result.push(
        mult.set(r(m.f32.div(r(m.f32.mul(aS.get(), scaleOf(d.bScale, 5, T(5, colB.get())))), scaleOf(d.yScale, 6, fn.i32(0))))),
        q.set(m.f32.mul(m.f32.convert_s.i32(acc.get()), mult.get())),
        storeInt(fn, outD, yPtr.get(), saturateRound(fn, q, zpOf(d.yZp, 7, fn.i32(0)), outD)),
      );
    } else {
      result.push(fn.storeI32(yPtr.get(), acc.get()));
    }
    const column = [
      colB.set(m.i32.add(fn.mulConst(bi.get(), l.n), j.get())),
      bZp.set(zpOf(d.bZp, 3, T(4, colB.get()))),
      bCol.set(m.i32.add(m.i32.add(fn.param(1), fn.mulConst(T(1, bi.get()), l.k * l.n * bb)), fn.mulConst(j.get(), bb))),
      acc.set(fn.i32(0)),
      fn.for(p, 0, l.k, 1, [acc.set(m.i32.add(acc.get(), product))]),
      ...result,
      yPtr.set(fn.addConst(yPtr.get(), dtypeBytes(outD))),
    ];
    const row = [
      rowA.set(m.i32.add(fn.mulConst(bi.get(), l.m), i.get())),
      aZp.set(zpOf(d.aZp, 2, T(2, rowA.get()))),
      ...(qlinear ? [aS.set(scaleOf(d.aScale, 4, T(3, rowA.get())))] : []),
      aRow.set(m.i32.add(m.i32.add(fn.param(0), fn.mulConst(T(0, bi.get()), l.m * l.k * ab)), fn.mulConst(i.get(), l.k * ab))),
      fn.for(j, 0, l.n, 1, column),
    ];
    return fn.block([yPtr.set(fn.param(8)), fn.for(bi, 0, batches, 1, [fn.for(i, 0, l.m, 1, row)])]);
  });
  const addr = (v: Value | null | undefined) => (v ? ctx.addressOf(v) : 0);
  return ctx.call(name, [addr(o.a), addr(o.b), addr(o.aZp), addr(o.bZp), addr(o.aScale), addr(o.bScale), addr(o.yScale), addr(o.yZp), addr(y), ...tableAt]);
}
