import binaryen from 'binaryen';
import { dtypeBytes, getAttr, getOpSchema, nodeExpression, opTraits, registeredOps, type DType, type Node, type Value } from '../../../../ir/index.js';
import { expressionOperands, expressionOps, formatExpression, type Expr as Expression } from '../../../../ir/ops/expression.js';
import { MEMORY, type FunctionBuilder } from '../../dsl.js';
import { f32ToHalf, halfToF32 } from '../cast/half.js';
import { expF64, logF64 } from '../../math-f64.js';
import type { EmitContext, WasmKernel } from '../../kernel.js';
import { lowerExpression, powConstV, powV, splatF, SUPPORTED_EXPRESSION_OPS } from './elementwise-f32.js';
import { collapseBroadcast, elementAddress, emitLoopNest, memoryOps } from './elementwise-loops.js';
import { classType, integerPow, loadScalar, scalarClass, scalarOps, storeScalar } from './elementwise-scalar.js';

/**
 * Elementwise kernels: unary math and activations, Clip, PRelu, binary arithmetic, Pow, variadic Sum / Mean /
 * Min / Max, comparisons, Where and FusedElementwise, all with ONNX multidirectional broadcasting specialized to
 * the static shapes (elementwise-loops.ts).
 *
 * f32 runs in SIMD: four elements per step along the innermost contiguous axis, broadcast operands splatted
 * once per row, and a scalar tail that runs the same f32x4 code on splats (so every element gets bit-identical
 * math). Bool operands (Where's condition) become lane masks; bool results are narrowed from masks. f16/bf16
 * run the same f32 code: operands widened to f32 on load (exact), each result rounded to the half type on store
 * (the reference rounds its f64 result once: the same for Min, Max, Mul, comparisons; within an ulp of the half
 * type for the rest). i8/u8/i16/u16/i32/u32/i64/u64/f64/bool run one element at a time (elementwise-scalar.ts)
 * for the ops ONNX allows on them; the transcendental ops other than Exp and Log on f64 and on integers are
 * reported by check().
 *
 * Every kernel reads all operands of an element (or of a 4-lane chunk) before writing that element, so
 * plan-memory may place the result over a same-shaped operand.
 */

type Expr = binaryen.ExpressionRef;
type Getter = () => Expr;

/** How a node computes: its runtime operands, and the code for one chunk (SIMD) or one element (scalar). */
interface Spec {
  operands: Value[];
  /** Semantics beyond op, shapes and dtypes: attributes and constants baked into the code. */
  key: string;
  /** f32x4 code: f32 operands as f32x4, bool operands as i32x4 masks; a bool result is a mask. */
  vector?: (fn: FunctionBuilder, args: Getter[]) => Expr;
  /** Scalar code on values of the operands' scalar class; bool results are i32 0/1. */
  scalar?: (fn: FunctionBuilder, args: Getter[]) => Expr;
}

/** Ops whose schema gives an expression, and the other broadcasting ones (comparisons, Where). */
const OPS = registeredOps().filter((op) => getOpSchema(op)!.expression || opTraits(op).elementwise === 'broadcast');

const fround = Math.fround;

/** The 2-byte floats, computed in f32 lanes: widened exactly on load, each result rounded once on store. */
const isHalf = (d: DType): d is 'f16' | 'bf16' => d === 'f16' || d === 'bf16';

/** Exponent dtypes an f32 Pow converts to f32 lanes. */
const INT_EXPONENTS = new Set<DType>(['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64']);

/** One integer element at ptr + offset as f32 (rounded to nearest, as Math.fround(Number(v)) is). */
function intToF32(fn: FunctionBuilder, dtype: DType, ptr: Expr, offset: number): Expr {
  const m = fn.m;
  switch (dtype) {
    case 'i64':
      return m.f32.convert_s.i64(fn.loadI64(ptr, offset));
    case 'u64':
      return m.f32.convert_u.i64(fn.loadI64(ptr, offset));
    case 'u32':
      return m.f32.convert_u.i32(fn.loadI32(ptr, offset));
    default:
      return m.f32.convert_s.i32(loadScalar(fn, dtype, offset === 0 ? ptr : m.i32.add(ptr, m.i32.const(offset))));
  }
}

/** Scalar-path operands: their class's value, and f32 (a float exponent of an integer Pow) widened to f64. */
function operandType(dtype: DType): binaryen.Type {
  return dtype === 'f32' ? binaryen.f64 : classType(scalarClass(dtype)!);
}
function loadOperand(fn: FunctionBuilder, dtype: DType, ptr: Expr): Expr {
  return dtype === 'f32' ? fn.m.f64.promote(fn.loadF(ptr)) : loadScalar(fn, dtype, ptr);
}

/**
 * Integer x ** y for a float y (held as f64), as the reference's trunc(x ** y): integral exponents exactly by
 * squaring (integerPow); others through the f32 pow, nudged onto an integer it lands within 2^-20 of (so exact
 * powers such as 4 ** 0.5 are not truncated one below), then truncated; NaN results store 0.
 */
function integerPowFloatExponent(fn: FunctionBuilder, dtype: DType, x: Getter, y: Getter): Expr {
  const m = fn.m;
  const c = scalarClass(dtype)!;
  const type = classType(c);
  const e = fn.local(binaryen.f64);
  const r = fn.local(binaryen.f64);
  const n = fn.local(binaryen.f64);
  const xv = fn.local(type);
  const integral = m.i32.and(m.f64.eq(m.f64.trunc(e.get()), e.get()), m.f64.lt(m.f64.abs(e.get()), m.f64.const(2147483648)));
  const exponent = () => (c === 'i32' ? m.i32.trunc_s_sat.f64(e.get()) : m.i64.trunc_s_sat.f64(e.get()));
  // Getters build fresh expressions: binaryen expressions cannot be shared between parents.
  const base = () => m.f32x4.splat(c === 'i32' ? m.f32.convert_s.i32(xv.get()) : m.f32.convert_s.i64(xv.get()));
  const pow = m.f64.promote(m.f32x4.extract_lane(powV(fn, base, () => m.f32x4.splat(m.f32.demote(e.get()))), 0));
  const near = m.f64.le(m.f64.abs(m.f64.sub(r.get(), n.get())), m.f64.mul(m.f64.abs(r.get()), m.f64.const(2 ** -20)));
  const truncated = m.f64.trunc(m.select(near, n.get(), r.get()));
  const fractional = m.block(
    null,
    [r.set(pow), n.set(m.f64.nearest(r.get())), c === 'i32' ? m.i32.trunc_s_sat.f64(truncated) : m.i64.trunc_s_sat.f64(truncated)],
    type,
  );
  return m.block(null, [xv.set(x()), e.set(y()), m.if(integral, integerPow(fn, dtype, () => xv.get(), exponent), fractional)], type);
}

/** The single value of a constant operand whose elements are all equal (a scalar in effect), else undefined. */
function uniformConstant(v: Value | null): number | undefined {
  if (!v?.data || v.data.data.length === 0) return undefined;
  const d = v.data.data;
  const first = Number(d[0]);
  for (let i = 1; i < d.length; i++) if (Number(d[i]) !== first && !(Number.isNaN(first) && Number.isNaN(Number(d[i])))) return undefined;
  return first;
}

// ---------------------------------------------------------------------------------------------------------
// f32 (SIMD) specs

/**
 * f32 code: the op's expression (its schema's, ir/ops/expression.ts) lowered to f32x4, except where this target
 * knows a better form: Pow by a uniform constant or an integer exponent, Clip by constant bounds, and the
 * comparisons and Where, whose bool lanes the expression language (floats only) does not have.
 */
function f32Spec(node: Node, inputs: Value[]): Spec | string {
  const op = node.op;
  const f = (fn: FunctionBuilder) => fn.m.f32x4;
  switch (op) {
    case 'Pow': {
      const [x, y] = inputs as [Value, Value];
      const c = uniformConstant(y);
      if (c !== undefined) return { operands: [x], key: `c${c}`, vector: (fn, [a]) => powConstV(fn, a!, fround(c)) };
      // Integer exponents arrive as f32 lanes (simdInner converts them on load), as the reference's Number(y).
      if (y.type.dtype !== 'f32' && !isHalf(y.type.dtype) && !INT_EXPONENTS.has(y.type.dtype)) return `Pow with a ${y.type.dtype} exponent is not supported by the wasm target`;
      return { operands: inputs, key: '', vector: (fn, [a, b]) => powV(fn, a!, b!) };
    }
    case 'Equal':
      return { operands: inputs, key: '', vector: (fn, [a, b]) => f(fn).eq(a!(), b!()) };
    case 'Less':
      return { operands: inputs, key: '', vector: (fn, [a, b]) => f(fn).lt(a!(), b!()) };
    case 'Greater':
      return { operands: inputs, key: '', vector: (fn, [a, b]) => f(fn).gt(a!(), b!()) };
    case 'Where':
      return { operands: inputs, key: '', vector: (fn, [c, a, b]) => fn.m.v128.bitselect(a!(), b!(), c!()) };
    case 'Clip': {
      const s = clipSpec(node, (fn, x, lo, hi) => {
        // Math.min(Math.max(x, lo), hi), NaN-propagating; constant non-NaN bounds use the cheaper pmax/pmin,
        // which agree with it for every x (NaN x passes either way)
        const cheap = (b: number) => !Number.isNaN(b);
        let r = x();
        if (lo !== undefined) r = typeof lo === 'number' ? (cheap(lo) ? f(fn).pmax(r, splatF(fn, lo)) : f(fn).max(r, splatF(fn, lo))) : f(fn).max(r, lo());
        if (hi !== undefined) r = typeof hi === 'number' ? (cheap(hi) ? f(fn).pmin(r, splatF(fn, hi)) : f(fn).min(r, splatF(fn, hi))) : f(fn).min(r, hi());
        return r;
      });
      return { ...s, scalar: undefined };
    }
  }
  let expr: Expression | undefined;
  try {
    expr = nodeExpression(node);
  } catch (e) {
    return (e as Error).message;
  }
  if (!expr) return `${op} has no f32 code for these attributes`;
  const unknown = [...expressionOps(expr)].filter((o) => !SUPPORTED_EXPRESSION_OPS.has(o));
  if (unknown.length) return `expression ops ${unknown.join(', ')} have no wasm code`;
  if (expressionOperands(expr).size !== inputs.length) return 'the expression does not read every operand';
  return { operands: inputs, key: formatExpression(expr), vector: (fn, args) => lowerExpression(fn, expr, args) };
}

type Bound<G> = number | G | undefined;

/** Clip: constant bounds are baked (omitted ones skipped), runtime bounds become broadcast operands. */
function clipSpec(node: Node, code: (fn: FunctionBuilder, x: Getter, lo: Bound<Getter>, hi: Bound<Getter>) => Expr): Spec {
  const [x, lo, hi] = node.inputs;
  const operands: Value[] = [x!];
  const bound = (v: Value | null | undefined): { value?: number; index: number } => {
    if (!v) return { index: -1 };
    const c = uniformConstant(v);
    if (c !== undefined) return { value: c, index: -1 };
    operands.push(v);
    return { index: operands.length - 1 };
  };
  const blo = bound(lo);
  const bhi = bound(hi);
  const keyOf = (b: { value?: number; index: number }) => (b.index >= 0 ? 'r' : b.value ?? null);
  return {
    operands,
    key: JSON.stringify([keyOf(blo), keyOf(bhi)]),
    vector: (fn, args) => code(fn, args[0]!, blo.index >= 0 ? args[blo.index]! : blo.value, bhi.index >= 0 ? args[bhi.index]! : bhi.value),
    scalar: (fn, args) => code(fn, args[0]!, blo.index >= 0 ? args[blo.index]! : blo.value, bhi.index >= 0 ? args[bhi.index]! : bhi.value),
  };
}

// ---------------------------------------------------------------------------------------------------------
// scalar specs (integers, f64, bool)

const FLOAT_ONLY = ['Reciprocal', 'Floor', 'Ceil', 'Sqrt', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Mean'];
const TRANSCENDENTAL = ['Exp', 'Log', 'Erf', 'Tanh', 'Sigmoid', 'Gelu'];

/** The transcendental ops with f64 code (math-f64.ts). */
const F64_MATH: Record<string, (m: binaryen.Module, x: Expr) => Expr> = { Exp: expF64, Log: logF64 };

function scalarSpec(node: Node, inputs: Value[], dtype: DType): Spec | string {
  const op = node.op;
  const f64Math = dtype === 'f64' ? F64_MATH[op] : undefined;
  if (f64Math) return { operands: inputs, key: '', scalar: (fn, [x]) => f64Math(fn.m, x!()) };
  if (TRANSCENDENTAL.includes(op)) return `${op} on ${dtype} is not supported (${dtype === 'f64' ? 'f32; of these f64 has Exp and Log' : 'f32 only'})`;
  if (op === 'FusedElementwise') return `FusedElementwise on ${dtype} is not supported (f32 only)`;
  const isF64 = dtype === 'f64';
  if (FLOAT_ONLY.includes(op) && !isF64) return `${op} on ${dtype} is not supported`;
  const ops = (fn: FunctionBuilder) => scalarOps(fn, dtype);
  const spec = (scalar: Spec['scalar'], operands = inputs, key = ''): Spec => ({ operands, key, scalar });
  const m = (fn: FunctionBuilder) => fn.m;
  switch (op) {
    case 'Abs':
      return spec((fn, [x]) => ops(fn).abs(x!));
    case 'Neg':
      return spec((fn, [x]) => ops(fn).neg(x!()));
    case 'Relu':
      return spec((fn, [x]) => ops(fn).select(ops(fn).gt(x!(), ops(fn).konst(0)), x!(), ops(fn).konst(0)));
    case 'Reciprocal':
      return spec((fn, [x]) => m(fn).f64.div(m(fn).f64.const(1), x!()));
    case 'Floor':
      return spec((fn, [x]) => m(fn).f64.floor(x!()));
    case 'Ceil':
      return spec((fn, [x]) => m(fn).f64.ceil(x!()));
    case 'Sqrt':
      return spec((fn, [x]) => m(fn).f64.sqrt(x!()));
    case 'LeakyRelu': {
      const alpha = getAttr<number>(node, 'alpha');
      return spec((fn, [x]) => ops(fn).select(m(fn).f64.lt(x!(), m(fn).f64.const(0)), m(fn).f64.mul(x!(), m(fn).f64.const(alpha)), x!()), inputs, `${alpha}`);
    }
    case 'HardSigmoid': {
      const [alpha, beta] = [getAttr<number>(node, 'alpha'), getAttr<number>(node, 'beta')];
      const f = (fn: FunctionBuilder) => m(fn).f64;
      return spec((fn, [x]) => f(fn).max(f(fn).const(0), f(fn).min(f(fn).const(1), f(fn).add(f(fn).mul(f(fn).const(alpha), x!()), f(fn).const(beta)))), inputs, `${alpha},${beta}`);
    }
    case 'HardSwish': {
      const f = (fn: FunctionBuilder) => m(fn).f64;
      return spec((fn, [x]) => f(fn).mul(x!(), f(fn).max(f(fn).const(0), f(fn).min(f(fn).const(1), f(fn).add(f(fn).div(x!(), f(fn).const(6)), f(fn).const(0.5))))));
    }
    case 'Add':
      return spec((fn, [a, b]) => ops(fn).add(a!(), b!()));
    case 'Sub':
      return spec((fn, [a, b]) => ops(fn).sub(a!(), b!()));
    case 'Mul':
      return spec((fn, [a, b]) => ops(fn).mul(a!(), b!()));
    case 'Div':
      return spec((fn, [a, b]) => ops(fn).div(a!, b!));
    case 'Pow': {
      const [x, y] = inputs as [Value, Value];
      const c = uniformConstant(y);
      if (isF64) {
        const f = (fn: FunctionBuilder) => m(fn).f64;
        const special: Record<number, (fn: FunctionBuilder, a: Getter) => Expr> = {
          0: (fn) => f(fn).const(1),
          1: (_fn, a) => a(),
          2: (fn, a) => f(fn).mul(a(), a()),
          3: (fn, a) => f(fn).mul(f(fn).mul(a(), a()), a()),
          [-1]: (fn, a) => f(fn).div(f(fn).const(1), a()),
        };
        if (c === undefined || !special[c]) return 'Pow on f64 supports only the constant exponents 0, 1, 2, 3 and -1';
        return spec((fn, [a]) => special[c]!(fn, a!), [x], `c${c}`);
      }
      if (y.type.dtype === 'f32' || y.type.dtype === 'f64') return spec((fn, [a, b]) => integerPowFloatExponent(fn, dtype, a!, b!));
      if (y.type.dtype !== dtype) return `integer Pow needs the exponent in the base's dtype ${dtype} or a float, got ${y.type.dtype}`;
      return spec((fn, [a, b]) => integerPow(fn, dtype, a!, b!));
    }
    case 'Sum':
    case 'Mean':
    case 'Min':
    case 'Max': {
      const n = inputs.length;
      return spec((fn, args) => {
        const o = ops(fn);
        if (op === 'Sum' || op === 'Mean') {
          let acc = args[0]!();
          for (let k = 1; k < n; k++) acc = o.add(acc, args[k]!());
          return op === 'Mean' && n > 1 ? m(fn).f64.div(acc, m(fn).f64.const(n)) : acc;
        }
        // fold through locals: min/max read each argument twice
        const type = classType(scalarClass(dtype)!);
        const acc = fn.local(type);
        const steps: Expr[] = [acc.set(args[0]!())];
        for (let k = 1; k < n; k++) steps.push(acc.set(op === 'Min' ? o.min(() => acc.get(), args[k]!) : o.max(() => acc.get(), args[k]!)));
        return m(fn).block(null, [...steps, acc.get()], type);
      });
    }
    case 'Equal':
      return spec((fn, [a, b]) => ops(fn).eq(a!(), b!()));
    case 'Less':
      return spec((fn, [a, b]) => ops(fn).lt(a!(), b!()));
    case 'Greater':
      return spec((fn, [a, b]) => ops(fn).gt(a!(), b!()));
    case 'Where':
      return spec((fn, [c, a, b]) => ops(fn).select(c!(), a!(), b!()));
    case 'PRelu':
      return spec((fn, [x, s]) => ops(fn).select(ops(fn).lt(x!(), ops(fn).konst(0)), ops(fn).mul(s!(), x!()), x!()));
    case 'Clip': {
      const s = clipSpec(node, (fn, x, lo, hi) => {
        const o = ops(fn);
        const type = classType(scalarClass(dtype)!);
        const r = fn.local(type);
        const steps: Expr[] = [r.set(x())];
        const getter = (b: Bound<Getter>): Getter | null => (b === undefined ? null : typeof b === 'number' ? () => o.konst(b) : b);
        const glo = getter(lo);
        const ghi = getter(hi);
        if (glo) steps.push(r.set(o.max(() => r.get(), glo)));
        if (ghi) steps.push(r.set(o.min(() => r.get(), ghi)));
        return m(fn).block(null, [...steps, r.get()], type);
      });
      return { ...s, vector: undefined };
    }
    default:
      return `${op} on ${dtype} is not supported`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// planning and checking

/** The dtype the node computes in: the operands' (Where: of X and Y). */
function computeDType(node: Node): DType {
  return node.op === 'Where' ? node.inputs[1]!.type.dtype : node.inputs[0]!.type.dtype;
}

/** Reason the node's operands and results are not the kernel's form (asked before the shapes), or null. */
function arityProblem(node: Node): string | null {
  const inputs = node.inputs.filter((v): v is Value => v !== null);
  if (node.op !== 'Clip' && inputs.length !== node.inputs.length) return 'omitted operands are not supported';
  if (inputs.length === 0) return 'no operands';
  if (node.outputs.length !== 1) return 'exactly one result expected';
  return null;
}

/** The kernel's spec for a node arityProblem accepts and whose shapes are static, or why there is none. */
function specFor(node: Node): Spec | string {
  const inputs = node.inputs.filter((v): v is Value => v !== null);
  const dtype = computeDType(node);
  if (node.op === 'Where' && inputs[0]!.type.dtype !== 'bool') return `Where needs a bool condition, got ${inputs[0]!.type.dtype}`;
  const sameDType = node.op === 'Pow' || node.op === 'Where' ? [] : inputs.filter((v) => v.type.dtype !== dtype);
  if (sameDType.length) return `mixed operand dtypes (${dtype} and ${sameDType[0]!.type.dtype})`;
  if (dtype === 'f32' || isHalf(dtype)) return f32Spec(node, inputs);
  if (scalarClass(dtype) === null) return `${node.op} on ${dtype} is not supported by the wasm target`;
  if (dtype === 'bool' && !['Equal', 'Where'].includes(node.op)) return `${node.op} on bool is not supported`;
  return scalarSpec(node, inputs, dtype);
}

// ---------------------------------------------------------------------------------------------------------
// code

/** Inner-axis code of an f32 spec: f32x4 chunks, then a tail of single elements on splats. */
function simdInner(fn: FunctionBuilder, spec: Spec, dtypes: DType[], outDType: DType, strides: number[], ptrs: readonly Getter[], length: number): Expr {
  const m = fn.m;
  const mem = memoryOps(m);
  const n = spec.operands.length;
  const bytes = [...dtypes, outDType].map(dtypeBytes);
  const zero = () => m.i32x4.splat(m.i32.const(0));
  const loadOne = (k: number, ptr: Expr): Expr => {
    const d = dtypes[k]!;
    if (isHalf(d)) return m.f32x4.splat(halfToF32(m, d, mem.load16(ptr, false)));
    if (INT_EXPONENTS.has(d)) return m.f32x4.splat(intToF32(fn, d, ptr, 0));
    return dtypes[k] === 'bool' ? m.i32x4.ne(mem.load8Splat(ptr), zero()) : fn.loadSplat(ptr);
  };
  const loadFour = (k: number, ptr: Expr): Expr => {
    const d = dtypes[k]!;
    if (d === 'i32') return m.f32x4.convert_i32x4_s(fn.loadV(ptr));
    if (d === 'u32') return m.f32x4.convert_i32x4_u(fn.loadV(ptr));
    if (INT_EXPONENTS.has(d) || isHalf(d)) {
      // Other integer widths and the halves lane by lane, from the address held in a local.
      const at = fn.i32Local();
      const one = (ptr: Expr, offset: number): Expr => (isHalf(d) ? halfToF32(m, d, m.i32.load16_u(offset, 2, ptr, MEMORY)) : intToF32(fn, d, ptr, offset));
      let v = m.f32x4.splat(one(m.local.tee(at.index, ptr, binaryen.i32), 0));
      for (let lane = 1; lane < 4; lane++) v = m.f32x4.replace_lane(v, lane, one(at.get(), lane * dtypeBytes(d)));
      return v;
    }
    return d === 'bool' ? m.i32x4.ne(m.i32x4.extend_low_i16x8_u(m.i16x8.extend_low_i8x16_u(mem.load32Zero(ptr))), zero()) : fn.loadV(ptr);
  };
  const statements: Expr[] = [];
  // Operands broadcast along this axis: one splat for the whole row.
  const held = spec.operands.map((_, k) => {
    if (strides[k] !== 0) return null;
    const l = fn.v128Local();
    statements.push(l.set(loadOne(k, ptrs[k]!())));
    return () => l.get();
  });
  const i = fn.i32Local();
  const chunk = (width: 1 | 4): Expr[] => {
    const locals = spec.operands.map(() => fn.v128Local());
    const loads: Expr[] = [];
    const args = spec.operands.map((_, k) => {
      if (held[k]) return held[k]!;
      const at = elementAddress(m, ptrs[k]!(), i.get(), bytes[k]!);
      loads.push(locals[k]!.set(width === 4 ? loadFour(k, at) : loadOne(k, at)));
      return () => locals[k]!.get();
    });
    const value = spec.vector!(fn, args);
    const out = elementAddress(m, ptrs[n]!(), i.get(), bytes[n]!);
    let store: Expr;
    if (outDType === 'bool') {
      const ones = (v: Expr) => m.v128.and(v, m.i32x4.splat(m.i32.const(1)));
      if (width === 4) {
        const narrow = m.i8x16.narrow_i16x8_s(m.i16x8.narrow_i32x4_s(value, zero()), zero());
        store = mem.store32Lane0(out, m.v128.and(narrow, m.i8x16.splat(m.i32.const(1))));
      } else {
        store = mem.store8Lane0(out, ones(value));
      }
    } else if (isHalf(outDType)) {
      // Each lane rounded to the half type on its own, as the reference rounds each element.
      const v = fn.v128Local();
      const at = fn.i32Local();
      const lanes = Array.from({ length: width }, (_, lane) => m.i32.store16(2 * lane, 2, at.get(), f32ToHalf(m, outDType, m.f32x4.extract_lane(v.get(), lane)), MEMORY));
      store = fn.block([v.set(value), at.set(out), ...lanes]);
    } else {
      store = width === 4 ? fn.storeV(out, value) : mem.store32Lane0(out, value);
    }
    return [...loads, store];
  };
  const body = length - (length % 4);
  if (body > 0) statements.push(fn.for(i, 0, body, 4, chunk(4)));
  if (length > body) statements.push(fn.for(i, body, length, 1, chunk(1)));
  return fn.block(statements);
}

/** Inner-axis code of a scalar spec: one element per step, broadcast operands loaded once per row. */
function scalarInner(fn: FunctionBuilder, spec: Spec, dtypes: DType[], outDType: DType, strides: number[], ptrs: readonly Getter[], length: number): Expr {
  const m = fn.m;
  const n = spec.operands.length;
  const bytes = [...dtypes, outDType].map(dtypeBytes);
  const statements: Expr[] = [];
  const held = spec.operands.map((_, k) => {
    if (strides[k] !== 0) return null;
    const l = fn.local(operandType(dtypes[k]!));
    statements.push(l.set(loadOperand(fn, dtypes[k]!, ptrs[k]!())));
    return () => l.get();
  });
  const i = fn.i32Local();
  const locals = spec.operands.map((_, k) => fn.local(operandType(dtypes[k]!)));
  const loads: Expr[] = [];
  const args = spec.operands.map((_, k) => {
    if (held[k]) return held[k]!;
    loads.push(locals[k]!.set(loadOperand(fn, dtypes[k]!, elementAddress(m, ptrs[k]!(), i.get(), bytes[k]!))));
    return () => locals[k]!.get();
  });
  const store = storeScalar(fn, outDType, elementAddress(m, ptrs[n]!(), i.get(), bytes[n]!), spec.scalar!(fn, args));
  statements.push(fn.for(i, 0, length, 1, [...loads, store]));
  return fn.block(statements);
}

function emitElementwise(node: Node, ctx: EmitContext): Expr {
  const spec = specFor(node);
  if (typeof spec === 'string') throw new Error(`elementwise kernel asked to emit unsupported ${node.op}: ${spec}`);
  const out = node.outputs[0]!;
  const outShape = out.type.shape as number[];
  const shapes = spec.operands.map((v) => v.type.shape as number[]);
  const dtypes = spec.operands.map((v) => v.type.dtype);
  const layout = collapseBroadcast(outShape, [...shapes, outShape]);
  const innerStrides = layout.strides.map((s) => s[s.length - 1]!);
  const bytes = [...dtypes, out.type.dtype].map(dtypeBytes);
  const key = { op: node.op, spec: spec.key, dtypes, out: out.type.dtype, layout };
  const params = spec.operands.length + 1;
  const name = ctx.defineFunction('elementwise', key, params, (fn) => {
    const pointers = Array.from({ length: params }, (_, k) => () => fn.param(k));
    const inner = spec.vector ? simdInner : scalarInner;
    return emitLoopNest(fn, layout, pointers, bytes, (ptrs, length) => inner(fn, spec, dtypes, out.type.dtype, innerStrides, ptrs, length));
  });
  return ctx.call(name, [...spec.operands.map((v) => ctx.addressOf(v)), ctx.addressOf(out)]);
}

export const elementwiseKernels: WasmKernel = {
  ops: OPS,
  check: arityProblem,
  checkDims(node) {
    const spec = specFor(node);
    return typeof spec === 'string' ? spec : null;
  },
  emit: emitElementwise,
};
