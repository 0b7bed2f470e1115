import binaryen from 'binaryen';
import { getAttr, type AttrValue, type Node } from '../../../../ir/index.js';
import { convTransposeGeometry } from '../../../../ir/ops/nn.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { WasmKernel, WasmOptions } from '../../kernel.js';
import { fillRun, loopNest, type Get } from '../movement/movement-copy.js';

type Expr = binaryen.ExpressionRef;

/**
 * ConvTranspose (NCHW f32, 1 or 2 spatial dims) as GEMM + col2im. For each image, group and block of MB
 * output channels:
 *   col[(m, kh, kw), (ih, iw)] = sum_c W[c, m, kh, kw] * X[c, ih, iw]      (W is [C, M/group, kh, kw]: already W^T)
 *   Y[m, ih*SH - PH + kh*DH, iw*SW - PW + kw*DW] += col[(m, kh, kw), (ih, iw)]
 * The GEMM is register-tiled 4 rows x 8 columns (8 f32x4 accumulators); col2im is unrolled over the kernel taps
 * with the valid input ranges of each tap computed at compile time. The col buffer lives in scratch, sized
 * for MB channels at a time so large layers do not need megabytes of it.
 */

const COL_BUDGET = 256 * 1024;

interface Plan {
  N: number;
  C: number;
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

function attrsOf(node: Node) {
  return { attr: <T extends AttrValue>(name: string) => getAttr<T>(node, name) };
}

function planOf(node: Node): Plan {
  const x = node.inputs[0]!.type.shape as number[];
  const w = node.inputs[1]!.type.shape as number[];
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const g = convTransposeGeometry(attrsOf(node), x.slice(2), w.slice(2), fail);
  const two = (v: readonly number[], fill: number): [number, number] => (v.length === 1 ? [fill, v[0]!] : [v[0]!, v[1]!]);
  const [H, W] = two(x.slice(2), 1);
  const [KH, KW] = two(g.kernel, 1);
  const [SH, SW] = two(g.strides, 1);
  const [DH, DW] = two(g.dilations, 1);
  const n = x.length - 2;
  const [PH, PW] = two(g.pads.slice(0, n), 0);
  const [OH, OW] = two(g.output as number[], 1);
  const Mg = w[1]!;
  const kk = KH * KW;
  let MB = 1;
  for (let d = 1; d <= Mg; d++) if (Mg % d === 0 && d * kk * H * W * 4 <= COL_BUDGET) MB = d;
  return { N: x[0]!, C: x[1]!, H, W, group: getAttr<number>(node, 'group'), Mg, KH, KW, SH, SW, DH, DW, PH, PW, OH, OW, MB, bias: node.inputs[2] != null };
}

/** The f32 accumulation of `rows` col rows by `vecs` f32x4 columns (or one scalar column when vecs is 0). */
function gemmTile(fn: FunctionBuilder, p: Plan, rows: number, vecs: number, w: Get, x: Get, col: Get): Expr[] {
  const m = fn.m;
  const Cg = p.C / p.group;
  const wStride = p.Mg * p.KH * p.KW * 4;
  const xStride = p.H * p.W * 4;
  const rowBytes = p.H * p.W * 4;
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
  const HW = p.H * p.W;
  const R = p.MB * p.KH * p.KW;
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
  const HW = p.H * p.W;
  const OHW = p.OH * p.OW;
  const kk = p.KH * p.KW;
  return loopNest(fn, [p.MB], [[OHW * 4], [4], [kk * HW * 4]], [out, bias, col], ([plane, b, c]) => {
    const code: Expr[] = [];
    if (p.bias) {
      const v = fn.v128Local();
      code.push(v.set(fn.loadSplat(b!())), ...fillRun(fn, plane!, v, 4, OHW * 4));
    } else {
      code.push(fn.fill(plane!(), fn.i32(0), fn.i32(OHW * 4)));
    }
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
        code.push(
          op.set(fn.addConst(plane!(), (oh0 * p.OW + ow0) * 4)),
          cp.set(fn.addConst(c!(), ((kh * p.KW + kw) * HW + ihLo * p.W + iwLo) * 4)),
          fn.for(ih, ihLo, ihHi, 1, [...row, op.set(fn.addConst(op.get(), p.SH * p.OW * 4)), cp.set(fn.addConst(cp.get(), p.W * 4))]),
        );
      }
    }
    return code;
  });
}

/** Scratch for one block's col rows. */
const colBytes = (p: Plan): number => p.MB * p.KH * p.KW * p.H * p.W * 4;

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
    const rank = node.inputs[0]!.type.shape.length;
    if (rank !== 3 && rank !== 4) return `ConvTranspose with ${rank - 2} spatial dims is not supported (1 or 2)`;
    try {
      planOf(node);
    } catch (e) {
      return `ConvTranspose geometry: ${(e as Error).message}`;
    }
    return null;
  },
  scratchBytes(node: Node, _options: WasmOptions) {
    return colBytes(planOf(node));
  },
  emit(node, ctx) {
    const p = planOf(node);
    const Cg = p.C / p.group;
    const HW = p.H * p.W;
    const kk = p.KH * p.KW;
    const OHW = p.OH * p.OW;
    const M = p.Mg * p.group;
    const col = ctx.scratch(colBytes(p));
    const name = ctx.defineFunction('conv-transpose', p, 5, (fn, p) => {
      const [Cg, HW, kk, OHW, M] = [p.C / p.group, p.H * p.W, p.KH * p.KW, p.OH * p.OW, p.Mg * p.group];
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
