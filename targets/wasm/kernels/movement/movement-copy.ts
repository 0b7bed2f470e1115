import binaryen from 'binaryen';
import { MEMORY, type FunctionBuilder, type Local } from '../../dsl.js';
import type { EmitContext } from '../../kernel.js';
import { simplifyBox, type Box } from '../../../shared/box.js';

export { rowMajorStrides, simplifyBox, type Box } from '../../../shared/box.js';

type Expr = binaryen.ExpressionRef;
/** A fresh expression each call: binaryen expressions may appear only once in a tree. */
export type Get = () => Expr;

/**
 * expr + n and expr * n for an i32 expression and a compile-time constant. FunctionBuilder.add/mul cannot be
 * used with expressions: binaryen's ExpressionRef is itself a JS number, so they fold the reference as a value.
 */
// --- element-sized loads and stores (every access names the module's memory) ---------------------------

/** Loads `width` bytes (1, 2, 4 or 8) as an integer: i32 for up to 4 bytes, i64 for 8. */
export function loadBytes(m: binaryen.Module, width: number, ptr: Expr, offset = 0): Expr {
  switch (width) {
    case 1:
      return m.i32.load8_u(offset, 1, ptr, MEMORY);
    case 2:
      return m.i32.load16_u(offset, 2, ptr, MEMORY);
    case 4:
      return m.i32.load(offset, 4, ptr, MEMORY);
    case 8:
      return m.i64.load(offset, 8, ptr, MEMORY);
    default:
      throw new Error(`no ${width}-byte load`);
  }
}

export function storeBytes(m: binaryen.Module, width: number, ptr: Expr, value: Expr, offset = 0): Expr {
  switch (width) {
    case 1:
      return m.i32.store8(offset, 1, ptr, value, MEMORY);
    case 2:
      return m.i32.store16(offset, 2, ptr, value, MEMORY);
    case 4:
      return m.i32.store(offset, 4, ptr, value, MEMORY);
    case 8:
      return m.i64.store(offset, 8, ptr, value, MEMORY);
    default:
      throw new Error(`no ${width}-byte store`);
  }
}

/** One element of `width` bytes broadcast to all lanes of a v128. */
export function loadSplatBytes(m: binaryen.Module, width: number, ptr: Expr, offset = 0): Expr {
  switch (width) {
    case 1:
      return m.v128.load8_splat(offset, 1, ptr, MEMORY);
    case 2:
      return m.v128.load16_splat(offset, 2, ptr, MEMORY);
    case 4:
      return m.v128.load32_splat(offset, 4, ptr, MEMORY);
    case 8:
      return m.v128.load64_splat(offset, 8, ptr, MEMORY);
    default:
      throw new Error(`no ${width}-byte splat`);
  }
}

/** Stores the first `width` bytes of a v128 (lane 0 of the matching lane size). */
function storeLane0(m: binaryen.Module, width: number, ptr: Expr, vec: Expr, offset: number): Expr {
  switch (width) {
    case 1:
      return m.v128.store8_lane(offset, 1, 0, ptr, vec, MEMORY);
    case 2:
      return m.v128.store16_lane(offset, 2, 0, ptr, vec, MEMORY);
    case 4:
      return m.v128.store32_lane(offset, 4, 0, ptr, vec, MEMORY);
    default:
      return m.v128.store64_lane(offset, 8, 0, ptr, vec, MEMORY);
  }
}

/** Byte address plus a constant, for offsets that may be negative (load/store immediates cannot be). */
const offsetBy = (fn: FunctionBuilder, ptr: Get, bytes: number): Expr => fn.addConst(ptr(), bytes);

// --- runs: the innermost dim of a box ----------------------------------------------------------------------

const UNROLL_LIMIT = 128;

/** Copies a contiguous run of `bytes` bytes: unrolled v128 moves when short, memory.copy when long. */
export function copyRun(fn: FunctionBuilder, dst: Get, src: Get, bytes: number): Expr[] {
  const m = fn.m;
  if (bytes > UNROLL_LIMIT) return [fn.copy(dst(), src(), fn.i32(bytes))];
  const out: Expr[] = [];
  let at = 0;
  for (; at + 16 <= bytes; at += 16) out.push(fn.storeV(dst(), fn.loadV(src(), at), at));
  for (const w of [8, 4, 2, 1]) {
    if (bytes - at >= w) {
      out.push(storeBytes(m, w, dst(), loadBytes(m, w, src(), at), at));
      at += w;
    }
  }
  return out;
}

/**
 * Writes `bytes` bytes of a repeating element pattern held in a v128 (an element splat). `bytes` is a multiple
 * of the element size, so every partial store at the tail starts on an element boundary and lane 0 fits.
 */
export function fillRun(fn: FunctionBuilder, dst: Get, pattern: Local, width: number, bytes: number): Expr[] {
  const m = fn.m;
  const out: Expr[] = [];
  let at = 0;
  let base: Get = dst;
  if (bytes > UNROLL_LIMIT * 2) {
    const p = fn.i32Local();
    const i = fn.i32Local();
    const blocks = Math.floor(bytes / 64);
    out.push(p.set(dst()));
    out.push(fn.for(i, 0, blocks, 1, [...[0, 16, 32, 48].map((o) => fn.storeV(p.get(), pattern.get(), o)), p.set(fn.addConst(p.get(), 64))]));
    base = () => p.get();
    bytes -= blocks * 64;
  }
  for (; at + 16 <= bytes; at += 16) out.push(fn.storeV(base(), pattern.get(), at));
  for (const w of [8, 4, 2, 1]) {
    if (w >= width && bytes - at >= w) {
      out.push(storeLane0(m, w, base(), pattern.get(), at));
      at += w;
    }
  }
  return out;
}

/** n elements read `srcStep` bytes apart and written `dstStep` bytes apart, unrolled by 4. */
function stridedRun(fn: FunctionBuilder, width: number, dst: Get, src: Get, n: number, srcStep: number, dstStep: number): Expr[] {
  const m = fn.m;
  const pd = fn.i32Local();
  const ps = fn.i32Local();
  const one = (u: number): Expr => {
    const s = u * srcStep;
    const d = u * dstStep;
    const value = s >= 0 ? loadBytes(m, width, ps.get(), s) : loadBytes(m, width, offsetBy(fn, () => ps.get(), s));
    return d >= 0 ? storeBytes(m, width, pd.get(), value, d) : storeBytes(m, width, offsetBy(fn, () => pd.get(), d), value);
  };
  const U = 4;
  const full = Math.floor(n / U);
  const out: Expr[] = [pd.set(dst()), ps.set(src())];
  if (full > 0) {
    const i = fn.i32Local();
    out.push(fn.for(i, 0, full, 1, [...[0, 1, 2, 3].map(one), ps.set(fn.addConst(ps.get(), U * srcStep)), pd.set(fn.addConst(pd.get(), U * dstStep))]));
  }
  for (let u = 0; u < n % U; u++) out.push(one(u));
  return out;
}

/**
 * Nested counted loops over `dims`, carrying one pointer per entry of `bases` that advances by its byte stride
 * at each level (no multiplications in the loop); `body` gets the innermost pointers.
 */
export function loopNest(fn: FunctionBuilder, dims: readonly number[], strides: readonly (readonly number[])[], bases: readonly Get[], body: (ptrs: Get[]) => Expr[]): Expr[] {
  if (dims.length === 0) return body([...bases]);
  const ptrs = bases.map(() => fn.i32Local());
  const i = fn.i32Local();
  const inner = loopNest(fn, dims.slice(1), strides.map((s) => s.slice(1)), ptrs.map((p) => () => p.get()), body);
  const advance = ptrs.map((p, k) => (strides[k]![0] === 0 ? null : p.set(fn.addConst(p.get(), strides[k]![0]!)))).filter((e): e is Expr => e !== null);
  return [...ptrs.map((p, k) => p.set(bases[k]!())), fn.for(i, 0, dims[0]!, 1, [...inner, ...advance])];
}

// --- boxes ------------------------------------------------------------------------------------------------

/** The body of a box copy between byte addresses `dst` and `src` (a simplified, non-empty box). */
export function boxBody(fn: FunctionBuilder, width: number, box: Box, dst: Get, src: Get): Expr[] {
  const m = fn.m;
  const rank = box.dims.length;
  if (rank === 0) return [storeBytes(m, width, dst(), loadBytes(m, width, src()))];
  const L = rank - 1;
  const n = box.dims[L]!;
  const [ss, ds] = [box.src[L]!, box.dst[L]!];
  const outer = box.dims.slice(0, L);
  const strides = [box.dst.slice(0, L).map((s) => s * width), box.src.slice(0, L).map((s) => s * width)];
  if (width === 4 && ds === 1 && ss !== 1 && ss !== 0) {
    const tiled = transposeTiles(fn, box, dst, src);
    if (tiled) return tiled;
  }
  return loopNest(fn, outer, strides, [dst, src], ([pd, ps]) => {
    if (ss === 1 && ds === 1) return copyRun(fn, pd!, ps!, n * width);
    if (ss === 0 && ds === 1) {
      const v = fn.v128Local();
      return [v.set(loadSplatBytes(m, width, ps!())), ...fillRun(fn, pd!, v, width, n * width)];
    }
    return stridedRun(fn, width, pd!, ps!, n, ss * width, ds * width);
  });
}

/**
 * 4-byte transposes: when the destination's innermost dim is read with a stride but some outer dim k is
 * contiguous in the source, 4x4 blocks are loaded as four source vectors (along k) and transposed with
 * shuffles into four destination vectors (along the innermost dim). Edges fall back to element copies.
 */
function transposeTiles(fn: FunctionBuilder, box: Box, dst: Get, src: Get): Expr[] | null {
  const m = fn.m;
  const L = box.dims.length - 1;
  let k = -1;
  for (let a = L - 1; a >= 0; a--) if (box.src[a] === 1) k = a;
  if (k < 0) return null;
  const [nk, nj] = [box.dims[k]!, box.dims[L]!];
  if (nk < 4 || nj < 4) return null;
  const sj = box.src[L]! * 4; // source bytes between consecutive destination elements
  const dk = box.dst[k]! * 4; // destination bytes between consecutive k
  if (sj < 0 || dk < 0) return null;
  const others = box.dims.map((_, a) => a).filter((a) => a !== k && a !== L);
  const dims = others.map((a) => box.dims[a]!);
  const strides = [others.map((a) => box.dst[a]! * 4), others.map((a) => box.src[a]! * 4)];
  return loopNest(fn, dims, strides, [dst, src], ([pd, ps]) => {
    const bk = Math.floor(nk / 4);
    const bj = Math.floor(nj / 4);
    const rowD = fn.i32Local();
    const rowS = fn.i32Local();
    const d = fn.i32Local();
    const s = fn.i32Local();
    const i = fn.i32Local();
    const j = fn.i32Local();
    const v = [0, 1, 2, 3].map(() => fn.v128Local());
    const t = [0, 1].map(() => fn.v128Local());
    const shuffle = (a: Local, b: Local, lanes: number[]) => m.i8x16.shuffle(a.get(), b.get(), lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
    const block: Expr[] = [
      ...v.map((x, r) => x.set(fn.loadV(offsetBy(fn, () => s.get(), r * sj)))),
      // Rows r of the destination block take lane r of each source vector.
      t[0]!.set(shuffle(v[0]!, v[1]!, [0, 4, 1, 5])),
      t[1]!.set(shuffle(v[2]!, v[3]!, [0, 4, 1, 5])),
      fn.storeV(d.get(), shuffle(t[0]!, t[1]!, [0, 1, 4, 5])),
      fn.storeV(offsetBy(fn, () => d.get(), dk), shuffle(t[0]!, t[1]!, [2, 3, 6, 7])),
      t[0]!.set(shuffle(v[0]!, v[1]!, [2, 6, 3, 7])),
      t[1]!.set(shuffle(v[2]!, v[3]!, [2, 6, 3, 7])),
      fn.storeV(offsetBy(fn, () => d.get(), 2 * dk), shuffle(t[0]!, t[1]!, [0, 1, 4, 5])),
      fn.storeV(offsetBy(fn, () => d.get(), 3 * dk), shuffle(t[0]!, t[1]!, [2, 3, 6, 7])),
    ];
    const out: Expr[] = [
      rowD.set(pd!()),
      rowS.set(ps!()),
      fn.for(i, 0, bk, 1, [
        d.set(rowD.get()),
        s.set(rowS.get()),
        fn.for(j, 0, bj, 1, [...block, d.set(fn.addConst(d.get(), 16)), s.set(fn.addConst(s.get(), 4 * sj))]),
        // The last nj % 4 destination columns of these four rows.
        ...(nj % 4 ? [0, 1, 2, 3].flatMap((r) => stridedRun(fn, 4, () => fn.addConst(d.get(), r * dk), () => fn.addConst(s.get(), r * 4), nj % 4, sj, 4)) : []),
        rowD.set(fn.addConst(rowD.get(), 4 * dk)),
        rowS.set(fn.addConst(rowS.get(), 16)),
      ]),
    ];
    // The last nk % 4 rows, element by element.
    for (let r = 0; r < nk % 4; r++) out.push(...stridedRun(fn, 4, () => fn.addConst(rowD.get(), r * dk), () => fn.addConst(rowS.get(), r * 4), nj, sj, 4));
    return out;
  });
}

/**
 * Code copying a box from byte address `srcAddr` to `dstAddr`. A single contiguous run is one inline
 * memory.copy; anything else is a function keyed by the box geometry, so equal layers share it.
 */
export function emitBox(ctx: EmitContext, width: number, box: Box, dstAddr: number, srcAddr: number): Expr {
  const m = ctx.m;
  const b = simplifyBox(box);
  if (!b) return m.nop();
  if (b.dims.length === 0) return storeBytes(m, width, m.i32.const(dstAddr), loadBytes(m, width, m.i32.const(srcAddr)));
  if (b.dims.length === 1 && b.src[0] === 1 && b.dst[0] === 1) {
    return m.memory.copy(m.i32.const(dstAddr), m.i32.const(srcAddr), m.i32.const(b.dims[0]! * width), MEMORY, MEMORY);
  }
  const name = ctx.defineFunction('movement.box', { width, box: b }, 2, (fn, p) => fn.block(boxBody(fn, p.width, p.box, () => fn.param(0), () => fn.param(1))));
  return ctx.call(name, [dstAddr, srcAddr]);
}

/**
 * Fills a destination box (strides `dst`, in elements) with the element at `valueAddr`. A contiguous fill
 * of a value whose bytes are all equal (zero, typically) is one memory.fill.
 */
export function emitFill(ctx: EmitContext, width: number, dims: number[], dst: number[], dstAddr: number, valueAddr: number, uniformByte?: number): Expr {
  const m = ctx.m;
  const b = simplifyBox({ dims, src: dims.map(() => 0), dst });
  if (!b) return m.nop();
  if (uniformByte !== undefined && b.dims.length <= 1 && (b.dims.length === 0 || b.dst[0] === 1)) {
    return m.memory.fill(m.i32.const(dstAddr), m.i32.const(uniformByte), m.i32.const((b.dims[0] ?? 1) * width), MEMORY);
  }
  return emitBox(ctx, width, { dims: b.dims, src: b.src, dst: b.dst }, dstAddr, valueAddr);
}

/** The one byte value every byte of `bytes` has, if any. */
export function uniformByteOf(bytes: Uint8Array): number | undefined {
  return bytes.length > 0 && bytes.every((x) => x === bytes[0]) ? bytes[0] : undefined;
}

/** Writes known bytes at `dstAddr`: a few immediate stores when short, else a memory.copy from placed data. */
export function emitConstantBytes(ctx: EmitContext, key: string, bytes: Uint8Array, dstAddr: number): Expr {
  const m = ctx.m;
  if (bytes.length === 0) return m.nop();
  const fill = uniformByteOf(bytes);
  if (fill !== undefined) return m.memory.fill(m.i32.const(dstAddr), m.i32.const(fill), m.i32.const(bytes.length), MEMORY);
  if (bytes.length > 64) {
    const at = ctx.placeData(key, bytes, 16);
    return m.memory.copy(m.i32.const(dstAddr), m.i32.const(at), m.i32.const(bytes.length), MEMORY, MEMORY);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Expr[] = [];
  let at = 0;
  for (; at + 8 <= bytes.length; at += 8) out.push(m.i64.store(0, 8, m.i32.const(dstAddr + at), m.i64.const(dv.getBigInt64(at, true)), MEMORY));
  for (; at + 4 <= bytes.length; at += 4) out.push(m.i32.store(0, 4, m.i32.const(dstAddr + at), m.i32.const(dv.getInt32(at, true)), MEMORY));
  for (; at < bytes.length; at++) out.push(m.i32.store8(0, 1, m.i32.const(dstAddr + at), m.i32.const(bytes[at]!), MEMORY));
  return out.length === 1 ? out[0]! : m.block(null, out, binaryen.none);
}
