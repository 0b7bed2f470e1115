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
 * arithmetic that folds constants (kernels are specialized to static shapes, so most bounds are constants).
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

  /** a + b, folding constants; `a` may be an expression or a number. */
  add(a: Expr | number, b: Expr | number): Expr {
    if (typeof a === 'number' && typeof b === 'number') return this.i32(a + b);
    if (b === 0) return typeof a === 'number' ? this.i32(a) : a;
    if (a === 0) return typeof b === 'number' ? this.i32(b) : b;
    return this.m.i32.add(typeof a === 'number' ? this.i32(a) : a, typeof b === 'number' ? this.i32(b) : b);
  }
  mul(a: Expr | number, b: Expr | number): Expr {
    if (typeof a === 'number' && typeof b === 'number') return this.i32(a * b);
    if (b === 1) return typeof a === 'number' ? this.i32(a) : a;
    if (a === 1) return typeof b === 'number' ? this.i32(b) : b;
    if (a === 0 || b === 0) return this.i32(0);
    return this.m.i32.mul(typeof a === 'number' ? this.i32(a) : a, typeof b === 'number' ? this.i32(b) : b);
  }

  block(statements: Expr[]): Expr {
    if (statements.length === 1) return statements[0]!;
    return this.m.block(null, statements, binaryen.none);
  }

  /**
   * for (counter = start; counter < end; counter += step) body. With constant bounds an empty range emits
   * nothing and a single iteration emits the body once, without a loop.
   */
  for(counter: Local, start: Expr | number, end: Expr | number, step: number, body: Expr[]): Expr {
    const m = this.m;
    if (typeof start === 'number' && typeof end === 'number') {
      if (start >= end) return m.nop();
      if (start + step >= end) return this.block([counter.set(this.i32(start)), ...body]);
    }
    const id = this.labels++;
    const exit = `exit${id}`;
    const top = `loop${id}`;
    const endExpr = typeof end === 'number' ? this.i32(end) : end;
    return m.block(null, [
      counter.set(typeof start === 'number' ? this.i32(start) : start),
      m.block(exit, [
        m.loop(
          top,
          m.block(null, [
            m.br(exit, m.i32.ge_s(counter.get(), endExpr)),
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
}
