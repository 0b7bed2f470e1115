import binaryen from 'binaryen';
import { dtypeRange, getAttr, numel, type Node, type Value } from '../../../../ir/index.js';
import type { ConvGeometry } from '../../../shared/conv-geometry.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { qOutputOf, type QOutput } from './numeric.js';

type Expr = binaryen.ExpressionRef;

/**
 * Requantization of four i32 accumulators of one output channel at once, bit-exact with requantizeI64 +
 * storeClamped (numeric.ts): y = clamp((int64(acc) * M + 2^(S-1)) >> S + zp). The lane-parallel
 * kernels (pixels in lanes) share one channel's parameters across the vector. Three ways to compute it:
 *
 *  - SignedRequantizer, the usual one: y = (acc·M' + C) >> s in signed 64-bit lanes, where the >> s takes the
 *    high words and shifts them by s - 32, and the kernels' saturating narrowing to 8 bits is the clamp (an
 *    activation's tighter bounds add an i32 min/max). With M' = M, C = 2^(S-1) + zp·2^S and s = S it is the
 *    reference's formula itself (signedTable); where a search finds one constant s for all channels
 *    (highWordTable) the shift is an immediate.
 *  - TableRequantizer, when M and S are constants with M <= 2^S (a real multiplier <= 1, as every quantizer
 *    makes for conv outputs): the compiler finds, per channel, the accumulator window [A_lo, A_hi] whose
 *    images are exactly the clamp bounds, so clamping acc to it (two i32x4 ops) replaces the 64-bit clamp;
 *    then with d = acc - A_lo >= 0 and A_lo·M + 2^(S-1) = B_hi·2^S + B_lo (0 <= B_lo < 2^S),
 *    y = B_hi + zp + ((d·M + B_lo) >>> S) — unsigned 64-bit lanes, which SIMD128 has natively.
 *    When the node's channels allow it (highWordTable), M and B_lo are replaced by M' < 2^32 and B' for the
 *    node's shift s = 32 + e, found so that floor((d·M' + B') / 2^s) takes every level at the same d as the
 *    original: the high words of the 64-bit lanes, shifted by the constant e, replace two variable 64-bit shifts.
 *  - ChannelRequantizer, for anything else: signed 64-bit lanes and a 64-bit clamp.
 */
export interface Requantizer {
  /** Statements run once per function. */
  setup(): Expr[];
  /** Statements run once per output channel (an i32 expression of the channel index). */
  load(channel: () => Expr): Expr[];
  /** The requantized i32x4 (zero point added, clamped) of the accumulator vector in `acc`. */
  apply(acc: Local): Expr;
}

const LOW_WORDS = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
/** Bytes per channel of a requantization table: A_lo, A_hi, M, S (i32), B_lo (i64), B_hi + zp (i32), pad. */
const ENTRY = 32;

const clampBounds = (out: QOutput): [number, number] => {
  const [dlo, dhi] = dtypeRange(out.dtype);
  return [Math.max(out.lo, dlo) - out.zeroPoint, Math.min(out.hi, dhi) - out.zeroPoint];
};

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return q * b > a ? q - 1n : q;
};
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b);
const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;
const clampI32 = (v: bigint) => (v < I32_MIN ? I32_MIN : v > I32_MAX ? I32_MAX : v);

/**
 * The per-channel table of TableRequantizer for a node's constant multiplier and shift (inputs 3 and 4), or
 * null when some channel does not qualify (M = 0, M > 2^S, parameters not constant).
 */
export function requantTable(node: Node, out: QOutput, channels: number): Uint8Array | null {
  const [mult, shift] = [node.inputs[3], node.inputs[4]];
  if (!mult?.data || !shift?.data) return null;
  const perChannel = numel(mult.type.shape as number[]) > 1;
  const [lo, hi] = clampBounds(out).map(BigInt) as [bigint, bigint];
  const table = new DataView(new ArrayBuffer(channels * ENTRY));
  for (let c = 0; c < channels; c++) {
    const M = BigInt(Number(mult.data.data[perChannel ? c : 0]));
    const S = BigInt(Number(shift.data.data[perChannel ? c : 0]));
    const scale = 1n << S;
    const round = 1n << (S - 1n);
    if (M <= 0n || M > scale) return null;
    const aLo = clampI32(ceilDiv(lo * scale - round, M));
    const aHi = clampI32(ceilDiv((hi + 1n) * scale - round, M) - 1n);
    if (aLo > aHi) return null;
    const base = aLo * M + round;
    const bHi = floorDiv(base, scale);
    const at = c * ENTRY;
    table.setInt32(at, Number(aLo), true);
    table.setInt32(at + 4, Number(aHi), true);
    table.setInt32(at + 8, Number(M), true);
    table.setInt32(at + 12, Number(S), true);
    table.setBigInt64(at + 16, base - bHi * scale, true);
    table.setInt32(at + 24, Number(bHi) + out.zeroPoint, true);
  }
  return new Uint8Array(table.buffer);
}

/**
 * requantTable's entries rewritten for one shift s = 32 + e of the whole node, or null when some channel has no
 * (M', B'). Per channel, with d in [0, D] and the levels y(d) = floor((d·M + B_lo) / 2^S) in [0, L], y first
 * reaches k at t_k = ceil((k·2^S - B_lo) / M); M' and B' in [0, 2^s) give the same function iff, for every k,
 * t_k·M' + B' >= k·2^s > (t_k - 1)·M' + B', and D·M' + B' < (L + 1)·2^s: an interval of B' for each M' tried
 * (the two nearest M·2^(s-S)). The arithmetic is in doubles, exact while every term stays below 2^53.
 *
 * The unsigned form (TableRequantizer) wants M' < 2^32 and tries s = the smallest channel shift + 1, else 32.
 * The signed form (SignedRequantizer) wants M' < 2^31, tries s = the smallest channel shift (else 32), and
 * stores C = B' - A_lo·M' + (B_hi + zp)·2^s in B_lo's place, so that y = (acc·M' + C) >> s over the window;
 * it declines where acc·M' + C could leave the i64 range for some i32 acc.
 */
export function highWordTable(table: Uint8Array, form: 'unsigned' | 'signed' = 'unsigned'): { table: Uint8Array; extraShift: number } | null {
  const src = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const channels = table.byteLength / ENTRY;
  const shifts = Array.from({ length: channels }, (_, c) => src.getInt32(c * ENTRY + 12, true));
  const minShift = Math.min(...shifts);
  const signed = form === 'signed';
  const multLimit = signed ? 2 ** 31 : 2 ** 32;
  for (const s of [...new Set([Math.max(32, signed ? minShift : minShift + 1), 32])]) {
    if (s > 44) continue;
    const out = new DataView(table.slice().buffer);
    let ok = true;
    for (let c = 0; c < channels && ok; c++) {
      const at = c * ENTRY;
      const aLo = src.getInt32(at, true);
      const fit = highWordEntry(src.getInt32(at + 4, true) - aLo, src.getInt32(at + 8, true), shifts[c]!, Number(src.getBigInt64(at + 16, true)), s, multLimit);
      if (!fit) {
        ok = false;
        continue;
      }
      let base = BigInt(fit.base);
      if (signed) {
        const mult = BigInt(fit.mult);
        base += (BigInt(src.getInt32(at + 24, true)) << BigInt(s)) - BigInt(aLo) * mult;
        if (!fitsI64(mult, base)) ok = false;
      }
      out.setInt32(at + 8, fit.mult | 0, true);
      out.setInt32(at + 12, s, true);
      out.setBigInt64(at + 16, base, true);
    }
    if (ok) return { table: new Uint8Array(out.buffer), extraShift: s - 32 };
  }
  return null;
}

function highWordEntry(D: number, M: number, S: number, bLo: number, s: number, multLimit: number): { mult: number; base: number } | null {
  const [scale, two] = [2 ** S, 2 ** s];
  const L = Math.floor((D * M + bLo) / scale);
  if (S > 44 || (L + 1) * scale > 2 ** 53 || (L + 1) * two > 2 ** 53 || D * M + bLo >= 2 ** 53) return null;
  const thresholds: number[] = [];
  for (let k = 1; k <= L; k++) {
    const x = k * scale - bLo;
    let t = Math.ceil(x / M);
    while ((t - 1) * M >= x) t--;
    while (t * M < x) t++;
    thresholds.push(t);
  }
  const exact = Math.floor((M * two) / scale);
  for (const mult of [exact, exact + 1]) {
    if (mult <= 0 || mult >= multLimit || D * mult >= 2 ** 53) continue;
    let lo = 0;
    let hi = Math.min(two - 1, (L + 1) * two - 1 - D * mult);
    thresholds.forEach((t, i) => {
      lo = Math.max(lo, (i + 1) * two - t * mult);
      hi = Math.min(hi, (i + 1) * two - (t - 1) * mult - 1);
    });
    if (lo <= hi) return { mult, base: lo };
  }
  return null;
}

/** Whether acc·M' + C stays inside the i64 range for every i32 acc. */
function fitsI64(mult: bigint, base: bigint): boolean {
  return (1n << 31n) * mult + (base < 0n ? -base : base) < 1n << 63n;
}

/**
 * The signed form with each channel's own shift: M' = M, C = 2^(S-1) + zp·2^S, s = S — the reference's own
 * formula, so exact with no search — or, for S < 32, M' = M·2^(32-S), C·2^(32-S) and s = 32. Null when some
 * multiplier or shift is not constant, M' does not fit 31 bits or acc·M' + C could leave the i64 range. Entries as requantTable's (M', s, C at 8,
 * 12, 16; the rest unused).
 */
export function signedTable(node: Node, out: QOutput, channels: number): Uint8Array | null {
  const [mult, shift] = [node.inputs[3], node.inputs[4]];
  if (!mult?.data || !shift?.data) return null;
  const perChannel = numel(mult.type.shape as number[]) > 1;
  const table = new DataView(new ArrayBuffer(channels * ENTRY));
  for (let c = 0; c < channels; c++) {
    const M = BigInt(Number(mult.data.data[perChannel ? c : 0]));
    const S = BigInt(Number(shift.data.data[perChannel ? c : 0]));
    if (S < 1n || S > 62n) return null;
    const up = S < 32n ? 32n - S : 0n;
    const [m, C] = [M << up, ((1n << (S - 1n)) + (BigInt(out.zeroPoint) << S)) << up];
    if (m < 0n || m >= 1n << 31n || !fitsI64(m, C)) return null;
    table.setInt32(c * ENTRY + 8, Number(m), true);
    table.setInt32(c * ENTRY + 12, Number(S + up), true);
    table.setBigInt64(c * ENTRY + 16, C, true);
  }
  return new Uint8Array(table.buffer);
}

const HIGH_WORDS = LOW_WORDS.map((b) => b + 4);

/** y = (acc·M' + C) >> s per channel (see signedTable and highWordTable's signed form). */
export class SignedRequantizer implements Requantizer {
  private readonly mult: Local;
  private readonly base: Local;
  private readonly low: Local;
  private readonly high: Local;
  private readonly extra: Local;
  private readonly lo: Local | null;
  private readonly hi: Local | null;

  /**
   * `table` is the address of the entries (an i32 expression, fresh per call); `extraShift` is the constant
   * s - 32 of highWordTable's form, or null to read each channel's s; `clamp` is the activation's bounds when
   * they are tighter than the 8-bit dtype's (else the narrowing clamps).
   */
  constructor(
    private readonly fn: FunctionBuilder,
    private readonly table: () => Expr,
    private readonly extraShift: number | null,
    private readonly clamp: [number, number] | null,
  ) {
    [this.mult, this.base, this.low, this.high] = Array.from({ length: 4 }, () => fn.v128Local());
    this.extra = fn.i32Local();
    [this.lo, this.hi] = clamp ? [fn.v128Local(), fn.v128Local()] : [null, null];
  }

  setup(): Expr[] {
    const m = this.fn.m;
    if (!this.clamp || !this.lo || !this.hi) return [];
    return [this.lo.set(m.i32x4.splat(this.fn.i32(this.clamp[0]))), this.hi.set(m.i32x4.splat(this.fn.i32(this.clamp[1])))];
  }

  load(channel: () => Expr): Expr[] {
    const m = this.fn.m;
    const entry = () => m.i32.add(this.table(), this.fn.mulConst(channel(), ENTRY));
    return [
      this.mult.set(this.fn.loadSplat(entry(), 8)),
      this.base.set(m.v128.load64_splat(16, 8, entry(), 'mem')),
      ...(this.extraShift === null ? [this.extra.set(m.i32.sub(this.fn.loadI32(entry(), 12), this.fn.i32(32)))] : []),
    ];
  }

  apply(acc: Local): Expr {
    const m = this.fn.m;
    const { low, high } = this;
    const e = this.extraShift;
    const words = m.i8x16.shuffle(low.get(), high.get(), HIGH_WORDS);
    let y = e === null ? m.i32x4.shr_s(words, this.extra.get()) : e > 0 ? m.i32x4.shr_s(words, this.fn.i32(e)) : words;
    if (this.lo && this.hi) y = m.i32x4.min_s(m.i32x4.max_s(y, this.lo.get()), this.hi.get());
    return m.block(
      null,
      [
        low.set(m.i64x2.add(m.i64x2.extmul_low_i32x4_s(acc.get(), this.mult.get()), this.base.get())),
        high.set(m.i64x2.add(m.i64x2.extmul_high_i32x4_s(acc.get(), this.mult.get()), this.base.get())),
        y,
      ],
      binaryen.v128,
    );
  }
}

export class TableRequantizer implements Requantizer {
  private readonly aLo: Local;
  private readonly aHi: Local;
  private readonly mult: Local;
  private readonly bLo: Local;
  private readonly offset: Local;
  private readonly low: Local;
  private readonly high: Local;
  private readonly d: Local;
  private readonly shift: Local;

  /**
   * `table` is the address of requantTable's bytes (an i32 expression, fresh per call); `extraShift` is null
   * for the table's own shifts, else the high-word form's constant e.
   */
  constructor(
    private readonly fn: FunctionBuilder,
    private readonly table: () => Expr,
    private readonly extraShift: number | null = null,
  ) {
    [this.aLo, this.aHi, this.mult, this.bLo, this.offset, this.low, this.high, this.d] = Array.from({ length: 8 }, () => fn.v128Local());
    this.shift = fn.i32Local();
  }

  setup(): Expr[] {
    return [];
  }

  load(channel: () => Expr): Expr[] {
    const m = this.fn.m;
    const entry = () => m.i32.add(this.table(), this.fn.mulConst(channel(), ENTRY));
    return [
      this.aLo.set(this.fn.loadSplat(entry(), 0)),
      this.aHi.set(this.fn.loadSplat(entry(), 4)),
      this.mult.set(this.fn.loadSplat(entry(), 8)),
      this.shift.set(this.fn.loadI32(entry(), 12)),
      this.bLo.set(m.v128.load64_splat(16, 8, entry(), 'mem')),
      this.offset.set(this.fn.loadSplat(entry(), 24)),
    ];
  }

  apply(acc: Local): Expr {
    const m = this.fn.m;
    const { d, low, high } = this;
    const e = this.extraShift;
    const half = (wide: Expr): Expr => (e === null ? m.i64x2.shr_u(m.i64x2.add(wide, this.bLo.get()), this.shift.get()) : m.i64x2.add(wide, this.bLo.get()));
    const words = () => (e === null ? m.i8x16.shuffle(low.get(), high.get(), LOW_WORDS) : m.i8x16.shuffle(low.get(), high.get(), HIGH_WORDS));
    return m.block(
      null,
      [
        d.set(m.i32x4.sub(m.i32x4.min_s(m.i32x4.max_s(acc.get(), this.aLo.get()), this.aHi.get()), this.aLo.get())),
        low.set(half(m.i64x2.extmul_low_i32x4_u(d.get(), this.mult.get()))),
        high.set(half(m.i64x2.extmul_high_i32x4_u(d.get(), this.mult.get()))),
        m.i32x4.add(e ? m.i32x4.shr_u(words(), this.fn.i32(e)) : words(), this.offset.get()),
      ],
      binaryen.v128,
    );
  }
}

export class ChannelRequantizer implements Requantizer {
  private readonly mult: Local;
  private readonly shift: Local;
  private readonly round: Local;
  private readonly lo: Local;
  private readonly hi: Local;
  private readonly zp: Local;
  private readonly low: Local;
  private readonly high: Local;

  /** Multipliers and shifts are read from params `multParam` / `shiftParam`, one per channel or one for all. */
  constructor(
    private readonly fn: FunctionBuilder,
    private readonly out: QOutput,
    private readonly params: { mult: number; shift: number; perChannel: boolean },
  ) {
    [this.mult, this.round, this.lo, this.hi, this.zp, this.low, this.high] = Array.from({ length: 7 }, () => fn.v128Local());
    this.shift = fn.i32Local();
  }

  setup(): Expr[] {
    const m = this.fn.m;
    const [lo, hi] = clampBounds(this.out);
    return [
      this.lo.set(m.i64x2.splat(m.i64.const(BigInt(lo)))),
      this.hi.set(m.i64x2.splat(m.i64.const(BigInt(hi)))),
      this.zp.set(m.i32x4.splat(this.fn.i32(this.out.zeroPoint))),
    ];
  }

  load(channel: () => Expr): Expr[] {
    const m = this.fn.m;
    const at = (param: number) => m.i32.add(this.fn.param(param), this.params.perChannel ? this.fn.mulConst(channel(), 4) : this.fn.i32(0));
    return [
      this.mult.set(this.fn.loadSplat(at(this.params.mult))),
      this.shift.set(this.fn.loadI32(at(this.params.shift))),
      this.round.set(m.i64x2.splat(m.i64.shl(m.i64.const(1n), m.i64.extend_u(m.i32.sub(this.shift.get(), this.fn.i32(1)))))),
    ];
  }

  apply(acc: Local): Expr {
    const m = this.fn.m;
    const half = (wide: Expr): Expr => m.i64x2.shr_s(m.i64x2.add(wide, this.round.get()), this.shift.get());
    const clampHalf = (t: Local): Expr[] => [
      t.set(m.v128.bitselect(this.lo.get(), t.get(), m.i64x2.lt_s(t.get(), this.lo.get()))),
      t.set(m.v128.bitselect(this.hi.get(), t.get(), m.i64x2.gt_s(t.get(), this.hi.get()))),
    ];
    const { low, high } = this;
    return m.block(
      null,
      [
        low.set(half(m.i64x2.extmul_low_i32x4_s(acc.get(), this.mult.get()))),
        high.set(half(m.i64x2.extmul_high_i32x4_s(acc.get(), this.mult.get()))),
        ...clampHalf(low),
        ...clampHalf(high),
        m.i32x4.add(m.i8x16.shuffle(low.get(), high.get(), LOW_WORDS), this.zp.get()),
      ],
      binaryen.v128,
    );
  }
}

/**
 * The requantizer of a QConv-shaped node (params 3, 4: multiplier, shift): the first form that applies — the
 * signed one with a constant shift, with per-channel shifts, the unsigned window table (high-word or not),
 * else the general one. The table forms pass the table's address in param 3. `key` goes into the function key.
 */
export interface RequantChoice {
  table: Uint8Array | null;
  key: string;
  make(fn: FunctionBuilder): Requantizer;
}

export function chooseRequantizer(node: Node, out: QOutput, channels: number): RequantChoice {
  const own = requantTable(node, out, channels);
  const perChannel = numel(node.inputs[3]!.type.shape as number[]) > 1;
  if (out.dtype === 'u8' || out.dtype === 'i8') {
    const common = own ? highWordTable(own, 'signed') : null;
    const table = common?.table ?? signedTable(node, out, channels);
    if (table) {
      const extraShift = common ? common.extraShift : null;
      const [dlo, dhi] = dtypeRange(out.dtype);
      const clamp: [number, number] | null = out.lo > dlo || out.hi < dhi ? [Math.max(out.lo, dlo), Math.min(out.hi, dhi)] : null;
      return { table, key: `S${extraShift ?? '*'}`, make: (fn) => new SignedRequantizer(fn, () => fn.param(3), extraShift, clamp) };
    }
  }
  const high = own ? highWordTable(own) : null;
  const table = high ? high.table : own;
  const extraShift = high ? high.extraShift : null;
  return {
    table,
    key: table ? (extraShift === null ? 'T' : `H${extraShift}`) : perChannel ? 'M*' : 'M',
    make: (fn) => (table ? new TableRequantizer(fn, () => fn.param(3), extraShift) : new ChannelRequantizer(fn, out, { mult: 3, shift: 4, perChannel })),
  };
}

/** The requantization part of a function key: none, or the chosen form's. */
export const requantKey = (requant: RequantChoice | null): string => requant?.key ?? '-';

/** The call argument in the multiplier's place: the table's address in the table form, else the multiplier's. */
export function requantArgument(ctx: EmitContext, node: Node, requant: RequantChoice | null, multiplierAddress: number): number {
  return requant?.table ? ctx.placeData(`qconv-requant:${node.name}`, requant.table) : multiplierAddress;
}

/**
 * The call of a lane QConv kernel (lanes, depthwise, Winograd), whose functions all take (x, packed weights,
 * bias, multiplier or requantization table, shift, y, scratch) and are keyed by kernel, geometry and operands.
 */
export function emitLaneConvCall<P extends { g: ConvGeometry }>(
  node: Node,
  ctx: EmitContext,
  spec: { kernel: string; plan: P; weights: Uint8Array; scratchBytes: number; build: (fn: FunctionBuilder, plan: P, o: LaneConvOperands) => Expr },
): Expr {
  const [x, w, bias, mult, shift] = node.inputs;
  const out = qOutputOf(node);
  const xZp = getAttr<number>(node, 'x_zero_point');
  const requant = mult ? chooseRequantizer(node, out, spec.plan.g.M) : null;
  const weights = ctx.placeData(`${spec.kernel}-w:${w!.name}:${getAttr<number>(node, 'w_zero_point')}`, spec.weights);
  const operands: LaneConvOperands = { signedX: x!.type.dtype === 'i8', xZp, out, bias: !!bias, requant };
  // The requantizer is code (its make()); its key names the form and the constants that code is built from.
  const plan = { kernel: spec.plan, operands: { ...operands, requant: requantKey(requant) } };
  const name = ctx.defineFunction(spec.kernel, plan, 7, (fn, p) => spec.build(fn, p.kernel, { ...p.operands, requant }));
  const addr = (v: Value | null | undefined) => (v ? ctx.addressOf(v) : 0);
  return ctx.call(name, [addr(x), weights, addr(bias), requantArgument(ctx, node, requant, addr(mult)), addr(shift), addr(node.outputs[0]), ctx.scratch(spec.scratchBytes)]);
}

/** What the lane kernels' function bodies are specialized to, besides their geometry. */
export interface LaneConvOperands {
  signedX: boolean;
  xZp: number;
  out: QOutput;
  bias: boolean;
  requant: RequantChoice | null;
}

/** Eight clamped i32 lanes (two vectors) as eight 8-bit values in lanes 0..7 (saturation cannot change them). */
export function narrowTo8(fn: FunctionBuilder, signed: boolean, a: Expr, b: Expr): Expr {
  const m = fn.m;
  const words = m.i16x8.narrow_i32x4_s(a, b);
  const unused = m.v128.const(new Array<number>(16).fill(0));
  return signed ? m.i8x16.narrow_i16x8_s(words, unused) : m.i8x16.narrow_i16x8_u(words, unused);
}
