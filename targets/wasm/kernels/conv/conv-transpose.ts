import binaryen from 'binaryen';
import type { Node } from '../../../../ir/index.js';
import { convTransposePlan, tapsOf } from '../../../shared/conv-transpose-geometry.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { WasmKernel, WasmOptions } from '../../kernel.js';
import { fillRun, loopNest, type Get } from '../movement/movement-copy.js';

type Expr = binaryen.ExpressionRef;

/**
 * ConvTranspose (NC[D]HW f32, 1 to 3 spatial dims, seen as 3-D by the shared geometry) as GEMM + col2im. For
 * each image, group and block of MB output channels:
 *   col[(m, kd, kh, kw), (id, ih, iw)] = sum_c W[c, m, kd, kh, kw] * X[c, id, ih, iw]   (W is [C, M/group, k...]: already W^T)
 *   Y[m, id*SD - PD + kd*DD, ih*SH - PH + kh*DH, iw*SW - PW + kw*DW] += col[(m, kd, kh, kw), (id, ih, iw)]
 * The GEMM is register-tiled 4 rows x 8 columns (8 f32x4 accumulators); col2im is unrolled over the kernel taps
 * with the valid input ranges of each tap computed at compile time (a loop over the input depth for 3-D). The
 * col buffer lives in scratch, sized for MB channels at a time so large layers do not need megabytes of it.
 */

const COL_BUDGET = 256 * 1024;

interface Plan {
  N: number;
  C: number;
  /** Depth axis (1 for 1-D and 2-D problems): extent, kernel, stride, dilation, leading pad, output extent. */
  D: number;
  KD: number;
  SD: number;
  DD: number;
  PD: number;
  OD: number;
  H: number;
  W: number;
  group: number;
  Mg: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  DH: number;
  DW: number;
  PH: number;
  PW: number;
  OH: number;
  OW: number;
  /** Output channels per col block (a divisor of Mg). */
  MB: number;
  bias: boolean;
}

/** The plan from the shared geometry; throws its reason (checkDims reports it first). */
function planOf(node: Node): Plan {
  const g = convTransposePlan(node);
  if (typeof g === 'string') throw new Error(g);
  const [D, H, W] = g.dims;
  const [OD, OH, OW] = g.out;
  const [KD, KH, KW] = g.kernel;
  const [SD, SH, SW] = g.strides;
  const [DD, DH, DW] = g.dilations;
  const [PD, PH, PW] = g.padBegin;
  const kk = tapsOf(g);
  let MB = 1;
  for (let d = 1; d <= g.Mg; d++) if (g.Mg % d === 0 && d * kk * D * H * W * 4 <= COL_BUDGET) MB = d;
  return { N: g.batch, C: g.C, D, KD, SD, DD, PD, OD, H, W, group: g.group, Mg: g.Mg, KH, KW, SH, SW, DH, DW, PH, PW, OH, OW, MB, bias: node.inputs[2] != null };
}

/** Kernel taps and input positions per channel (all three spatial axes). */
const taps = (p: Plan): number => p.KD * p.KH * p.KW;
const inputSize = (p: Plan): number => p.D * p.H * p.W;

/** The f32 accumulation of `rows` col rows by `vecs` f32x4 columns (or one scalar column when vecs is 0). */
function gemmTile(fn: FunctionBuilder, p: Plan, rows: number, vecs: number, w: Get, x: Get, col: Get): Expr[] {
  const m = fn.m;
  const Cg = p.C / p.group;
  const wStride = p.Mg * taps(p) * 4;
  const xStride = inputSize(p) * 4;
  const rowBytes = inputSize(p) * 4;
  const wp = fn.i32Local();
  const xp = fn.i32Local();
  const c = fn.i32Local();
  const out: Expr[] = [wp.set(w()), xp.set(x())];
  const body: Expr[] = [];
  const stores: Expr[] = [];
  if (vecs > 0) {
    const acc: Local[][] = Array.from({ length: rows }, () => Array.from({ length: vecs }, () => fn.v128Local()));
    const xv = Array.from({ length: vecs }, () => fn.v128Local());
    const ws = fn.v128Local();
    for (const row of acc) for (const a of row) out.push(a.set(fn.splat(0)));
    xv.forEach((v, j) => body.push(v.set(fn.loadV(xp.get(), 16 * j))));
    acc.forEach((row, i) => {
      body.push(ws.set(fn.loadSplat(wp.get(), 4 * i)));
      row.forEach((a, j) => body.push(a.set(m.f32x4.add(a.get(), m.f32x4.mul(ws.get(), xv[j]!.get())))));
    });
    acc.forEach((row, i) => row.forEach((a, j) => stores.push(fn.storeV(fn.addConst(col(), i * rowBytes), a.get(), 16 * j))));
  } else {
    const acc = Array.from({ length: rows }, () => fn.f32Local());
    const xs = fn.f32Local();
    for (const a of acc) out.push(a.set(fn.f32(0)));
    body.push(xs.set(fn.loadF(xp.get())));
    acc.forEach((a, i) => body.push(a.set(m.f32.add(a.get(), m.f32.mul(fn.loadF(wp.get(), 4 * i), xs.get())))));
    acc.forEach((a, i) => stores.push(fn.storeF(fn.addConst(col(), i * rowBytes), a.get())));
  }
  out.push(fn.for(c, 0, Cg, 1, [...body, wp.set(fn.addConst(wp.get(), wStride)), xp.set(fn.addConst(xp.get(), xStride))]));
  return [...out, ...stores];
}

/** col[r, :] for the block's R = MB*KH*KW rows, 4 rows at a time, then the leftover rows one by one. */
function gemm(fn: FunctionBuilder, p: Plan, w: Get, x: Get, col: Get): Expr[] {
  const HW = inputSize(p);
  const R = p.MB * taps(p);
  const rowBytes = HW * 4;
  const rowsOf = (rows: number, wRow: Get, colRow: Get): Expr[] => {
    const out: Expr[] = [];
    const t = fn.i32Local();
    const full = Math.floor(HW / 8);
    if (full > 0) out.push(fn.for(t, 0, full, 1, gemmTile(fn, p, rows, 2, wRow, () => fn.m.i32.add(x(), fn.mulConst(t.get(), 32)), () => fn.m.i32.add(colRow(), fn.mulConst(t.get(), 32)))));
    let at = full * 8;
    if (HW - at >= 4) {
      out.push(...gemmTile(fn, p, rows, 1, wRow, () => fn.addConst(x(), at * 4), () => fn.addConst(colRow(), at * 4)));
      at += 4;
    }
    for (; at < HW; at++) {
      const col0 = at;
      out.push(...gemmTile(fn, p, rows, 0, wRow, () => fn.addConst(x(), col0 * 4), () => fn.addConst(colRow(), col0 * 4)));
    }
    return out;
  };
  const out: Expr[] = [];
  const r = fn.i32Local();
  const quads = Math.floor(R / 4);
  if (quads > 0) out.push(fn.for(r, 0, quads, 1, rowsOf(4, () => fn.m.i32.add(w(), fn.mulConst(r.get(), 16)), () => fn.m.i32.add(col(), fn.mulConst(r.get(), 4 * rowBytes)))));
  for (let k = quads * 4; k < R; k++) out.push(...rowsOf(1, () => fn.addConst(w(), k * 4), () => fn.addConst(col(), k * rowBytes)));
  return out;
}

/** The input positions [lo, hi) whose output position i*S - P + k*D lands in [0, O). */
function validRange(size: number, S: number, P: number, D: number, k: number, O: number): [number, number] {
  const off = k * D - P;
  const lo = Math.max(0, Math.ceil(-off / S));
  const hi = Math.min(size, Math.floor((O - 1 - off) / S) + 1);
  return [lo, Math.max(lo, hi)];
}

/** Y[m] = bias[m] (or 0), then every tap's col row added at its output positions. */
function col2im(fn: FunctionBuilder, p: Plan, out: Get, bias: Get, col: Get): Expr[] {
  const m = fn.m;
  const HW = inputSize(p);
  const OHW = p.OD * p.OH * p.OW;
  const kk = taps(p);
  return loopNest(fn, [p.MB], [[OHW * 4], [4], [kk * HW * 4]], [out, bias, col], ([plane, b, c]) => {
    const code: Expr[] = [];
    if (p.bias) {
      const v = fn.v128Local();
      code.push(v.set(fn.loadSplat(b!())), ...fillRun(fn, plane!, v, 4, OHW * 4));
    } else {
      code.push(fn.fill(plane!(), fn.i32(0), fn.i32(OHW * 4)));
    }
    for (let kd = 0; kd < p.KD; kd++) {
      const [idLo, idHi] = validRange(p.D, p.SD, p.PD, p.DD, kd, p.OD);
      if (idHi <= idLo) continue;
      const od0 = idLo * p.SD - p.PD + kd * p.DD;
      for (let kh = 0; kh < p.KH; kh++) {
        const [ihLo, ihHi] = validRange(p.H, p.SH, p.PH, p.DH, kh, p.OH);
        for (let kw = 0; kw < p.KW; kw++) {
          const [iwLo, iwHi] = validRange(p.W, p.SW, p.PW, p.DW, kw, p.OW);
          const count = iwHi - iwLo;
          if (ihHi <= ihLo || count <= 0) continue;
          const oh0 = ihLo * p.SH - p.PH + kh * p.DH;
          const ow0 = iwLo * p.SW - p.PW + kw * p.DW;
          const op = fn.i32Local();
          const cp = fn.i32Local();
          const ih = fn.i32Local();
          const row: Expr[] = [];
          if (p.SW === 1) {
            let j = 0;
            for (; j + 4 <= count; j += 4) row.push(fn.storeV(op.get(), m.f32x4.add(fn.loadV(op.get(), 4 * j), fn.loadV(cp.get(), 4 * j)), 4 * j));
            for (; j < count; j++) row.push(fn.storeF(op.get(), m.f32.add(fn.loadF(op.get(), 4 * j), fn.loadF(cp.get(), 4 * j)), 4 * j));
          } else {
            for (let j = 0; j < count; j++) row.push(fn.storeF(op.get(), m.f32.add(fn.loadF(op.get(), 4 * j * p.SW), fn.loadF(cp.get(), 4 * j)), 4 * j * p.SW));
          }
          /** The tap's rows of one input depth slice, from output and col addresses. */
          const plane2d = (opStart: Expr, cpStart: Expr): Expr[] => [
            op.set(opStart),
            cp.set(cpStart),
            fn.for(ih, ihLo, ihHi, 1, [...row, op.set(fn.addConst(op.get(), p.SH * p.OW * 4)), cp.set(fn.addConst(cp.get(), p.W * 4))]),
          ];
          const tap = (kd * p.KH + kh) * p.KW + kw;
          const opAt = ((od0 * p.OH + oh0) * p.OW + ow0) * 4;
          const cpAt = (tap * HW + (idLo * p.H + ihLo) * p.W + iwLo) * 4;
          if (p.D === 1) {
            code.push(...plane2d(fn.addConst(plane!(), opAt), fn.addConst(c!(), cpAt)));
          } else {
            // Input depth slices id in [idLo, idHi): output slices SD apart, col slices H*W apart.
            const [opd, cpd, id] = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
            code.push(
              opd.set(fn.addConst(plane!(), opAt)),
              cpd.set(fn.addConst(c!(), cpAt)),
              fn.for(id, idLo, idHi, 1, [
                ...plane2d(opd.get(), cpd.get()),
                opd.set(fn.addConst(opd.get(), p.SD * p.OH * p.OW * 4)),
                cpd.set(fn.addConst(cpd.get(), p.H * p.W * 4)),
              ]),
            );
          }
        }
      }
    }
    return code;
  });
}

/** Scratch for one block's col rows. */
const colBytes = (p: Plan): number => p.MB * taps(p) * inputSize(p) * 4;

export const convTransposeKernels: WasmKernel = {
  ops: ['ConvTranspose'],
  check(node) {
    const [x, w, b] = node.inputs;
    for (const v of [x, w, b, node.outputs[0]]) {
      if (!v) continue;
      if (v.type.dtype !== 'f32') return `ConvTranspose on ${v.type.dtype} is not supported (f32 only)`;
    }
    return null;
  },
  checkDims(node) {
    const g = convTransposePlan(node);
    return typeof g === 'string' ? g : null;
  },
  scratchBytes(node: Node, _options: WasmOptions) {
    return colBytes(planOf(node));
  },
  emit(node, ctx) {
    const p = planOf(node);
    const col = ctx.scratch(colBytes(p));
    const name = ctx.defineFunction('conv-transpose', p, 5, (fn, p) => {
      const [Cg, HW, kk, OHW, M] = [p.C / p.group, inputSize(p), taps(p), p.OD * p.OH * p.OW, p.Mg * p.group];
      const body = loopNest(
        fn,
        [p.N, p.group, p.Mg / p.MB],
        [
          [p.C * HW * 4, Cg * HW * 4, 0],
          [0, Cg * p.Mg * kk * 4, p.MB * kk * 4],
          [M * OHW * 4, p.Mg * OHW * 4, p.MB * OHW * 4],
          [0, p.Mg * 4, p.MB * 4],
        ],
        [() => fn.param(1), () => fn.param(2), () => fn.param(0), () => fn.param(3)],
        ([xb, wb, ob, bb]) => [...gemm(fn, p, wb!, xb!, () => fn.param(4)), ...col2im(fn, p, ob!, bb!, () => fn.param(4))],
      );
      return fn.block(body);
    });
    const bias = node.inputs[2] ? ctx.addressOf(node.inputs[2]) : 0;
    return ctx.call(name, [ctx.addressOf(node.outputs[0]!), ctx.addressOf(node.inputs[0]!), ctx.addressOf(node.inputs[1]!), bias, col]);
  },
};
