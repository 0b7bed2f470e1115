import binaryen from 'binaryen';
import { getAttr, numel, type Node } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext, WasmKernel } from '../../kernel.js';
import { buildReduce, type ReducePlan } from '../reduce/reduce.js';
import { gather, laneBytes, nest } from '../reduce/reduce-simd.js';
import { buildPoolNd, type PoolMode } from './pool-nd.js';
import { checkInt8MaxPool, emitInt8MaxPool, int8MaxPoolScratchBytes } from '../quantized/max-pool.js';
import { poolNdPlan, poolPlan as planOf, type PoolPlan as Plan } from '../../../shared/pool-geometry.js';

/**
 * MaxPool and AveragePool (1-D and 2-D, NCHW f32) and the global pools; 8-bit MaxPool in ../quantized/max-pool.ts. 3-D pools and MaxPool's Indices output
 * take the loop-based path of pool-nd.ts.
 *
 * Everything about the windows is static, so the code is specialized per layer: output rows are grouped into
 * segments whose windows cover the same kernel rows (interior rows, and each border row alone); in a row,
 * interior columns (windows wholly inside the input) are computed four at a time — a vector of four adjacent
 * outputs, loaded directly for stride 1, deinterleaved with a shuffle for stride 2, gathered otherwise — and
 * border columns one at a time with exactly their valid taps. Padding never contributes a value. MaxPool keeps
 * the reference's NaN rule (the first tap, then strictly larger values) via pmax; AveragePool divides the f32
 * sum by the reference's divisor.
 *
 * Global pools reduce each (n, c) plane with the reduction kernels (blocked SIMD sums).
 */

type Expr = binaryen.ExpressionRef;

const isInt8MaxPool = (node: Node): boolean => node.op === 'MaxPool' && (node.inputs[0]!.type.dtype === 'u8' || node.inputs[0]!.type.dtype === 'i8');

function checkPool(node: Node): string | null {
  const x = node.inputs[0]!;
  if (!isInt8MaxPool(node) && x.type.dtype !== 'f32') return `${node.op} on ${x.type.dtype} is not supported (only f32)`;
  return null;
}

/** The window's reasons, read from the (static) dims. */
function checkPoolDims(node: Node): string | null {
  const x = node.inputs[0]!;
  if (isInt8MaxPool(node)) return checkInt8MaxPool(node);
  if (node.op === 'GlobalAveragePool' || node.op === 'GlobalMaxPool') return numel(x.type.shape as number[]) === 0 ? 'empty tensors are not supported' : null;
  const spatial = x.type.shape.length - 2;
  if (spatial < 1 || spatial > 3) return `${spatial}-D pooling is not supported (1-D to 3-D)`;
  if (numel(node.outputs[0]!.type.shape as number[]) === 0) return 'empty tensors are not supported';
  return null;
}

/** The taps of a window starting at `start` with k taps `dil` apart that fall in [lo, hi). */
function taps(start: number, k: number, dil: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++) if (start + i * dil >= lo && start + i * dil < hi) out.push(i);
  return out;
}

interface Segment {
  from: number;
  to: number;
  /** Valid kernel rows, and the include-pad row count. */
  rows: number[];
  padRows: number;
}

function segments(p: Plan): Segment[] {
  const out: Segment[] = [];
  for (let oh = 0; oh < p.OH; oh++) {
    const start = oh * p.SH - p.PH;
    const rows = taps(start, p.KH, p.DH, 0, p.H);
    const padRows = taps(start, p.KH, p.DH, -p.PH, p.H + p.EH).length;
    const last = out[out.length - 1];
    if (last && last.rows.join() === rows.join() && last.padRows === padRows) last.to = oh + 1;
    else out.push({ from: oh, to: oh + 1, rows, padRows });
  }
  return out;
}

function buildPool(fn: FunctionBuilder, p: Plan, max: boolean, includePad: boolean): Expr {
  const m = fn.m;
  const f = m.f32x4;
  const inBase = fn.i32Local();
  const outBase = fn.i32Local();
  // Interior columns: every tap inside [0, W).
  const interior: number[] = [];
  for (let ow = 0; ow < p.OW; ow++) {
    const c = ow * p.SW - p.PW;
    if (c >= 0 && c + (p.KW - 1) * p.DW < p.W) interior.push(ow);
  }
  const vectorized = interior.length >= 4;
  const owLo = vectorized ? interior[0]! : 0;
  const owHi = vectorized ? interior[interior.length - 1]! + 1 : 0;
  const vectors = Math.floor((owHi - owLo) / 4);
  const overlap = vectorized && (owHi - owLo) % 4 !== 0;
  const scalarColumns = Array.from({ length: p.OW }, (_, ow) => ow).filter((ow) => ow < owLo || ow >= owHi);

  /** Four adjacent outputs' inputs for kernel column kw, from the input row pointer at byte offset `off`. */
  const loadFour = (ptr: Local, off: number): Expr => {
    if (p.SW === 1) return fn.loadV(ptr.get(), off);
    if (p.SW === 2) return m.i8x16.shuffle(fn.loadV(ptr.get(), off), fn.loadV(ptr.get(), off + 12), laneBytes([0, 2, 5, 7]));
    return gather(fn, ptr, off, 4 * p.SW);
  };
  const combineV = (acc: Expr, x: Expr): Expr => (max ? f.pmax(acc, x) : f.add(acc, x));
  const combineS = (acc: Local, x: Expr): Expr => {
    if (!max) return acc.set(m.f32.add(acc.get(), x));
    const t = fn.f32Local();
    return m.block(null, [t.set(x), m.if(m.f32.lt(acc.get(), t.get()), acc.set(t.get()))]);
  };

  const segmentCode = (seg: Segment): Expr => {
    if (seg.rows.length === 0) {
      // Windows wholly in padding (possible only with ceil_mode): the reference gives -inf / 0.
      const rowBytes = p.OW * 4;
      const value = max ? -Infinity : 0;
      const o = fn.i32Local();
      const fill = nest(fn, [{ size: seg.to - seg.from, strides: [rowBytes] }], [o], ([po]) =>
        Array.from({ length: p.OW }, (_, ow) => fn.storeF(po!.get(), fn.f32(value), 4 * ow)),
      );
      return m.block(null, [o.set(fn.addConst(outBase.get(), seg.from * rowBytes)), fill]);
    }
    const kh0 = seg.rows[0]!;
    const rowOff = (kh: number) => (kh - kh0) * p.DH * p.W * 4;
    const rowValid = seg.rows.length;
    const firstRow = seg.from * p.SH - p.PH + kh0 * p.DH;
    const ri = fn.i32Local();
    const ro = fn.i32Local();
    const rowBody = (pi: Local, po: Local): Expr[] => {
      const out: Expr[] = [];
      if (vectorized) {
        const divisor = (includePad ? seg.padRows : rowValid) * p.KW;
        const vecAt = (ci: Local, co: Local, inOff: number, outOff: number): Expr[] => {
          const acc = fn.v128Local();
          const code: Expr[] = [];
          let first = true;
          for (const kh of seg.rows) {
            for (let kw = 0; kw < p.KW; kw++) {
              const x = loadFour(ci, inOff + rowOff(kh) + kw * p.DW * 4);
              code.push(acc.set(first ? x : combineV(acc.get(), x)));
              first = false;
            }
          }
          const result = max ? acc.get() : f.div(acc.get(), fn.splat(divisor));
          code.push(fn.storeV(co.get(), result, outOff));
          return code;
        };
        const startIn = (owLo * p.SW - p.PW) * 4;
        const ci = fn.i32Local();
        const co = fn.i32Local();
        out.push(ci.set(fn.addConst(pi.get(), startIn)), co.set(fn.addConst(po.get(), owLo * 4)));
        out.push(nest(fn, [{ size: vectors, strides: [16 * p.SW, 16] }], [ci, co], ([vi, vo]) => vecAt(vi!, vo!, 0, 0)));
        if (overlap) {
          const ow = owHi - 4;
          out.push(...vecAt(pi, po, (ow * p.SW - p.PW) * 4, ow * 4));
        }
      }
      for (const ow of scalarColumns) {
        const start = ow * p.SW - p.PW;
        const cols = taps(start, p.KW, p.DW, 0, p.W);
        const acc = fn.f32Local();
        let first = true;
        for (const kh of seg.rows) {
          for (const kw of cols) {
            const x = fn.loadF(pi.get(), rowOff(kh) + (start + kw * p.DW) * 4);
            out.push(first ? acc.set(x) : combineS(acc, x));
            first = false;
          }
        }
        if (first) {
          out.push(fn.storeF(po.get(), fn.f32(max ? -Infinity : 0), ow * 4));
          continue;
        }
        const count = includePad ? seg.padRows * taps(start, p.KW, p.DW, -p.PW, p.W + p.EW).length : rowValid * cols.length;
        out.push(fn.storeF(po.get(), max ? acc.get() : m.f32.div(acc.get(), fn.f32(count)), ow * 4));
      }
      return out;
    };
    return m.block(null, [
      ri.set(fn.addConst(inBase.get(), firstRow * p.W * 4)),
      ro.set(fn.addConst(outBase.get(), seg.from * p.OW * 4)),
      nest(fn, [{ size: seg.to - seg.from, strides: [p.SH * p.W * 4, p.OW * 4] }], [ri, ro], ([pi, po]) => rowBody(pi!, po!)),
    ]);
  };

  const planeIn = fn.i32Local();
  const planeOut = fn.i32Local();
  const body = nest(fn, [{ size: p.planes, strides: [p.H * p.W * 4, p.OH * p.OW * 4] }], [planeIn, planeOut], ([pi, po]) => [
    inBase.set(pi!.get()),
    outBase.set(po!.get()),
    ...segments(p).map(segmentCode),
  ]);
  return m.block(null, [planeIn.set(fn.param(0)), planeOut.set(fn.param(1)), body]);
}

/**
 * Past this many unrolled taps the specialized code would be huge (a 60x80 window unrolls into millions of
 * instructions, and binaryen then takes minutes): such layers use plain loops instead.
 */
const MAX_UNROLLED_TAPS = 4096;

/** Taps the specialized code unrolls: per segment, each valid row's kernel columns, once for the vector body and once per border column. */
function unrolledTaps(p: Plan): number {
  let columns = 0;
  for (let ow = 0; ow < p.OW; ow++) {
    const c = ow * p.SW - p.PW;
    if (!(c >= 0 && c + (p.KW - 1) * p.DW < p.W)) columns++;
  }
  return segments(p).reduce((sum, seg) => sum + seg.rows.length * p.KW * (columns + 1), 0);
}

/**
 * The same pooling with loops over the window instead of unrolled taps: one output at a time, skipping taps
 * outside the input, with the reference's divisor (taps inside the padded input with count_include_pad, else
 * the valid ones) and its rule for windows wholly in padding (-inf for max, 0 for average).
 */
function buildPoolLooped(fn: FunctionBuilder, p: Plan, max: boolean, includePad: boolean): Expr {
  const m = fn.m;
  const [plane, oh, ow, kh, kw] = [fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const [ih, iw, valid, padded] = [fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const [inPlane, out] = [fn.i32Local(), fn.i32Local()];
  const acc = fn.f32Local();
  const x = fn.f32Local();
  const within = (v: Local, lo: number, hi: number) => m.i32.and(m.i32.ge_s(v.get(), fn.i32(lo)), m.i32.lt_s(v.get(), fn.i32(hi)));
  const combine = max
    ? m.if(m.i32.or(m.i32.eqz(valid.get()), m.f32.lt(acc.get(), x.get())), acc.set(x.get()))
    : acc.set(m.f32.add(acc.get(), x.get()));
  const tap = m.block(null, [
    iw.set(fn.addConst(fn.mulConst(ow.get(), p.SW), -p.PW)),
    iw.set(m.i32.add(iw.get(), fn.mulConst(kw.get(), p.DW))),
    m.if(m.i32.and(within(ih, -p.PH, p.H + p.EH), within(iw, -p.PW, p.W + p.EW)), padded.set(fn.addConst(padded.get(), 1))),
    m.if(
      m.i32.and(within(ih, 0, p.H), within(iw, 0, p.W)),
      m.block(null, [
        x.set(fn.loadF(m.i32.add(inPlane.get(), fn.mulConst(m.i32.add(fn.mulConst(ih.get(), p.W), iw.get()), 4)))),
        combine,
        valid.set(fn.addConst(valid.get(), 1)),
      ]),
    ),
  ]);
  const window = fn.for(kh, 0, p.KH, 1, [
    ih.set(m.i32.add(fn.addConst(fn.mulConst(oh.get(), p.SH), -p.PH), fn.mulConst(kh.get(), p.DH))),
    fn.for(kw, 0, p.KW, 1, [tap]),
  ]);
  const divisor = m.f32.convert_s.i32(includePad ? padded.get() : valid.get());
  const result = max
    ? m.select(m.i32.eqz(valid.get()), fn.f32(-Infinity), acc.get())
    : m.select(m.i32.eqz(valid.get()), fn.f32(0), m.f32.div(acc.get(), divisor));
  const output = fn.block([
    acc.set(fn.f32(0)),
    valid.set(fn.i32(0)),
    padded.set(fn.i32(0)),
    window,
    fn.storeF(out.get(), result),
    out.set(fn.addConst(out.get(), 4)),
  ]);
  return fn.block([
    out.set(fn.param(1)),
    fn.for(plane, 0, p.planes, 1, [
      inPlane.set(m.i32.add(fn.param(0), fn.mulConst(plane.get(), p.H * p.W * 4))),
      fn.for(oh, 0, p.OH, 1, [fn.for(ow, 0, p.OW, 1, [output])]),
    ]),
  ]);
}

function emitPool(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const shape = x.type.shape as number[];
  const src = ctx.addressOf(x);
  const dst = ctx.addressOf(node.outputs[0]!);
  if (node.op === 'GlobalAveragePool' || node.op === 'GlobalMaxPool') {
    const rows = [shape[0]! * shape[1]!, numel(shape.slice(2))];
    const kind = node.op === 'GlobalMaxPool' ? 'Max' : 'Mean';
    return ctx.call(ctx.defineFunction('reduce', { kind, dtype: 'f32', shape: rows, axes: [1] } satisfies ReducePlan, 2, buildReduce), [src, dst]);
  }
  if (node.op === 'MaxPool' && x.type.dtype !== 'f32') return emitInt8MaxPool(node, ctx);
  const max = node.op === 'MaxPool';
  const includePad = !max && getAttr<number>(node, 'count_include_pad') !== 0;
  const withIndices = max && node.outputs.length > 1;
  if (shape.length === 5 || withIndices) {
    const plan = poolNdPlan(node);
    const mode: PoolMode = max ? 'max' : includePad ? 'avg-pad' : 'avg';
    const indices: 'row' | 'column' | null = withIndices ? (getAttr<number>(node, 'storage_order') === 1 ? 'column' : 'row') : null;
    const fnName = ctx.defineFunction('pool-nd', { plan, mode, indices }, indices ? 3 : 2, (fn, p) => buildPoolNd(fn, p.plan, p.mode, p.indices));
    return ctx.call(fnName, indices ? [src, dst, ctx.addressOf(node.outputs[1]!)] : [src, dst]);
  }
  const p = planOf(node);
  const looped = unrolledTaps(p) > MAX_UNROLLED_TAPS;
  const name = ctx.defineFunction('pool', { looped, max, includePad, window: p }, 2, (fn, q) => (q.looped ? buildPoolLooped : buildPool)(fn, q.window, q.max, q.includePad));
  return ctx.call(name, [src, dst]);
}

export const poolKernels: WasmKernel = {
  ops: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'],
  check: checkPool,
  checkDims: checkPoolDims,
  scratchBytes: (node) => (node.op === 'MaxPool' && node.inputs[0]!.type.dtype !== 'f32' ? int8MaxPoolScratchBytes(node) : 0),
  emit: emitPool,
};
