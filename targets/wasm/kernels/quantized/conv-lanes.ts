import binaryen from 'binaryen';
import { dtypeBytes, getAttr, type Node } from '../../../../ir/index.js';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { convGeometry, type ConvGeometry } from '../../../shared/conv-geometry.js';
import { emitLaneConvCall, narrowTo8, type LaneConvOperands, type Requantizer } from './conv-requantize.js';

type Expr = binaryen.ExpressionRef;

/**
 * QConv on 1-D / 2-D maps as an integer GEMM with output pixels in the SIMD lanes (the layout of the f32
 * GEMM): `i32x4.dot_i16x8_s` multiplies a vector holding, for four adjacent output pixels, the pair of
 * zero-point-shifted inputs of two consecutive input channels, by a splat of the two channels' weights —
 * eight exact MACs per instruction, and no horizontal sums.
 *
 * Per batch and group:
 *  1. The input is widened once into channel-pair planes: Xi[cp][h][w] = (x[2cp] - x_zp, x[2cp+1] - x_zp) as
 *     two i16, on a zero border of the convolution's padding (zero is x_zp - x_zp, so padding adds nothing).
 *  2. Stride 1 (any kernel, any dilation) reads Xi directly, as an implicit GEMM: output pixel (oy, ox) is
 *     computed at virtual position q = oy·Wp + ox, whose input for tap (ky, kx) is q + ky·DH·Wp + kx·DW — a
 *     constant shift per tap, so four adjacent q are four adjacent pairs. Columns ox >= OW of the virtual
 *     rows are computed and dropped. Other strides first gather the taps' pairs into rows (one i32 per pixel
 *     and tap, SIMD shuffles for stride 2) and run the same GEMM with one tap.
 *  3. Blocks of pixels are packed into panels of 8 (the reduction in sequential memory), then tiles of 4 output
 *     channels x 8 pixels keep 8 i32x4 accumulators (PairTile); weights are packed at compile time as
 *     (w - w_zp) i16 pairs, 4 channels per 16 bytes. The epilogue adds the bias and requantizes per channel
 *     (conv-requantize.ts: bit-exact with the reference), narrows and stores 8 pixels at once.
 */

/** Pixel-pair offsets are i32 (4 bytes); a tile is 8 pixels. */
const PAIR = 4;
const TILE = 8;
/** The packed panels of one block of pixels stay within this many bytes (half of an L2 cache of 1 MiB). */
const BLOCK_BYTES = 512 * 1024;

interface Plan {
  g: ConvGeometry;
  /** Channel pairs per group. */
  Cp: number;
  /** Padded input planes. */
  Hp: number;
  Wp: number;
  /** Stride 1 on both axes: the GEMM reads the padded planes directly. */
  implicit: boolean;
  /** Virtual width of the GEMM's pixel rows, their count (Q = OH·Wv) and the count rounded up to tiles. */
  Wv: number;
  Q: number;
  Q8: number;
  /**
   * Gathered taps pair consecutive entries of the whole reduction k = (c·KH + ky)·KW + kx rather than two
   * channels of one tap: with an odd channel count (a 3-channel stem) channel pairs waste half of the last pair
   * at every tap (98 pairs for 7x7x3, against 74).
   */
  flat: boolean;
  /** Taps the GEMM walks (KH·KW when implicit, else 1: the gathered rows hold the taps), and pairs per tap. */
  taps: number;
  pairsPerTap: number;
  /** Bytes from one pair plane to the next in the GEMM's X. */
  planeBytes: number;
  /** Channel blocks of 4 per group. */
  blocks: number;
  /** Pixels per block of tiles. */
  blockPixels: number;
  xiBytes: number;
  gatheredBytes: number;
  panelBytes: number;
}

function planOf(g: ConvGeometry): Plan {
  const Cp = Math.ceil(g.Cg / 2);
  const Hp = g.H + g.PT + g.PB;
  const Wp = g.W + g.PL + g.PR;
  const implicit = g.SH === 1 && g.SW === 1;
  const Wv = implicit ? Wp : g.OW;
  const Q = g.OH * Wv;
  const Q8 = Math.ceil(Q / TILE) * TILE;
  // Only for few channels (where the waste is large), as the gather is unrolled per pair.
  const flat = !implicit && g.Cg % 2 === 1 && g.Cg < 8 && g.SW <= 2;
  const taps = implicit ? g.KH * g.KW : 1;
  const pairsPerTap = implicit ? Cp : flat ? Math.ceil(g.K / 2) : g.KH * g.KW * Cp;
  const planeBytes = implicit ? Hp * Wp * PAIR : Q8 * PAIR;
  // The GEMM reads up to a tile past the last virtual pixel, shifted by the largest tap.
  const slack = (TILE + (g.KW - 1) * g.DW + 2 * TILE) * PAIR;
  const xiBytes = Cp * Hp * Wp * PAIR + slack;
  const gatheredBytes = implicit ? 0 : pairsPerTap * planeBytes + slack;
  // A block's panels: every pair of the reduction for blockPixels pixels.
  const pixelBytes = taps * pairsPerTap * PAIR;
  const blockPixels = Math.min(Q8, Math.max(TILE, Math.floor(BLOCK_BYTES / pixelBytes / TILE) * TILE));
  const panelBytes = blockPixels * pixelBytes;
  return { g, Cp, Hp, Wp, implicit, flat, Wv, Q, Q8, taps, pairsPerTap, planeBytes, blocks: Math.ceil(g.Mg / 4), blockPixels, xiBytes, gatheredBytes, panelBytes };
}

/** null when the lane kernel takes this QConv (the others use the dot-product kernel, conv.ts). */
export function lanesConvUnsuited(node: Node): string | null {
  const g = convGeometry(node);
  if (typeof g === 'string') return g;
  if (g.Cg === 1 && g.group > 1) return 'depthwise';
  return null;
}

export function lanesConvScratchBytes(node: Node): number {
  const p = planOf(convGeometry(node) as ConvGeometry);
  return p.xiBytes + p.gatheredBytes + p.panelBytes;
}

/**
 * (w - w_zp) as i16 pairs of consecutive input channels, per group, block of 4 channels, tap and pair; or, for
 * the flat reduction, of consecutive reduction entries, per group, block and pair.
 */
function packWeights(node: Node, p: Plan): Uint8Array {
  const { g } = p;
  const w = node.inputs[1]!.data!.data as Int8Array | Uint8Array;
  const wZp = getAttr<number>(node, 'w_zero_point');
  const out = new Int16Array(g.group * p.blocks * p.taps * p.pairsPerTap * 8);
  let o = 0;
  for (let grp = 0; grp < g.group; grp++) {
    for (let b = 0; b < p.blocks; b++) {
      if (p.flat) {
        for (let pair = 0; pair < p.pairsPerTap; pair++) {
          for (let j = 0; j < 4; j++) {
            const mg = b * 4 + j;
            for (let half = 0; half < 2; half++) {
              const k = 2 * pair + half;
              out[o++] = mg < g.Mg && k < g.K ? w[(grp * g.Mg + mg) * g.K + k]! - wZp : 0;
            }
          }
        }
        continue;
      }
      for (let ky = 0; ky < g.KH; ky++) {
        for (let kx = 0; kx < g.KW; kx++) {
          for (let cp = 0; cp < p.Cp; cp++) {
            for (let j = 0; j < 4; j++) {
              const mg = b * 4 + j;
              for (let half = 0; half < 2; half++) {
                const c = 2 * cp + half;
                out[o++] = mg < g.Mg && c < g.Cg ? w[(((grp * g.Mg + mg) * g.Cg + c) * g.KH + ky) * g.KW + kx]! - wZp : 0;
              }
            }
          }
        }
      }
    }
  }
  return new Uint8Array(out.buffer);
}

export function emitLanesConv(node: Node, ctx: EmitContext): Expr {
  const p = planOf(convGeometry(node) as ConvGeometry);
  const scratchBytes = lanesConvScratchBytes(node);
  return emitLaneConvCall(node, ctx, { kernel: 'qconv-lanes', plan: p, weights: packWeights(node, p), scratchBytes, build: buildLanesConv });
}

function buildLanesConv(fn: FunctionBuilder, p: Plan, o: LaneConvOperands): Expr {
  const m = fn.m;
  const { g } = p;
  const [b, grp] = [fn.i32Local(), fn.i32Local()];
  const xi = () => fn.param(6);
  const gathered = () => fn.addConst(fn.param(6), p.xiBytes);
  const panels = () => fn.addConst(fn.param(6), p.xiBytes + p.gatheredBytes);
  const requant = o.requant ? o.requant.make(fn) : null;
  const outBytes = dtypeBytes(o.out.dtype);
  const groupInput = () => m.i32.add(fn.param(0), fn.mulConst(m.i32.add(fn.mulConst(b.get(), g.C), fn.mulConst(grp.get(), g.Cg)), g.H * g.W));
  const groupOutput = () => m.i32.add(fn.param(5), fn.mulConst(m.i32.add(fn.mulConst(b.get(), g.M), fn.mulConst(grp.get(), g.Mg)), g.OH * g.OW * outBytes));
  return fn.block([
    ...(requant ? requant.setup() : []),
    fn.for(b, 0, g.batch, 1, [
      fn.for(grp, 0, g.group, 1, [
        widenIntoPairPlanes(fn, p, o, groupInput, xi),
        ...(p.implicit ? [] : [p.flat ? gatherFlatPairs(fn, p, xi, gathered) : gatherTaps(fn, p, xi, gathered)]),
        gemm(fn, p, o, requant, p.implicit ? xi : gathered, () => m.i32.add(fn.param(1), fn.mulConst(grp.get(), p.blocks * p.taps * p.pairsPerTap * 16)), groupOutput, () => fn.mulConst(grp.get(), g.Mg), panels),
      ]),
    ]),
  ]);
}

/** The padded pair planes of step 1: their geometry, count, size and the bytes to clear. */
export interface PairPlanes {
  g: ConvGeometry;
  Cp: number;
  Hp: number;
  Wp: number;
  xiBytes: number;
}

/**
 * Step 1: Xi[cp][PT + h][PL + w] = (x[2cp][h][w] - zp, x[2cp+1][h][w] - zp), on a zeroed border. Rows are
 * widened 8 columns at a time; the last chunk's lanes past the row are masked to zero (they land in the
 * border, or in the next row before it is written).
 */
export function widenIntoPairPlanes(fn: FunctionBuilder, p: PairPlanes, o: LaneConvOperands, input: () => Expr, xi: () => Expr): Expr {
  const m = fn.m;
  const { g } = p;
  const [cp, h, w, src, dst] = Array.from({ length: 5 }, () => fn.i32Local());
  const [a, c] = [fn.v128Local(), fn.v128Local()];
  const zp = m.i16x8.splat(fn.i32(o.xZp));
  const plane = g.H * g.W;
  const W8 = Math.floor(g.W / 8) * 8;
  const tailMask = m.v128.const(Array.from({ length: 16 }, (_, b) => ((b >> 1) < g.W - W8 ? 0xff : 0)));
  const chunk = (paired: boolean, at: number | null): Expr[] => {
    const column = () => (at === null ? w.get() : fn.i32(at));
    const masked = (v: Expr) => (at === null ? v : m.v128.and(v, tailMask));
    return [
      a.set(masked(m.i16x8.sub(fn.load8x8(m.i32.add(src.get(), column()), o.signedX), zp))),
      c.set(paired ? masked(m.i16x8.sub(fn.load8x8(m.i32.add(src.get(), column()), o.signedX, plane), zp)) : m.v128.const(new Array(16).fill(0))),
      fn.storeV(m.i32.add(dst.get(), fn.mulConst(column(), PAIR)), fn.interleaveI16(a.get(), c.get())),
      fn.storeV(m.i32.add(dst.get(), fn.mulConst(column(), PAIR)), fn.interleaveI16(a.get(), c.get(), true), 16),
    ];
  };
  const row = (paired: boolean): Expr[] => [fn.for(w, 0, W8, 8, chunk(paired, null)), ...(g.W > W8 ? chunk(paired, W8) : [])];
  const planes = (from: number, to: number, paired: boolean) =>
    fn.for(cp, from, to, 1, [
      fn.for(h, 0, g.H, 1, [
        src.set(m.i32.add(input(), m.i32.add(fn.mulConst(cp.get(), 2 * plane), fn.mulConst(h.get(), g.W)))),
        dst.set(m.i32.add(xi(), fn.addConst(m.i32.add(fn.mulConst(cp.get(), p.Hp * p.Wp * PAIR), fn.mulConst(h.get(), p.Wp * PAIR)), (g.PT * p.Wp + g.PL) * PAIR))),
        ...row(paired),
      ]),
    ]);
  const fullPairs = Math.floor(g.Cg / 2);
  return fn.block([fn.fill(xi(), fn.i32(0), fn.i32(p.xiBytes)), planes(0, fullPairs, true), planes(fullPairs, p.Cp, false)]);
}

/** Step 2 for strides other than 1: rows[(ky·KW + kx)·Cp + cp][oy·OW + ox] = Xi[cp][oy·SH + ky·DH][ox·SW + kx·DW]. */
function gatherTaps(fn: FunctionBuilder, p: Plan, xi: () => Expr, rows: () => Expr): Expr {
  const m = fn.m;
  const { g } = p;
  const [ky, kx, cp, oy, ox, src, dst] = Array.from({ length: 7 }, () => fn.i32Local());
  const OW4 = g.SW === 2 ? Math.floor(g.OW / 4) * 4 : 0;
  const evenPairs = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
  const rowCopy: Expr[] = [
    fn.for(ox, 0, OW4, 4, [
      fn.storeV(
        m.i32.add(dst.get(), fn.mulConst(ox.get(), PAIR)),
        m.i8x16.shuffle(fn.loadV(m.i32.add(src.get(), fn.mulConst(ox.get(), 2 * PAIR))), fn.loadV(m.i32.add(src.get(), fn.mulConst(ox.get(), 2 * PAIR)), 16), evenPairs),
      ),
    ]),
    fn.for(ox, OW4, g.OW, 1, [fn.storeI32(m.i32.add(dst.get(), fn.mulConst(ox.get(), PAIR)), fn.loadI32(m.i32.add(src.get(), fn.mulConst(ox.get(), g.SW * PAIR))))]),
  ];
  return fn.for(ky, 0, g.KH, 1, [
    fn.for(kx, 0, g.KW, 1, [
      fn.for(cp, 0, p.Cp, 1, [
        fn.for(oy, 0, g.OH, 1, [
          src.set(
            m.i32.add(
              xi(),
              m.i32.add(
                fn.mulConst(cp.get(), p.Hp * p.Wp * PAIR),
                fn.mulConst(m.i32.add(fn.mulConst(m.i32.add(fn.mulConst(oy.get(), g.SH), fn.mulConst(ky.get(), g.DH)), p.Wp), fn.mulConst(kx.get(), g.DW)), PAIR),
              ),
            ),
          ),
          dst.set(
            m.i32.add(
              rows(),
              m.i32.add(fn.mulConst(m.i32.add(fn.mulConst(m.i32.add(fn.mulConst(ky.get(), g.KW), kx.get()), p.Cp), cp.get()), p.planeBytes), fn.mulConst(oy.get(), g.OW * PAIR)),
            ),
          ),
          ...rowCopy,
        ]),
      ]),
    ]),
  ]);
}

/**
 * Step 2 with the flat reduction: rows[j][oy·OW + ox] = (x_k, x_k+1) for k = 2j, each entry read as the i16
 * half of its channel's pair in Xi (zero past the last k). Four pixels per vector for strides 1 and 2 along
 * the row; the row's tail pixel by pixel.
 */
function gatherFlatPairs(fn: FunctionBuilder, p: Plan, xi: () => Expr, rows: () => Expr): Expr {
  const m = fn.m;
  const { g } = p;
  const [oy, ox, srcA, srcB, dst] = Array.from({ length: 5 }, () => fn.i32Local());
  const OW4 = Math.floor(g.OW / 4) * 4;
  const taps = g.KH * g.KW;
  // Byte offset in Xi of reduction entry k at output (0, 0).
  const entryOffset = (k: number) => {
    const c = Math.floor(k / taps);
    const ky = Math.floor((k % taps) / g.KW);
    const kx = k % g.KW;
    return (c >> 1) * p.Hp * p.Wp * PAIR + (ky * g.DH * p.Wp + kx * g.DW) * PAIR + (c & 1) * 2;
  };
  const zero = m.v128.const(new Array(16).fill(0));
  // Four pixels' i16 of one entry in the low 8 bytes (the rest don't care).
  const four = (src: Local) =>
    g.SW === 1
      ? m.i8x16.shuffle(fn.loadV(m.i32.add(src.get(), fn.mulConst(ox.get(), PAIR))), zero, [0, 1, 4, 5, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0])
      : m.i8x16.shuffle(fn.loadV(m.i32.add(src.get(), fn.mulConst(ox.get(), 2 * PAIR))), fn.loadV(m.i32.add(src.get(), fn.mulConst(ox.get(), 2 * PAIR)), 16), [0, 1, 8, 9, 16, 17, 24, 25, 0, 0, 0, 0, 0, 0, 0, 0]);
  const body: Expr[] = [];
  for (let j = 0; j < p.pairsPerTap; j++) {
    const second = 2 * j + 1 < g.K;
    const rowStart = (k: number) => m.i32.add(xi(), fn.addConst(fn.mulConst(oy.get(), g.SH * p.Wp * PAIR), entryOffset(k)));
    const pixel = (src: Local) => m.i32.load16_s(0, 2, m.i32.add(src.get(), fn.mulConst(ox.get(), g.SW * PAIR)), MEMORY);
    body.push(
      fn.for(oy, 0, g.OH, 1, [
        srcA.set(rowStart(2 * j)),
        srcB.set(second ? rowStart(2 * j + 1) : fn.i32(0)),
        dst.set(m.i32.add(rows(), fn.addConst(fn.mulConst(oy.get(), g.OW * PAIR), j * p.planeBytes))),
        fn.for(ox, 0, OW4, 4, [fn.storeV(m.i32.add(dst.get(), fn.mulConst(ox.get(), PAIR)), fn.interleaveI16(four(srcA), second ? four(srcB) : zero))]),
        fn.for(ox, OW4, g.OW, 1, [
          fn.storeI32(m.i32.add(dst.get(), fn.mulConst(ox.get(), PAIR)), second ? m.i32.or(m.i32.and(pixel(srcA), fn.i32(0xffff)), m.i32.shl(pixel(srcB), fn.i32(16))) : m.i32.and(pixel(srcA), fn.i32(0xffff))),
        ]),
      ]),
    );
  }
  return fn.block(body);
}

/**
 * Step 3: the tiled GEMM and its epilogue, one block of pixels at a time. A block's pixels are first packed
 * into panels of 8 — every pair of the reduction for those 8 pixels in 32 consecutive bytes — so the GEMM's
 * inner loop walks memory sequentially (reading the pair planes directly would jump a whole plane per pair).
 * `channel0` is the group's first output channel.
 */
function gemm(
  fn: FunctionBuilder,
  p: Plan,
  o: LaneConvOperands,
  requant: Requantizer | null,
  xBase: () => Expr,
  wBase: () => Expr,
  yBase: () => Expr,
  channel0: () => Expr,
  panels: () => Expr,
): Expr {
  const m = fn.m;
  const { g } = p;
  const [qb, blk, q, ky, kx, k, xt, wp, qEnd, dst] = Array.from({ length: 10 }, () => fn.i32Local());
  const pairTile = new PairTile(fn);
  const kPairs = p.taps * p.pairsPerTap;

  // Packing: the reduction order is (tap, pair), as the weights are packed.
  const tapOffset = () => fn.mulConst(m.i32.add(fn.mulConst(ky.get(), g.DH * p.Wp), fn.mulConst(kx.get(), g.DW)), PAIR);
  const copyPairs = fn.for(k, 0, p.pairsPerTap, 1, [
    fn.storeV(dst.get(), fn.loadV(xt.get())),
    fn.storeV(dst.get(), fn.loadV(xt.get(), 16), 16),
    xt.set(fn.addConst(xt.get(), p.planeBytes)),
    dst.set(fn.addConst(dst.get(), TILE * PAIR)),
  ]);
  const source = () => m.i32.add(xBase(), fn.mulConst(q.get(), PAIR));
  const packPanel = p.implicit
    ? fn.for(ky, 0, g.KH, 1, [fn.for(kx, 0, g.KW, 1, [xt.set(m.i32.add(source(), tapOffset())), copyPairs])])
    : fn.block([xt.set(source()), copyPairs]);
  const pack = fn.forRuntime(q, qb.get(), () => qEnd.get(), TILE, [dst.set(m.i32.add(panels(), fn.mulConst(m.i32.sub(q.get(), qb.get()), kPairs * PAIR))), packPanel]);

  const tile = [
    xt.set(m.i32.add(panels(), fn.mulConst(m.i32.sub(q.get(), qb.get()), kPairs * PAIR))),
    wp.set(m.i32.add(wBase(), fn.mulConst(blk.get(), kPairs * 16))),
    ...pairTile.reduce(xt, wp, kPairs),
    epilogue(fn, p, o, requant, pairTile.acc, q, blk, yBase, channel0),
  ];
  const blockPixels = p.blockPixels;
  return fn.for(qb, 0, p.Q8, blockPixels, [
    qEnd.set(m.select(m.i32.lt_s(fn.addConst(qb.get(), blockPixels), fn.i32(p.Q8)), fn.addConst(qb.get(), blockPixels), fn.i32(p.Q8))),
    pack,
    fn.for(blk, 0, p.blocks, 1, [fn.forRuntime(q, qb.get(), () => qEnd.get(), TILE, tile)]),
  ]);
}

/**
 * The register tile of the lane GEMMs: 4 output channels x 8 pixels in 8 i32x4 accumulators. X is a panel of
 * 8 pixels' pairs (32 bytes per pair of input channels), W a block of 4 channels' pairs (16 bytes per pair);
 * per pair, 2 pixel vectors and 4 weight splats make 8 i32x4.dot_i16x8_s — 64 exact MACs.
 */
export class PairTile {
  readonly acc: Local[];
  private readonly x: [Local, Local];
  private readonly w: Local;

  constructor(private readonly fn: FunctionBuilder) {
    this.acc = Array.from({ length: 8 }, () => fn.v128Local());
    this.x = [fn.v128Local(), fn.v128Local()];
    this.w = fn.v128Local();
  }

  /** Zeroes the accumulators and sums `pairs` pairs from panel `xt` and weight block `wp` (both advanced). */
  reduce(xt: Local, wp: Local, pairs: number): Expr[] {
    const { fn, acc, x, w } = this;
    const m = fn.m;
    const k = fn.i32Local();
    const step = (xOff: number, wOff: number): Expr[] => {
      const body: Expr[] = [x[0].set(fn.loadV(xt.get(), xOff)), x[1].set(fn.loadV(xt.get(), xOff + 16))];
      for (let j = 0; j < 4; j++) {
        body.push(w.set(fn.loadSplat(wp.get(), wOff + 4 * j)));
        for (let v = 0; v < 2; v++) body.push(acc[j * 2 + v]!.set(m.i32x4.add(acc[j * 2 + v]!.get(), m.i32x4.dot_i16x8_s(x[v]!.get(), w.get()))));
      }
      return body;
    };
    const even = Math.floor(pairs / 2) * 2;
    return [
      ...acc.map((a) => a.set(m.v128.const(new Array(16).fill(0)))),
      fn.for(k, 0, even, 2, [...step(0, 0), ...step(32, 16), xt.set(fn.addConst(xt.get(), 64)), wp.set(fn.addConst(wp.get(), 32))]),
      ...(pairs % 2 ? step(0, 0) : []),
    ];
  }
}

/**
 * Bias, requantization (or the raw i32 accumulators) and the stores of one 4-channel x 8-pixel tile. A tile
 * whose 8 pixels are all real and adjacent in the output is stored with one 8-byte (or two 16-byte) store per
 * channel; others lane by lane, skipping virtual columns and positions past the end.
 */
function epilogue(
  fn: FunctionBuilder,
  p: Plan,
  o: LaneConvOperands,
  requant: Requantizer | null,
  acc: Local[],
  q: Local,
  blk: Local,
  yBase: () => Expr,
  channel0: () => Expr,
): Expr {
  const m = fn.m;
  const { g } = p;
  const outBytes = dtypeBytes(o.out.dtype);
  const [mg, oy, ox, fast, yRow, lane, lq] = Array.from({ length: 7 }, () => fn.i32Local());
  const [r0, r1, packed] = [fn.v128Local(), fn.v128Local(), fn.v128Local()];
  const narrow = o.out.dtype !== 'i32';
  const planeOut = g.OH * g.OW * outBytes;
  const contiguous = p.Wv === g.OW;
  const perChannel = (j: number): Expr[] => {
    const a0 = acc[j * 2]!;
    const a1 = acc[j * 2 + 1]!;
    const channel = () => m.i32.add(channel0(), mg.get());
    const param = (index: number, perCh: boolean) => fn.loadI32(m.i32.add(fn.param(index), perCh ? fn.mulConst(channel(), 4) : fn.i32(0)));
    const body: Expr[] = [];
    if (o.bias) {
      const bv = fn.v128Local();
      body.push(bv.set(m.i32x4.splat(param(2, true))), a0.set(m.i32x4.add(a0.get(), bv.get())), a1.set(m.i32x4.add(a1.get(), bv.get())));
    }
    if (requant) {
      body.push(...requant.load(channel), r0.set(requant.apply(a0)), r1.set(requant.apply(a1)));
    } else {
      body.push(r0.set(a0.get()), r1.set(a1.get()));
    }
    const yChannel = () => m.i32.add(yBase(), fn.mulConst(mg.get(), planeOut));
    const fastStore = narrow
      ? [packed.set(narrowTo8(fn, o.out.dtype === 'i8', r0.get(), r1.get())), m.v128.store64_lane(0, 1, 0, m.i32.add(yChannel(), yRow.get()), packed.get(), 'mem')]
      : [fn.storeV(m.i32.add(yChannel(), yRow.get()), r0.get()), fn.storeV(m.i32.add(yChannel(), yRow.get()), r1.get(), 16)];
    const laneValue = (i: number): Expr => {
      if (narrow) return m.i8x16.extract_lane_u(packed.get(), i);
      return m.i32x4.extract_lane(i < 4 ? r0.get() : r1.get(), i % 4);
    };
    const slowStore: Expr[] = [...(narrow ? [packed.set(narrowTo8(fn, o.out.dtype === 'i8', r0.get(), r1.get()))] : [])];
    for (let i = 0; i < TILE; i++) {
      const store = (offset: Expr) => (narrow ? fn.storeI8(m.i32.add(yChannel(), offset), laneValue(i)) : fn.storeI32(m.i32.add(yChannel(), fn.mulConst(offset, 4)), laneValue(i)));
      if (contiguous) {
        slowStore.push(m.if(m.i32.lt_u(fn.addConst(q.get(), i), fn.i32(p.Q)), store(fn.addConst(q.get(), i))));
        continue;
      }
      slowStore.push(
        lq.set(fn.addConst(q.get(), i)),
        oy.set(m.i32.div_u(lq.get(), fn.i32(p.Wv))),
        lane.set(m.i32.sub(lq.get(), fn.mulConst(oy.get(), p.Wv))),
        m.if(m.i32.and(m.i32.lt_u(lane.get(), fn.i32(g.OW)), m.i32.lt_u(lq.get(), fn.i32(p.Q))), store(m.i32.add(fn.mulConst(oy.get(), g.OW), lane.get()))),
      );
    }
    body.push(m.if(fast.get(), fn.block(fastStore), fn.block(slowStore)));
    return [mg.set(m.i32.add(fn.mulConst(blk.get(), 4), fn.i32(j))), m.if(m.i32.lt_u(mg.get(), fn.i32(g.Mg)), fn.block(body))];
  };
  if (contiguous) {
    // Virtual pixels are output pixels (1xN kernels, no column padding, or gathered taps): only the last
    // tile can be partial.
    return fn.block([fast.set(m.i32.le_u(fn.addConst(q.get(), TILE), fn.i32(p.Q))), yRow.set(fn.mulConst(q.get(), outBytes)), ...[0, 1, 2, 3].flatMap(perChannel)]);
  }
  return fn.block([
    oy.set(m.i32.div_u(q.get(), fn.i32(p.Wv))),
    ox.set(m.i32.sub(q.get(), fn.mulConst(oy.get(), p.Wv))),
    // Fast: all 8 pixels are real and consecutive in the output.
    fast.set(m.i32.and(m.i32.le_u(fn.addConst(ox.get(), TILE), fn.i32(g.OW)), m.i32.lt_u(q.get(), fn.i32(p.Q)))),
    yRow.set(fn.mulConst(m.i32.add(fn.mulConst(oy.get(), g.OW), ox.get()), outBytes)),
    ...[0, 1, 2, 3].flatMap(perChannel),
  ]);
}
