import binaryen from 'binaryen';
import type { Node } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext, WasmKernel } from '../../kernel.js';
import { planKey } from '../../../shared/plan-key.js';
import { LANES, mapRow, nest, storePartial } from '../reduce/reduce-simd.js';
import { isSingleTapAxis, resizeConstantsProblem, resizePlanePlan, type ResizePlanePlan } from '../../../../ir/ops/resize-taps.js';

/**
 * Resize of 4-D NCHW f32 with constant scales/sizes (and roi), over H and W, and over N and C too.
 * Every mode is separable and all coordinates are static, so the taps (source indices and weights) of each
 * output row and column are computed at compile time exactly as the reference computes them, and placed as
 * tables: nearest, linear and cubic (and antialias, exclude_outside, tf_crop_and_resize) all run the same code.
 *
 * Per plane and output row: the row is first resampled along H into a scratch row (a weighted sum of whole
 * input rows, SIMD along W) — or used in place when it is a single input row (nearest) — then each group of
 * four output columns gathers its taps from that row and sums them with their weights.
 *
 * Resizing N or C (rare: a layer's batch or channels resampled) is a second, separable step: the H/W resize
 * writes every input plane's result to scratch, then each output plane (n, c) is the weighted sum of the planes
 * its N and C taps name (weights multiplied, SIMD along the plane), or the extrapolation value when its N or C
 * coordinate is outside the roi. That code is unrolled per output plane, so their number is bounded.
 */

type Expr = binaryen.ExpressionRef;

type ResizePlan = ResizePlanePlan;
type OuterTaps = NonNullable<ResizePlan['outer']>;

/** Output planes whose summing code may be unrolled when N or C is resized. */
const MAX_OUTER_PLANES = 256;

/**
 * Reason the element type or an operand read at compile time rules the node out, or null; asked before the
 * shapes, since run-time scales or sizes are what leave the result's shape symbolic.
 */
function operandProblem(node: Node): string | null {
  const x = node.inputs[0]!;
  if (x.type.dtype !== 'f32') return `Resize on ${x.type.dtype} is not supported (only f32)`;
  return resizeConstantsProblem(node);
}

const planOf = (node: Node): ResizePlan | string => resizePlanePlan(node, { maxOuterPlanes: MAX_OUTER_PLANES });

/**
 * Row table: per output row, `count` i32 byte offsets of input rows, then `count` f32 weights, then the f32
 * value added (the extrapolation value for rows outside the roi, else 0).
 */
function rowTable(p: ResizePlan): Uint8Array {
  const { count, index, weight, outside } = p.rows;
  const per = 2 * count + 1;
  const buf = new ArrayBuffer(p.OH * per * 4);
  const ints = new Int32Array(buf);
  const floats = new Float32Array(buf);
  for (let o = 0; o < p.OH; o++) {
    for (let k = 0; k < count; k++) {
      ints[o * per + k] = outside[o] ? 0 : index[o * count + k]! * p.W * 4;
      floats[o * per + count + k] = outside[o] ? 0 : weight[o * count + k]!;
    }
    floats[o * per + 2 * count] = outside[o] ? p.extrapolation : 0;
  }
  return new Uint8Array(buf);
}

/**
 * Column table, per group of four output columns: for each tap, four i32 byte offsets into the row and four
 * f32 weights; then four f32 values added (extrapolation outside the roi). Columns past OW weigh 0.
 */
function columnTable(p: ResizePlan): Uint8Array {
  const { count, index, weight, outside } = p.cols;
  const groups = Math.ceil(p.OW / LANES);
  const per = (2 * count + 1) * LANES;
  const buf = new ArrayBuffer(groups * per * 4);
  const ints = new Int32Array(buf);
  const floats = new Float32Array(buf);
  for (let o = 0; o < groups * LANES; o++) {
    const g = Math.floor(o / LANES);
    const lane = o % LANES;
    const inside = o < p.OW && !outside[o];
    for (let k = 0; k < count; k++) {
      ints[g * per + k * LANES + lane] = inside ? index[o * count + k]! * 4 : 0;
      floats[g * per + (count + k) * LANES + lane] = inside ? weight[o * count + k]! : 0;
    }
    floats[g * per + 2 * count * LANES + lane] = o < p.OW && outside[o] ? p.extrapolation : 0;
  }
  return new Uint8Array(buf);
}

/** Params: X, Y, row table, column table, scratch row (W floats). */
function buildResize(fn: FunctionBuilder, p: ResizePlan): Expr {
  const m = fn.m;
  const f = m.f32x4;
  const [x, y, rowT, colT, scratch] = [0, 1, 2, 3, 4].map((i) => fn.i32Local());
  const init = [x, y, rowT, colT, scratch].map((l, i) => l!.set(fn.param(i)));
  const rowsDirect = isSingleTapAxis(p.rows);
  const colsNearest = isSingleTapAxis(p.cols);
  const rc = p.rows.count;
  const cc = p.cols.count;
  const rowRecord = (2 * rc + 1) * 4;
  const colRecord = (2 * cc + 1) * 16;
  const hasColBias = p.cols.outside.some((o) => o !== 0);
  const hasRowBias = p.rows.outside.some((o) => o !== 0);

  // Output row at `po` from the H-resampled source row at `src`: full groups of four columns in a loop, then
  // the partial group (its table entries exist; only its store is partial).
  const fullGroups = Math.floor(p.OW / LANES);
  const rest = p.OW - fullGroups * LANES;
  const columnsExact = (src: Local, po: Local): Expr => {
    const ct = fn.i32Local();
    const group = (t: Local, o: Local, lanes: number): Expr[] => {
      const acc = fn.v128Local();
      const code: Expr[] = [];
      for (let k = 0; k < cc; k++) {
        let v = fn.splat(0);
        for (let lane = 0; lane < lanes; lane++) {
          v = f.replace_lane(v, lane, fn.loadF(m.i32.add(src.get(), fn.loadI32(t.get(), k * 16 + lane * 4))));
        }
        const term = colsNearest ? v : f.mul(v, fn.loadV(t.get(), (cc + k) * 16));
        code.push(acc.set(k === 0 ? term : f.add(acc.get(), term)));
      }
      if (hasColBias) code.push(acc.set(f.add(acc.get(), fn.loadV(t.get(), 2 * cc * 16))));
      code.push(storePartial(fn, o, 0, acc, lanes));
      return code;
    };
    const code: Expr[] = [ct.set(colT!.get())];
    if (fullGroups > 0) code.push(nest(fn, [{ size: fullGroups, strides: [colRecord, 16] }], [ct, po], ([t, o]) => group(t!, o!, LANES)));
    if (rest > 0) {
      const t = fn.i32Local();
      const o = fn.i32Local();
      code.push(t.set(fn.addConst(ct.get(), fullGroups * colRecord)), o.set(fn.addConst(po.get(), fullGroups * 16)), ...group(t, o, rest));
    }
    return fn.block(code);
  };

  const planeIn = fn.i32Local();
  const planeOut = fn.i32Local();
  const body = nest(fn, [{ size: p.planes, strides: [p.H * p.W * 4, p.OH * p.OW * 4] }], [x!, y!], ([pi, po]) => {
    const rt = fn.i32Local();
    const ro = fn.i32Local();
    const code: Expr[] = [planeIn.set(pi!.get()), planeOut.set(po!.get()), rt.set(rowT!.get()), ro.set(po!.get())];
    code.push(
      nest(fn, [{ size: p.OH, strides: [rowRecord, p.OW * 4] }], [rt, ro], ([t, o]) => {
        const src = fn.i32Local();
        if (rowsDirect) return [src.set(m.i32.add(planeIn.get(), fn.loadI32(t!.get()))), columnsExact(src, o!)];
        const srcs = Array.from({ length: rc }, () => fn.i32Local());
        const weights = Array.from({ length: rc }, () => fn.v128Local());
        const bias = fn.v128Local();
        return [
          ...srcs.map((s, k) => s.set(m.i32.add(planeIn.get(), fn.loadI32(t!.get(), 4 * k)))),
          ...weights.map((w, k) => w.set(fn.loadSplat(t!.get(), 4 * (rc + k)))),
          ...(hasRowBias ? [bias.set(fn.loadSplat(t!.get(), 4 * 2 * rc))] : []),
          ...mapRow(fn, scratch!, srcs, p.W, (xs) => {
            let acc = f.mul(xs[0]!, weights[0]!.get());
            for (let k = 1; k < rc; k++) acc = f.add(acc, f.mul(xs[k]!, weights[k]!.get()));
            return hasRowBias ? f.add(acc, bias.get()) : acc;
          }),
          src.set(scratch!.get()),
          columnsExact(src, o!),
        ];
      }),
    );
    return code;
  });
  return fn.block([...init, body]);
}

/** Params: the H/W-resized input planes (N*C of them), Y. Each output plane sums its N and C taps' planes. */
function buildOuterResize(fn: FunctionBuilder, q: { outer: OuterTaps; planeFloats: number; extrapolation: number }): Expr {
  const { C, batch, channels } = q.outer;
  const f = fn.m.f32x4;
  const [mid, y] = [fn.i32Local(), fn.i32Local()];
  const code: Expr[] = [mid.set(fn.param(0)), y.set(fn.param(1))];
  const dst = fn.i32Local();
  for (let n = 0; n < batch.outLen; n++) {
    for (let c = 0; c < channels.outLen; c++) {
      code.push(dst.set(fn.addConst(y.get(), (n * channels.outLen + c) * q.planeFloats * 4)));
      if (batch.outside[n] || channels.outside[c]) {
        code.push(...mapRow(fn, dst, [], q.planeFloats, () => fn.splat(q.extrapolation)));
        continue;
      }
      const terms: { plane: number; weight: number }[] = [];
      for (let kn = 0; kn < batch.count; kn++) {
        for (let kc = 0; kc < channels.count; kc++) {
          const weight = Math.fround(batch.weight[n * batch.count + kn]! * channels.weight[c * channels.count + kc]!);
          if (weight !== 0) terms.push({ plane: batch.index[n * batch.count + kn]! * C + channels.index[c * channels.count + kc]!, weight });
        }
      }
      const srcs = terms.map(() => fn.i32Local());
      code.push(...srcs.map((l, k) => l.set(fn.addConst(mid.get(), terms[k]!.plane * q.planeFloats * 4))));
      code.push(
        ...mapRow(fn, dst, srcs, q.planeFloats, (xs) => {
          if (xs.length === 0) return fn.splat(0);
          let acc = terms[0]!.weight === 1 ? xs[0]! : f.mul(xs[0]!, fn.splat(terms[0]!.weight));
          for (let k = 1; k < xs.length; k++) acc = f.add(acc, terms[k]!.weight === 1 ? xs[k]! : f.mul(xs[k]!, fn.splat(terms[k]!.weight)));
          return acc;
        }),
      );
    }
  }
  return fn.block(code);
}

/** Scratch: the H/W step's row, then (when N or C is resized) its result for every input plane. */
const rowScratch = (p: ResizePlan): number => Math.ceil((p.W * 4) / 16) * 16;
const scratchOf = (p: ResizePlan): number => rowScratch(p) + (p.outer ? p.planes * p.OH * p.OW * 4 : 0);

export const resizeKernels: WasmKernel = {
  ops: ['Resize'],
  check: operandProblem,
  checkDims(node) {
    const p = planOf(node);
    return typeof p === 'string' ? p : null;
  },
  scratchBytes(node) {
    const p = planOf(node);
    return typeof p === 'string' ? 0 : p.outer ? scratchOf(p) : p.W * 4;
  },
  emit(node, ctx: EmitContext) {
    const { outer, ...p } = planOf(node) as ResizePlan;
    const rows = ctx.placeData(planKey('resize-rows', p), rowTable(p));
    const cols = ctx.placeData(planKey('resize-cols', p), columnTable(p));
    const name = ctx.defineFunction('resize', p, 5, buildResize);
    const scratch = ctx.scratch(outer ? scratchOf(p) : p.W * 4);
    if (!outer) return ctx.call(name, [ctx.addressOf(node.inputs[0]!), ctx.addressOf(node.outputs[0]!), rows, cols, scratch]);
    const mid = scratch + rowScratch(p);
    const combine = ctx.defineFunction('resize-outer', { outer, planeFloats: p.OH * p.OW, extrapolation: p.extrapolation }, 2, buildOuterResize);
    return ctx.m.block(null, [ctx.call(name, [ctx.addressOf(node.inputs[0]!), mid, rows, cols, scratch]), ctx.call(combine, [mid, ctx.addressOf(node.outputs[0]!)])]);
  },
};
