import binaryen from 'binaryen';
import { getAttr, type Node } from '../../../../ir/index.js';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { convGeometry, type ConvGeometry } from '../../../shared/conv-geometry.js';
import { emitLaneConvCall, narrowTo8, type LaneConvOperands, type Requantizer } from './conv-requantize.js';

type Expr = binaryen.ExpressionRef;

/**
 * Depthwise QConv (group = C = M) on 1-D / 2-D maps, strides 1 and 2: eight adjacent output pixels per pair of
 * i32x4 accumulators. Each channel is first widened into a zero-bordered plane of zero-point-shifted i16
 * (zero is x_zp - x_zp: padding adds nothing); for stride 2 the plane is split into its even and odd columns,
 * so every tap of every stride reads eight consecutive i16. Two ways to apply the taps:
 *
 *  - single taps (1-D maps): a tap is one load and two i32x4.extmul of the i16 inputs by a splat of the tap's
 *    (w - w_zp);
 *  - row pairs (2-D maps): the plane is also laid out as pairs of rows, P[r][c] = (plane[r][c],
 *    plane[r + DH][c]) in two adjacent i16 lanes, so one load at column c holds four pixels' vertical tap
 *    pair and one i32x4.dot_i16x8_s by a splat of (w[2k][kx], w[2k+1][kx]) applies two taps to four outputs
 *    (an odd kernel height pairs its last row with a zero weight): 6 dots instead of 9 extmuls per four
 *    outputs of a 3x3. For stride 2 only the even pair rows are read, and only those are built. Stride 1
 *    without dilation and an odd kernel height computes two output rows y, y + 1 (y even) from the same
 *    loads: row y takes pair rows y + 2k with (w[2k], w[2k+1]), row y + 1 the same pair rows with
 *    (w[2k-1], w[2k]) — half the loads per output, and again only the even pair rows.
 *
 * Products and sums are exact; then the bias, the per-channel requantization (bit-exact with the reference)
 * and one 8-byte store.
 */

const TILE = 8;
/** Up to this many taps the channel's weight splats stay in locals. */
const MAX_HELD_TAPS = 12;

interface Plan {
  g: ConvGeometry;
  /** Row pairs (dot products) rather than single taps (extmuls). */
  pairs: boolean;
  /** Kernel row pairs, ceil(KH / 2), and the weight splats per channel (pairs or single taps). */
  rowPairs: number;
  weightsPerChannel: number;
  /** Two output rows per pass (row pairs, stride 1, no dilation, odd KH); their second row's weights follow. */
  twoRows: boolean;
  /** Column phases (SW) and the i16 elements per phase row, the padded rows. */
  phases: number;
  rowElems: number;
  rows: number;
  planeBytes: number;
  /** Bytes of the row-pair planes (after the widened ones); 0 without pairs. */
  pairBytes: number;
}

/** Row pairs pay off when the kernel has more than one row. */
const usesPairs = (g: ConvGeometry) => g.KH > 1;
const usesTwoRows = (g: ConvGeometry) => usesPairs(g) && g.SH === 1 && g.DH === 1 && g.KH % 2 === 1 && g.OH > 1;

function planOf(g: ConvGeometry): Plan {
  const pairs = usesPairs(g);
  const rowPairs = Math.ceil(g.KH / 2);
  const phases = g.SW;
  const OW8 = Math.ceil(g.OW / TILE) * TILE;
  // The widest read: the last tile's last lane at the last tap, or the padded input itself (+16 for the
  // 16-pixel widening chunks of stride 2).
  const columns = Math.max(g.W + g.PL + g.PR + 16, (OW8 - 1) * g.SW + (g.KW - 1) * g.DW + 1);
  const rowElems = Math.ceil(Math.ceil(columns / phases) / TILE) * TILE + TILE;
  // A pair's second row may be the zero row past an odd kernel's last.
  const rows = Math.max(g.H + g.PT + g.PB, (g.OH - 1) * g.SH + ((pairs ? 2 * rowPairs : g.KH) - 1) * g.DH + 1);
  const planeBytes = phases * rows * rowElems * 2;
  const twoRows = usesTwoRows(g);
  const weightsPerChannel = (pairs ? rowPairs * g.KW : g.KH * g.KW) * (twoRows ? 2 : 1);
  return { g, pairs, rowPairs, weightsPerChannel, twoRows, phases, rowElems, rows, planeBytes, pairBytes: pairs ? 2 * planeBytes : 0 };
}

/** null when the depthwise kernel takes this QConv. */
export function depthwiseConvUnsuited(node: Node): string | null {
  const g = convGeometry(node);
  if (typeof g === 'string') return g;
  if (!(g.group > 1 && g.Cg === 1 && g.Mg === 1)) return 'not depthwise';
  if (g.SW !== 1 && g.SW !== 2) return `depthwise stride ${g.SW} (1 or 2)`;
  return null;
}

export function depthwiseConvScratchBytes(node: Node): number {
  const p = planOf(convGeometry(node) as ConvGeometry);
  return p.planeBytes + p.pairBytes + 64;
}

export function emitDepthwiseQConv(node: Node, ctx: EmitContext): Expr {
  const p = planOf(convGeometry(node) as ConvGeometry);
  const wZp = getAttr<number>(node, 'w_zero_point');
  const w = node.inputs[1]!.data!.data as Int8Array | Uint8Array;
  const { g } = p;
  // Per channel: the taps' (w - w_zp), or for row pairs (w[2k][kx] - w_zp, w[2k+1][kx] - w_zp or 0) per (k, kx),
  // then for two rows (w[2k-1][kx] - w_zp or 0, w[2k][kx] - w_zp).
  const weights = new Int16Array(g.C * p.weightsPerChannel * (p.pairs ? 2 : 1));
  const second = p.rowPairs * g.KW * 2;
  for (let c = 0; c < g.C; c++) {
    for (let ky = 0; ky < g.KH; ky++) {
      for (let kx = 0; kx < g.KW; kx++) {
        const v = w[(c * g.KH + ky) * g.KW + kx]! - wZp;
        if (!p.pairs) {
          weights[(c * g.KH + ky) * g.KW + kx] = v;
          continue;
        }
        const base = c * p.weightsPerChannel * 2;
        weights[base + ((ky >> 1) * g.KW + kx) * 2 + (ky & 1)] = v;
        if (p.twoRows) weights[base + second + (((ky + 1) >> 1) * g.KW + kx) * 2 + ((ky + 1) & 1)] = v;
      }
    }
  }
  const scratchBytes = depthwiseConvScratchBytes(node);
  return emitLaneConvCall(node, ctx, { kernel: 'qconv-dw', plan: p, weights: new Uint8Array(weights.buffer), scratchBytes, build });
}

function build(fn: FunctionBuilder, p: Plan, o: LaneConvOperands): Expr {
  const m = fn.m;
  const { g } = p;
  const [plane, src, dst] = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const requant = o.requant ? o.requant.make(fn) : null;
  const outBytes = o.out.dtype === 'i32' ? 4 : 1;
  const channel = () => m.i32.rem_u(plane.get(), fn.i32(g.C));
  const param = (index: number, perCh: boolean) => fn.loadI32(m.i32.add(fn.param(index), perCh ? fn.mulConst(channel(), 4) : fn.i32(0)));
  const count = p.weightsPerChannel;
  const held = count <= MAX_HELD_TAPS ? Array.from({ length: count }, () => fn.v128Local()) : null;
  const loadWeight = (t: number): Expr => {
    const base = m.i32.add(fn.param(1), fn.mulConst(channel(), (p.pairs ? 4 : 2) * count));
    return p.pairs ? fn.loadSplat(base, 4 * t) : m.v128.load16_splat(2 * t, 2, base, MEMORY);
  };
  const weight = (t: number): Expr => (held ? held[t]!.get() : loadWeight(t));
  const biasV = fn.v128Local();
  const perPlane: Expr[] = [
    src.set(m.i32.add(fn.param(0), fn.mulConst(plane.get(), g.H * g.W))),
    dst.set(m.i32.add(fn.param(5), fn.mulConst(plane.get(), g.OH * g.OW * outBytes))),
    widen(fn, p, o, src, () => fn.param(6)),
    ...(p.pairs ? [pairRows(fn, p, () => fn.param(6))] : []),
    biasV.set(o.bias ? m.i32x4.splat(param(2, true)) : m.v128.const(new Array(16).fill(0))),
    ...(held ? held.map((h, t) => h.set(loadWeight(t))) : []),
    ...(requant ? requant.load(channel) : []),
    outputRows(fn, p, o, requant, weight, biasV, dst, () => fn.param(6)),
  ];
  return fn.block([...(requant ? requant.setup() : []), fn.for(plane, 0, g.batch * g.C, 1, perPlane)]);
}

/**
 * The channel as zero-point-shifted i16 on a zero border; stride 2 splits even and odd padded columns. Rows
 * are widened 8 (16) columns at a time; the last chunk's lanes past the row are masked to zero.
 */
function widen(fn: FunctionBuilder, p: Plan, o: LaneConvOperands, src: Local, buffer: () => Expr): Expr {
  const m = fn.m;
  const { g } = p;
  const [h, w, row] = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const [lo, hi] = [fn.v128Local(), fn.v128Local()];
  const zp = m.i16x8.splat(fn.i32(o.xZp));
  const phaseBytes = p.rows * p.rowElems * 2;
  // The last chunk of a row reads past it: its lanes beyond the row are zeroed, as padding must be.
  const laneMask = (valid: number, first: number) => m.v128.const(Array.from({ length: 16 }, (_, b) => (first + (b >> 1) < valid ? 0xff : 0)));
  const element = (column: Expr) => m.i32.add(row.get(), column);
  let body: Expr[];
  if (p.phases === 1) {
    const W8 = Math.floor(g.W / 8) * 8;
    const chunk = (at: number | null) => {
      const column = at === null ? w.get() : fn.i32(at);
      const value = m.i16x8.sub(fn.load8x8(m.i32.add(src.get(), column), o.signedX), zp);
      return fn.storeV(element(fn.mulConst(at === null ? w.get() : fn.i32(at), 2)), at === null ? value : m.v128.and(value, laneMask(g.W - W8, 0)), 2 * g.PL);
    };
    body = [fn.for(w, 0, W8, 8, [chunk(null)]), ...(g.W > W8 ? [chunk(W8)] : [])];
  } else {
    // Input column w sits at padded column PL + w: phase (PL + w) % 2, index (PL + w) >> 1.
    const W16 = Math.floor(g.W / 16) * 16;
    const evenPhase = g.PL % 2;
    const evenAt = (g.PL >> 1) * 2 + evenPhase * phaseBytes;
    const oddAt = ((g.PL + 1) >> 1) * 2 + (1 - evenPhase) * phaseBytes;
    const evens = [0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29];
    const odds = evens.map((b) => b + 2);
    // 16 input columns from `at` (w / 2 i16 elements = w bytes into each phase row).
    const chunk = (at: number | null): Expr[] => {
      const column = () => (at === null ? w.get() : fn.i32(at));
      const tail = at === null ? 0 : g.W - at;
      const masked = (v: Expr, first: number) => (at === null ? v : m.v128.and(v, laneMask(tail, first)));
      return [
        lo.set(masked(m.i16x8.sub(fn.load8x8(m.i32.add(src.get(), column()), o.signedX), zp), 0)),
        hi.set(masked(m.i16x8.sub(fn.load8x8(m.i32.add(src.get(), column()), o.signedX, 8), zp), 8)),
        fn.storeV(element(column()), m.i8x16.shuffle(lo.get(), hi.get(), evens), evenAt),
        fn.storeV(element(column()), m.i8x16.shuffle(lo.get(), hi.get(), odds), oddAt),
      ];
    };
    body = [fn.for(w, 0, W16, 16, chunk(null)), ...(g.W > W16 ? chunk(W16) : [])];
  }
  return fn.block([
    fn.fill(buffer(), fn.i32(0), fn.i32(p.planeBytes)),
    fn.for(h, 0, g.H, 1, [
      row.set(m.i32.add(buffer(), fn.mulConst(fn.addConst(h.get(), g.PT), p.rowElems * 2))),
      ...body,
      src.set(fn.addConst(src.get(), g.W)),
    ]),
  ]);
}

/**
 * The row-pair planes after the widened ones: pair row r of a phase interleaves rows r and r + DH, i16 by i16.
 * Only the rows the output reads are built: y * SH + 2k * DH, every row, or the even ones for an even stride.
 */
function pairRows(fn: FunctionBuilder, p: Plan, buffer: () => Expr): Expr {
  const m = fn.m;
  const { g } = p;
  const [r, j, from, to] = [fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const [a, b] = [fn.v128Local(), fn.v128Local()];
  const rowBytes = p.rowElems * 2;
  const phaseBytes = p.rows * rowBytes;
  const step = g.SH % 2 === 0 || p.twoRows ? 2 : 1;
  const last = (g.OH - 1) * g.SH + 2 * (p.rowPairs - 1) * g.DH;
  const phase = (ph: number) =>
    fn.for(r, 0, last + 1, step, [
      from.set(m.i32.add(buffer(), fn.mulConst(r.get(), rowBytes))),
      to.set(m.i32.add(buffer(), fn.mulConst(r.get(), 2 * rowBytes))),
      fn.for(j, 0, rowBytes, 16, [
        a.set(fn.loadV(m.i32.add(from.get(), j.get()), ph * phaseBytes)),
        b.set(fn.loadV(m.i32.add(from.get(), j.get()), ph * phaseBytes + g.DH * rowBytes)),
        fn.storeV(m.i32.add(to.get(), fn.mulConst(j.get(), 2)), fn.interleaveI16(a.get(), b.get()), p.planeBytes + 2 * ph * phaseBytes),
        fn.storeV(m.i32.add(to.get(), fn.mulConst(j.get(), 2)), fn.interleaveI16(a.get(), b.get(), true), p.planeBytes + 2 * ph * phaseBytes + 16),
      ]),
    ]);
  return fn.block(Array.from({ length: p.phases }, (_, ph) => phase(ph)));
}

function outputRows(
  fn: FunctionBuilder,
  p: Plan,
  o: LaneConvOperands,
  requant: Requantizer | null,
  weight: (t: number) => Expr,
  biasV: Local,
  dst: Local,
  buffer: () => Expr,
): Expr {
  const m = fn.m;
  const { g } = p;
  const [oy, ox, rowIn, yRow] = [fn.i32Local(), fn.i32Local(), fn.i32Local(), fn.i32Local()];
  // Accumulators, results and packed bytes per output row of the pass (two for twoRows).
  const acc = [0, 1].map(() => [fn.v128Local(), fn.v128Local()] as const);
  const res = [0, 1].map(() => [fn.v128Local(), fn.v128Local()] as const);
  const packed = [fn.v128Local(), fn.v128Local()];
  const [xv, xw] = [fn.v128Local(), fn.v128Local()];
  const phaseBytes = p.rows * p.rowElems * 2;
  const narrow = o.out.dtype !== 'i32';
  const outBytes = narrow ? 1 : 4;
  // Expressions are trees: every use builds its own (hence functions, not shared arrays).
  // Row pairs: pixels are 4 bytes (two i16), rows twice as long, and the planes follow the widened ones.
  const rowBytes = p.rowElems * 2 * (p.pairs ? 2 : 1);
  const secondRowWeights = p.rowPairs * g.KW;
  const pairTaps = (rows: number): Expr[] => {
    const list: Expr[] = [];
    for (let k = 0; k < p.rowPairs; k++) {
      for (let kx = 0; kx < g.KW; kx++) {
        const column = kx * g.DW;
        const offset = p.planeBytes + 2 * k * g.DH * rowBytes + (column % p.phases) * 2 * phaseBytes + Math.floor(column / p.phases) * 4;
        const t = k * g.KW + kx;
        list.push(xv.set(fn.loadV(m.i32.add(rowIn.get(), fn.mulConst(ox.get(), 4)), offset)), xw.set(fn.loadV(m.i32.add(rowIn.get(), fn.mulConst(ox.get(), 4)), offset + 16)));
        for (let r = 0; r < rows; r++) {
          const [lo, hi] = acc[r]!;
          const w = () => weight(t + r * secondRowWeights);
          list.push(lo.set(m.i32x4.add(lo.get(), m.i32x4.dot_i16x8_s(xv.get(), w()))), hi.set(m.i32x4.add(hi.get(), m.i32x4.dot_i16x8_s(xw.get(), w()))));
        }
      }
    }
    return list;
  };
  const taps = (rows: number): Expr[] => {
    if (p.pairs) return pairTaps(rows);
    const [lo, hi] = acc[0]!;
    const list: Expr[] = [];
    for (let ky = 0; ky < g.KH; ky++) {
      for (let kx = 0; kx < g.KW; kx++) {
        const column = kx * g.DW;
        const offset = ky * g.DH * p.rowElems * 2 + (column % p.phases) * phaseBytes + Math.floor(column / p.phases) * 2;
        list.push(
          xv.set(fn.loadV(m.i32.add(rowIn.get(), fn.mulConst(ox.get(), 2)), offset)),
          lo.set(m.i32x4.add(lo.get(), m.i32x4.extmul_low_i16x8_s(xv.get(), weight(ky * g.KW + kx)))),
          hi.set(m.i32x4.add(hi.get(), m.i32x4.extmul_high_i16x8_s(xv.get(), weight(ky * g.KW + kx)))),
        );
      }
    }
    return list;
  };
  const result = (r: number): Expr[] => {
    const [[lo, hi], [r0, r1]] = [acc[r]!, res[r]!];
    return [
      ...(requant ? [r0.set(requant.apply(lo)), r1.set(requant.apply(hi))] : [r0.set(lo.get()), r1.set(hi.get())]),
      ...(narrow ? [packed[r]!.set(narrowTo8(fn, o.out.dtype === 'i8', r0.get(), r1.get()))] : []),
    ];
  };
  // Output row r of the pass is OW elements after row r - 1: a constant offset of every store.
  const at = () => m.i32.add(yRow.get(), fn.mulConst(ox.get(), outBytes));
  const fastStore = (r: number): Expr[] => {
    const offset = r * g.OW * outBytes;
    return narrow ? fn.storeFirstBytes(at, () => packed[r]!.get(), offset, TILE) : [fn.storeV(at(), res[r]![0].get(), offset), fn.storeV(at(), res[r]![1].get(), offset + 16)];
  };
  // The row's last, partial tile stores exactly its lanes (static: 4 + 2 + 1 bytes at most, or i32 by i32).
  const tailLanes = g.OW % TILE;
  const partialStore = (r: number): Expr[] => {
    const offset = r * g.OW * outBytes;
    if (narrow) return fn.storeFirstBytes(at, () => packed[r]!.get(), offset, tailLanes);
    const [r0, r1] = res[r]!;
    return Array.from({ length: tailLanes }, (_, lane) => fn.storeI32(at(), m.i32x4.extract_lane(lane < 4 ? r0.get() : r1.get(), lane % 4), offset + 4 * lane));
  };
  const tile = (rows: number, store: (r: number) => Expr[]): Expr[] => {
    const list: Expr[] = [];
    for (let r = 0; r < rows; r++) list.push(acc[r]![0].set(biasV.get()), acc[r]![1].set(biasV.get()));
    list.push(...taps(rows));
    for (let r = 0; r < rows; r++) list.push(...result(r), ...store(r));
    return list;
  };
  const fullTiles = g.OW - tailLanes;
  const pass = (rows: number): Expr[] => [
    rowIn.set(m.i32.add(buffer(), fn.mulConst(oy.get(), g.SH * rowBytes))),
    yRow.set(m.i32.add(dst.get(), fn.mulConst(oy.get(), g.OW * outBytes))),
    fn.for(ox, 0, fullTiles, TILE, tile(rows, fastStore)),
    ...(tailLanes ? [ox.set(fn.i32(fullTiles)), ...tile(rows, partialStore)] : []),
  ];
  if (!p.twoRows) return fn.for(oy, 0, g.OH, 1, pass(1));
  // Rows in pairs from y = 0 (even y: the pair rows built), then an odd count's last row alone.
  const pairs = Math.floor(g.OH / 2) * 2;
  return fn.block([fn.for(oy, 0, pairs, 2, pass(2)), ...(g.OH % 2 ? [oy.set(fn.i32(pairs)), ...pass(1)] : [])]);
}
