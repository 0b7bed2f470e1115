import binaryen from 'binaryen';

type Expr = binaryen.ExpressionRef;

/**
 * The module's one memory. Every memory access must name it: kernels are built before the memory is declared
 * (its size is known only once all kernels are emitted), and binaryen resolves unnamed accesses at creation.
 * Use the FunctionBuilder's load/store helpers, which do; a raw `m.f32.load(...)` without this name is invalid.
 */
export const MEMORY = 'mem';

/** A local variable of a function being built. */
export class Local {
  constructor(
    private readonly m: binaryen.Module,
    readonly index: number,
    readonly type: binaryen.Type,
  ) {}
  get(): Expr {
    return this.m.local.get(this.index, this.type);
  }
  set(value: Expr): Expr {
    return this.m.local.set(this.index, value);
  }
  tee(value: Expr): Expr {
    return this.m.local.tee(this.index, value, this.type);
  }
}

/**
 * A thin layer over binaryen's expression builder for writing kernels: typed locals, counted loops and i32
 * arithmetic with constants (kernels are specialized to static shapes, so most bounds are constants).
 * Parameters are i32 (addresses); kernels take the addresses of their operands and results.
 */
export class FunctionBuilder {
  private readonly vars: binaryen.Type[] = [];
  private labels = 0;

  constructor(
    readonly m: binaryen.Module,
    readonly paramCount: number,
  ) {}

  param(i: number): Expr {
    if (i >= this.paramCount) throw new Error(`kernel has ${this.paramCount} params, asked for ${i}`);
    return this.m.local.get(i, binaryen.i32);
  }

  local(type: binaryen.Type = binaryen.i32): Local {
    this.vars.push(type);
    return new Local(this.m, this.paramCount + this.vars.length - 1, type);
  }
  i32Local(): Local {
    return this.local(binaryen.i32);
  }
  f32Local(): Local {
    return this.local(binaryen.f32);
  }
  v128Local(): Local {
    return this.local(binaryen.v128);
  }

  get localTypes(): readonly binaryen.Type[] {
    return this.vars;
  }

  i32(n: number): Expr {
    return this.m.i32.const(n | 0);
  }
  f32(x: number): Expr {
    return this.m.f32.const(x);
  }
  splat(x: number): Expr {
    return this.m.f32x4.splat(this.m.f32.const(x));
  }

  // binaryen expressions are plain numbers too, so constants and expressions never share a parameter:
  // the helpers below take an expression and a JS number, and say so in their names.

  /** expr + n, emitting nothing for n = 0. */
  addConst(expr: Expr, n: number): Expr {
    return n === 0 ? expr : this.m.i32.add(expr, this.i32(n));
  }
  /** expr * n, folding n = 0 and n = 1. */
  mulConst(expr: Expr, n: number): Expr {
    if (n === 0) return this.i32(0);
    return n === 1 ? expr : this.m.i32.mul(expr, this.i32(n));
  }

  block(statements: Expr[]): Expr {
    if (statements.length === 1) return statements[0]!;
    return this.m.block(null, statements, binaryen.none);
  }

  /**
   * for (counter = start; counter < end; counter += step) body, with constant bounds: an empty range emits
   * nothing and a single iteration emits the body once, without a loop.
   */
  for(counter: Local, start: number, end: number, step: number, body: Expr[]): Expr {
    if (start >= end) return this.m.nop();
    if (start + step >= end) return this.block([counter.set(this.i32(start)), ...body]);
    return this.forRuntime(counter, this.i32(start), () => this.i32(end), step, body);
  }

  /** The same loop with bounds computed at run time (`end` is re-evaluated every iteration). */
  forRuntime(counter: Local, start: Expr, end: () => Expr, step: number, body: Expr[]): Expr {
    const m = this.m;
    const id = this.labels++;
    const exit = `exit${id}`;
    const top = `loop${id}`;
    return m.block(null, [
      counter.set(start),
      m.block(exit, [
        m.loop(
          top,
          m.block(null, [
            m.br(exit, m.i32.ge_s(counter.get(), end())),
            ...body,
            counter.set(m.i32.add(counter.get(), this.i32(step))),
            m.br(top),
          ]),
        ),
      ]),
    ]);
  }

  /** memory.copy of `bytes` bytes (regions may overlap). */
  copy(dst: Expr, src: Expr, bytes: Expr): Expr {
    return this.m.memory.copy(dst, src, bytes, MEMORY, MEMORY);
  }
  /** memory.fill of `bytes` bytes with a byte value. */
  fill(dst: Expr, value: Expr, bytes: Expr): Expr {
    return this.m.memory.fill(dst, value, bytes, MEMORY);
  }

  /** Loads and stores at `ptr + offset` (offset a static byte immediate); all name the module's memory. */
  loadV(ptr: Expr, offset = 0): Expr {
    return this.m.v128.load(offset, 4, ptr, MEMORY);
  }
  storeV(ptr: Expr, value: Expr, offset = 0): Expr {
    return this.m.v128.store(offset, 4, ptr, value, MEMORY);
  }
  /** One f32 broadcast to all four lanes. */
  loadSplat(ptr: Expr, offset = 0): Expr {
    return this.m.v128.load32_splat(offset, 4, ptr, MEMORY);
  }
  loadF(ptr: Expr, offset = 0): Expr {
    return this.m.f32.load(offset, 4, ptr, MEMORY);
  }
  storeF(ptr: Expr, value: Expr, offset = 0): Expr {
    return this.m.f32.store(offset, 4, ptr, value, MEMORY);
  }
  loadI32(ptr: Expr, offset = 0): Expr {
    return this.m.i32.load(offset, 4, ptr, MEMORY);
  }
  storeI32(ptr: Expr, value: Expr, offset = 0): Expr {
    return this.m.i32.store(offset, 4, ptr, value, MEMORY);
  }
  /** Signed / unsigned 8-bit loads widened to i32, and the 8-bit store. */
  loadI8(ptr: Expr, offset = 0): Expr {
    return this.m.i32.load8_s(offset, 1, ptr, MEMORY);
  }
  loadU8(ptr: Expr, offset = 0): Expr {
    return this.m.i32.load8_u(offset, 1, ptr, MEMORY);
  }
  storeI8(ptr: Expr, value: Expr, offset = 0): Expr {
    return this.m.i32.store8(offset, 1, ptr, value, MEMORY);
  }
  loadI64(ptr: Expr, offset = 0): Expr {
    return this.m.i64.load(offset, 8, ptr, MEMORY);
  }
  storeI64(ptr: Expr, value: Expr, offset = 0): Expr {
    return this.m.i64.store(offset, 8, ptr, value, MEMORY);
  }
  /** Eight i8 (or u8) widened to eight i16 lanes. */
  load8x8(ptr: Expr, signed: boolean, offset = 0): Expr {
    return signed ? this.m.v128.load8x8_s(offset, 1, ptr, MEMORY) : this.m.v128.load8x8_u(offset, 1, ptr, MEMORY);
  }
  /**
   * The first `count` bytes of the vector `v` stored at `ptr() + offset` (unaligned), in as few stores as
   * possible: one v128 store for 16, else lane stores of 8, 4, 2 and 1 bytes. `ptr` and `v` are fresh per store.
   */
  storeFirstBytes(ptr: () => Expr, v: () => Expr, offset: number, count: number): Expr[] {
    const m = this.m;
    if (count === 16) return [this.storeV(ptr(), v(), offset)];
    const stores: Expr[] = [];
    for (let lane = 0; lane < count; ) {
      const size = count - lane >= 8 ? 8 : count - lane >= 4 ? 4 : count - lane >= 2 ? 2 : 1;
      if (size === 8) stores.push(m.v128.store64_lane(offset + lane, 1, lane / 8, ptr(), v(), MEMORY));
      else if (size === 4) stores.push(m.v128.store32_lane(offset + lane, 1, lane / 4, ptr(), v(), MEMORY));
      else if (size === 2) stores.push(m.v128.store16_lane(offset + lane, 1, lane / 2, ptr(), v(), MEMORY));
      else stores.push(m.v128.store8_lane(offset + lane, 1, lane, ptr(), v(), MEMORY));
      lane += size;
    }
    return stores;
  }
  /** The i16 lanes of the low (or high) halves of a and b interleaved: (a0, b0, a1, b1, a2, b2, a3, b3). */
  interleaveI16(a: Expr, b: Expr, high = false): Expr {
    const lanes = Array.from({ length: 16 }, (_, k) => (k & 2 ? 16 : 0) + (high ? 8 : 0) + (k >> 2) * 2 + (k & 1));
    return this.m.i8x16.shuffle(a, b, lanes);
  }
}

const defined = new WeakMap<binaryen.Module, Set<string>>();

/**
 * A module-level helper of one parameter (`param`) returning `result`, added to the module once under `name`
 * (later calls only return the name); `build` makes its body from the parameter. Kernels call it per element
 * (f16 conversions, f64 exp and log); binaryen's optimizer inlines it where that pays.
 */
export function moduleFunction(m: binaryen.Module, name: string, param: binaryen.Type, result: binaryen.Type, build: (fn: FunctionBuilder, x: () => Expr) => Expr): string {
  let names = defined.get(m);
  if (!names) {
    names = new Set();
    defined.set(m, names);
  }
  if (!names.has(name)) {
    names.add(name);
    // Locals of a FunctionBuilder start after its parameters: one parameter, of `param` type.
    const fn = new FunctionBuilder(m, 1);
    const body = build(fn, () => m.local.get(0, param));
    m.addFunction(name, param, result, [...fn.localTypes], body);
  }
  return name;
}
