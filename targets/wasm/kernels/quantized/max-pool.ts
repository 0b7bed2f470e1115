import binaryen from 'binaryen';
import type { Node } from '../../../../ir/index.js';
import type { FunctionBuilder } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { everyWindowHoldsATap, poolPlan, type PoolPlan } from '../../../shared/pool-geometry.js';

type Expr = binaryen.ExpressionRef;

/**
 * MaxPool of u8 / i8 maps (the quantized graphs' pools: a max of quantized values is the quantized max),
 * 1-D and 2-D, column strides 1 and 2, sixteen outputs per i8x16.max. Each plane is first copied into a
 * buffer bordered with the dtype's minimum — which never wins a max, so padding contributes nothing — and for
 * stride 2 split into its even and odd padded columns, so every tap reads 16 consecutive bytes.
 */

const LANES = 16;

interface Plan extends PoolPlan {
  /** Rows and bytes per row of each column phase of the bordered copy. */
  rows: number;
  rowBytes: number;
  signed: boolean;
}

function planOf(node: Node): Plan {
  const p = poolPlan(node);
  const OW16 = Math.ceil(p.OW / LANES) * LANES;
  const columns = Math.max(p.W + p.PW + 2 * LANES, (OW16 - 1) * p.SW + (p.KW - 1) * p.DW + 1);
  const rowBytes = Math.ceil(Math.ceil(columns / p.SW) / LANES) * LANES + LANES;
  const rows = Math.max(p.H + p.PH, (p.OH - 1) * p.SH + (p.KH - 1) * p.DH + 1);
  return { ...p, rows, rowBytes, signed: node.inputs[0]!.type.dtype === 'i8' };
}

/** null when the kernel takes an 8-bit MaxPool, else why not. */
export function checkInt8MaxPool(node: Node): string | null {
  if (node.outputs.length > 1) return `MaxPool's Indices output on ${node.inputs[0]!.type.dtype} is not supported`;
  const rank = node.inputs[0]!.type.shape.length;
  if (rank !== 3 && rank !== 4) return `${rank - 2}-D MaxPool on ${node.inputs[0]!.type.dtype} is not supported (1-D and 2-D)`;
  const p = planOf(node);
  if (p.SW !== 1 && p.SW !== 2) return `MaxPool on ${node.inputs[0]!.type.dtype} with column stride ${p.SW} is not supported (1 or 2)`;
  // Every window must hold an input tap (the reference's rule for an empty window is not a max of values).
  if (!everyWindowHoldsATap(p.OH, p.KH, p.DH, p.SH, p.PH, p.H) || !everyWindowHoldsATap(p.OW, p.KW, p.DW, p.SW, p.PW, p.W)) return 'windows wholly in padding are not supported on 8-bit maps';
  return null;
}

export function int8MaxPoolScratchBytes(node: Node): number {
  const p = planOf(node);
  return p.SW * p.rows * p.rowBytes + 64;
}

export function emitInt8MaxPool(node: Node, ctx: EmitContext): Expr {
  const p = planOf(node);
  const name = ctx.defineFunction('maxpool-int8', p, 3, build);
  return ctx.call(name, [ctx.addressOf(node.inputs[0]!), ctx.addressOf(node.outputs[0]!), ctx.scratch(int8MaxPoolScratchBytes(node))]);
}

function build(fn: FunctionBuilder, p: Plan): Expr {
  const m = fn.m;
  const [plane, src, dst, h, w, row, oy, ox, rowIn] = Array.from({ length: 9 }, () => fn.i32Local());
  const [a, b, acc] = [fn.v128Local(), fn.v128Local(), fn.v128Local()];
  const buffer = () => fn.param(2);
  const phaseBytes = p.rows * p.rowBytes;
  const lowest = p.signed ? 0x80 : 0;
  const max = (x: Expr, y: Expr) => (p.signed ? m.i8x16.max_s(x, y) : m.i8x16.max_u(x, y));
  // The last chunk of a row reads past it: those lanes become the dtype's minimum.
  const fillTail = (v: Expr, valid: number, first: number) =>
    m.v128.bitselect(v, m.v128.const(new Array<number>(16).fill(lowest)), m.v128.const(Array.from({ length: 16 }, (_, i) => (first + i < valid ? 0xff : 0))));
  const evens = Array.from({ length: 16 }, (_, i) => 2 * i);
  const odds = evens.map((i) => i + 1);
  const copyRow: Expr[] = [];
  if (p.SW === 1) {
    const W16 = Math.floor(p.W / LANES) * LANES;
    copyRow.push(fn.for(w, 0, W16, LANES, [fn.storeV(m.i32.add(row.get(), w.get()), fn.loadV(m.i32.add(src.get(), w.get())), p.PW)]));
    if (p.W > W16) copyRow.push(fn.storeV(row.get(), fillTail(fn.loadV(src.get(), W16), p.W - W16, 0), p.PW + W16));
  } else {
    // Input column w sits at padded column PW + w: phase (PW + w) % 2, byte (PW + w) >> 1 of its row.
    const W32 = Math.floor(p.W / 32) * 32;
    const evenAt = (p.PW >> 1) + (p.PW % 2) * phaseBytes;
    const oddAt = ((p.PW + 1) >> 1) + (1 - (p.PW % 2)) * phaseBytes;
    const chunk = (at: number | null): Expr[] => {
      const column = () => (at === null ? w.get() : fn.i32(at));
      const half = () => (at === null ? fn.m.i32.shr_u(w.get(), fn.i32(1)) : fn.i32(at / 2));
      const load = (offset: number) => (at === null ? fn.loadV(m.i32.add(src.get(), column()), offset) : fillTail(fn.loadV(m.i32.add(src.get(), column()), offset), p.W - at, offset));
      return [
        a.set(load(0)),
        b.set(load(16)),
        fn.storeV(m.i32.add(row.get(), half()), m.i8x16.shuffle(a.get(), b.get(), evens), evenAt),
        fn.storeV(m.i32.add(row.get(), half()), m.i8x16.shuffle(a.get(), b.get(), odds), oddAt),
      ];
    };
    copyRow.push(fn.for(w, 0, W32, 32, chunk(null)), ...(p.W > W32 ? chunk(W32) : []));
  }
  const taps = (): Expr[] => {
    const list: Expr[] = [];
    for (let ky = 0; ky < p.KH; ky++) {
      for (let kx = 0; kx < p.KW; kx++) {
        const column = kx * p.DW;
        const offset = ky * p.DH * p.rowBytes + (column % p.SW) * phaseBytes + Math.floor(column / p.SW);
        const x = fn.loadV(m.i32.add(rowIn.get(), ox.get()), offset);
        list.push(acc.set(ky === 0 && kx === 0 ? x : max(acc.get(), x)));
      }
    }
    return list;
  };
  const outRow = () => m.i32.add(dst.get(), fn.mulConst(oy.get(), p.OW));
  const tail = p.OW % LANES;
  const partial = fn.storeFirstBytes(() => m.i32.add(outRow(), ox.get()), () => acc.get(), 0, tail);
  const full = p.OW - tail;
  return fn.for(plane, 0, p.planes, 1, [
    src.set(m.i32.add(fn.param(0), fn.mulConst(plane.get(), p.H * p.W))),
    dst.set(m.i32.add(fn.param(1), fn.mulConst(plane.get(), p.OH * p.OW))),
    fn.fill(buffer(), fn.i32(lowest), fn.i32(p.SW * phaseBytes)),
    fn.for(h, 0, p.H, 1, [row.set(m.i32.add(buffer(), fn.mulConst(fn.addConst(h.get(), p.PH), p.rowBytes))), ...copyRow, src.set(fn.addConst(src.get(), p.W))]),
    src.set(m.i32.add(fn.param(0), fn.mulConst(plane.get(), p.H * p.W))),
    fn.for(oy, 0, p.OH, 1, [
      rowIn.set(m.i32.add(buffer(), fn.mulConst(oy.get(), p.SH * p.rowBytes))),
      fn.for(ox, 0, full, LANES, [...taps(), fn.storeV(m.i32.add(outRow(), ox.get()), acc.get())]),
      ...(tail ? [ox.set(fn.i32(full)), ...taps(), ...partial] : []),
    ]),
  ]);
}
