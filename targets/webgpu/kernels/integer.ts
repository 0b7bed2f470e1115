import { dtypeRange, nodeExpression, type DType, type Node, type Value } from '../../../ir/index.js';
import { expressionOps, type Expr } from '../../../ir/ops/expression.js';
import { EXPRESSION_PRELUDE } from '../expression.js';
import { product, shapeOf, type Dispatch, type GpuEmitContext } from '../kernel.js';
import { broadcastIndex, i32Literal, u32Literal } from '../wgsl.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * Integer elementwise ops (every op whose expression uses the integer-exact operators below: Add, Sub, Mul,
 * Div, Min, Max, Sum, Neg, Abs, Relu, Clip, Pow) on i8 / u8 / i16 / u16 / i32 / u32 / i64 / u64, bit-exact
 * with the reference: results wrap to the element width, integer Div truncates toward zero and gives 0 for a
 * zero divisor, Pow is exact repeated squaring (negative exponents truncate 1 / x^n to 0 unless |x| = 1).
 *
 * WGSL has 32-bit integers only. Elements of up to 16 bits compute in i32 (sign- or zero-extended: every
 * result's low bits are right, and their stores keep only those); u32 computes in u32. 64-bit integers are
 * emulated as vec2<u32>(low, high) two's-complement pairs: add/sub with carries, the low 64 bits of a product
 * from 16-bit limbs, comparisons on (high, low), division by shift-and-subtract over 64 bits.
 */
export type IntClass = 'i32' | 'u32' | 'i64' | 'u64';

export const INT_CLASS: Partial<Record<DType, IntClass>> = { i8: 'i32', u8: 'i32', i16: 'i32', u16: 'i32', i32: 'i32', u32: 'u32', i64: 'i64', u64: 'u64' };

export const wgslIntType = (c: IntClass): string => (c === 'i32' ? 'i32' : c === 'u32' ? 'u32' : 'vec2<u32>');

/** 64-bit helpers on top of I64_PRELUDE (add64, neg64, mul_u32_wide), and exact integer Div and Pow. */
export const INT_PRELUDE = `
fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return add64(a, neg64(b)); }
fn mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let p = mul_u32_wide(a.x, b.x);
  return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}
fn lt_u64(a: vec2<u32>, b: vec2<u32>) -> bool { return a.y < b.y || (a.y == b.y && a.x < b.x); }
fn lt_i64(a: vec2<u32>, b: vec2<u32>) -> bool { return bitcast<i32>(a.y) < bitcast<i32>(b.y) || (a.y == b.y && a.x < b.x); }
fn neg_i64(a: vec2<u32>) -> bool { return bitcast<i32>(a.y) < 0i; }
fn abs_i64(a: vec2<u32>) -> vec2<u32> { return select(a, neg64(a), neg_i64(a)); }
fn div_u64(n: vec2<u32>, d: vec2<u32>) -> vec2<u32> {
  if (d.x == 0u && d.y == 0u) { return vec2<u32>(0u, 0u); }
  var q = vec2<u32>(0u, 0u);
  var r = vec2<u32>(0u, 0u);
  for (var k = 63u; k < 64u; k = k - 1u) {
    let bit = select((n.x >> k) & 1u, (n.y >> (k - 32u)) & 1u, k >= 32u);
    r = vec2<u32>((r.x << 1u) | bit, (r.y << 1u) | (r.x >> 31u));
    if (!lt_u64(r, d)) {
      r = sub64(r, d);
      if (k >= 32u) { q.y = q.y | (1u << (k - 32u)); } else { q.x = q.x | (1u << k); }
    }
  }
  return q;
}
fn div_i64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let q = div_u64(abs_i64(a), abs_i64(b));
  return select(q, neg64(q), neg_i64(a) != neg_i64(b));
}
fn div_i32(a: i32, b: i32) -> i32 {
  if (b == 0i) { return 0i; }
  if (b == -1i) { return 0i - a; } // wraps at the i32 minimum, as the store of the exact quotient would
  return a / b;
}
fn div_u32(a: u32, b: u32) -> u32 { return select(a / b, 0u, b == 0u); }
fn pow_i32(x: i32, n: i32) -> i32 {
  if (n < 0i) { return select(select(0i, select(1i, -1i, (n & 1i) != 0i), x == -1i), 1i, x == 1i); }
  var r = 1i; var b = x; var e = u32(n);
  loop { if (e == 0u) { break; } if ((e & 1u) != 0u) { r = r * b; } b = b * b; e = e >> 1u; }
  return r;
}
fn pow_u32(x: u32, n: u32) -> u32 {
  var r = 1u; var b = x; var e = n;
  loop { if (e == 0u) { break; } if ((e & 1u) != 0u) { r = r * b; } b = b * b; e = e >> 1u; }
  return r;
}
fn pow_64(x: vec2<u32>, n: vec2<u32>, is_signed: bool) -> vec2<u32> {
  if (is_signed && neg_i64(n)) {
    let one = vec2<u32>(1u, 0u);
    if (all(x == one)) { return one; }
    if (all(x == neg64(one))) { return select(one, neg64(one), (n.x & 1u) != 0u); }
    return vec2<u32>(0u, 0u);
  }
  var r = vec2<u32>(1u, 0u); var b = x; var e = n;
  loop {
    if (e.x == 0u && e.y == 0u) { break; }
    if ((e.x & 1u) != 0u) { r = mul64(r, b); }
    b = mul64(b, b);
    e = vec2<u32>((e.x >> 1u) | (e.y << 31u), e.y >> 1u);
  }
  return r;
}
`;

/**
 * Integer Pow with an f32 exponent (ONNX: the result truncated toward zero): integral exponents take the exact
 * path; others evaluate in f32 and snap results within 2^-20 (relative) of an integer to it before truncating,
 * so that f32 rounding (2^3 = 7.9999995) does not lose a unit.
 */
const POW_FLOAT_EXPONENT = `
fn pow_snap(r: f32) -> f32 { let n = round(r); return trunc(select(r, n, abs(r - n) <= abs(r) * 9.5367431640625e-7)); }
fn pow_i32_f32(x: i32, e: f32) -> i32 {
  if (trunc(e) == e && abs(e) < 2147483648.0) { return pow_i32(x, i32(e)); }
  return i32(pow_snap(e_pow(f32(x), e)));
}
fn pow_i64_f32(x: vec2<u32>, e: f32) -> vec2<u32> {
  if (trunc(e) == e && abs(e) < 2147483648.0) {
    let n = i32(e);
    return pow_64(x, vec2<u32>(bitcast<u32>(n), select(0u, 0xffffffffu, n < 0i)), true);
  }
  // Through i32 when the high word only extends the low word's sign (no cancellation of rounded halves).
  let xf = select(f32(bitcast<i32>(x.y)) * 4294967296.0 + f32(x.x), f32(bitcast<i32>(x.x)), x.y == bitcast<u32>(bitcast<i32>(x.x) >> 31u));
  let r = pow_snap(e_pow(xf, e));
  if (abs(r) < 2147483648.0) { let n = i32(r); return vec2<u32>(bitcast<u32>(n), select(0u, 0xffffffffu, n < 0i)); }
  let hi = floor(r / 4294967296.0);
  return vec2<u32>(u32(r - hi * 4294967296.0), bitcast<u32>(i32(hi)));
}
`;

/** Whether the node is an integer Pow with an f32 exponent (base of class i32 or i64). */
const powFloatExponent = (node: Node, c: IntClass) => node.op === 'Pow' && node.inputs[1]!.type.dtype === 'f32' && (c === 'i32' || c === 'i64');

type Calls = Record<string, (a: string[]) => string>;

const max64 = (lt: string): Calls[string] => ([a, b]) => `select(${a}, ${b}, ${lt}(${a}, ${b}))`;
const min64 = (lt: string): Calls[string] => ([a, b]) => `select(${a}, ${b}, ${lt}(${b}, ${a}))`;

/** The integer lowering of each expression operator, per class (operators missing here are f32-only). */
const CALLS: Record<IntClass, Calls> = {
  i32: {
    add: ([a, b]) => `(${a} + ${b})`,
    sub: ([a, b]) => `(${a} - ${b})`,
    mul: ([a, b]) => `(${a} * ${b})`,
    div: ([a, b]) => `div_i32(${a}, ${b})`,
    pow: ([a, b]) => `pow_i32(${a}, ${b})`,
    max: ([a, b]) => `max(${a}, ${b})`,
    min: ([a, b]) => `min(${a}, ${b})`,
    neg: ([a]) => `(0i - ${a})`,
    abs: ([a]) => `select(${a}, 0i - ${a}, ${a} < 0i)`,
    relu: ([a]) => `max(${a}, 0i)`,
    clip: ([x, lo, hi]) => `min(max(${x}, ${lo}), ${hi})`,
  },
  u32: {
    add: ([a, b]) => `(${a} + ${b})`,
    sub: ([a, b]) => `(${a} - ${b})`,
    mul: ([a, b]) => `(${a} * ${b})`,
    div: ([a, b]) => `div_u32(${a}, ${b})`,
    pow: ([a, b]) => `pow_u32(${a}, ${b})`,
    max: ([a, b]) => `max(${a}, ${b})`,
    min: ([a, b]) => `min(${a}, ${b})`,
    abs: ([a]) => a,
    relu: ([a]) => a,
    clip: ([x, lo, hi]) => `min(max(${x}, ${lo}), ${hi})`,
  },
  i64: {
    add: ([a, b]) => `add64(${a}, ${b})`,
    sub: ([a, b]) => `sub64(${a}, ${b})`,
    mul: ([a, b]) => `mul64(${a}, ${b})`,
    div: ([a, b]) => `div_i64(${a}, ${b})`,
    pow: ([a, b]) => `pow_64(${a}, ${b}, true)`,
    max: max64('lt_i64'),
    min: min64('lt_i64'),
    neg: ([a]) => `neg64(${a})`,
    abs: ([a]) => `abs_i64(${a})`,
    relu: ([a]) => `select(${a}, vec2<u32>(0u, 0u), neg_i64(${a}))`,
    clip: ([x, lo, hi]) => min64('lt_i64')([max64('lt_i64')([x!, lo!]), hi!]),
  },
  u64: {
    add: ([a, b]) => `add64(${a}, ${b})`,
    sub: ([a, b]) => `sub64(${a}, ${b})`,
    mul: ([a, b]) => `mul64(${a}, ${b})`,
    div: ([a, b]) => `div_u64(${a}, ${b})`,
    pow: ([a, b]) => `pow_64(${a}, ${b}, false)`,
    max: max64('lt_u64'),
    min: min64('lt_u64'),
    abs: ([a]) => a,
    relu: ([a]) => a,
    clip: ([x, lo, hi]) => min64('lt_u64')([max64('lt_u64')([x!, lo!]), hi!]),
  },
};

/** A literal of the expression in the element type: infinities are the type's extremes (Clip's missing bounds). */
function intLiteral(value: number, dtype: DType): string {
  const [lo, hi] = dtypeRange(dtype);
  const v = value === Infinity ? hi : value === -Infinity ? lo : value;
  if (!Number.isInteger(v)) throw new Error(`the literal ${value} is not a ${dtype}`);
  const c = INT_CLASS[dtype]!;
  if (c === 'i32') return i32Literal(v);
  if (c === 'u32') return u32Literal(v);
  const bits = BigInt.asUintN(64, BigInt(v));
  return `vec2<u32>(${u32Literal(Number(bits & 0xffffffffn))}, ${u32Literal(Number(bits >> 32n))})`;
}

function lower(expr: Expr, dtype: DType, operand: (index: number) => string): string {
  if (expr.kind === 'operand') return operand(expr.index);
  if (expr.kind === 'literal') return intLiteral(expr.value, dtype);
  return CALLS[INT_CLASS[dtype]!][expr.op]!(expr.args.map((a) => lower(a, dtype, operand)));
}

/** Why the integer kernel cannot compute the node, or null. */
export function integerProblem(node: Node): string | null {
  const out = node.outputs[0]!;
  const dtype = out.type.dtype;
  const c = INT_CLASS[dtype];
  if (!c) return `the webgpu ${node.op} kernel handles f32 and integers only (%${out.name} is ${dtype})`;
  const other = node.inputs.find((v, k) => v && v.type.dtype !== dtype && !(k === 1 && powFloatExponent(node, c)));
  if (other) return `${node.op} with ${other.type.dtype} operand %${other.name} and ${dtype} result is not supported`;
  const expr = nodeExpression(node);
  if (!expr) return `${node.op} has no expression form`;
  const op = [...expressionOps(expr)].find((o) => !CALLS[c][o]);
  if (op) return `expression operator ${op} is not defined on ${dtype} (the webgpu integer kernel is exact: add, sub, mul, div, pow, max, min, neg, abs, relu, clip)`;
  try {
    lower(expr, dtype, () => '');
  } catch (e) {
    return `${node.op}: ${(e as Error).message}`;
  }
  return null;
}

/** One invocation per output element (per word for 8- and 16-bit results) evaluates the expression. */
export function emitIntegerElementwise(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const out = node.outputs[0]!;
  const dims = shapeOf(out);
  const total = product(dims);
  if (total === 0) return [];
  const dtype = out.type.dtype;
  const c = INT_CLASS[dtype]!;
  const operands = node.inputs.map((v, k) => ({ v, k })).filter((o): o is { v: Value; k: number } => o.v !== null);
  const loads = operands.map(({ v, k }) => loader(ctx, `ld_${k}`, v)).join('\n');
  const lines = operands.map(({ v, k }) => {
    const read = c === 'u32' && v.type.dtype === 'u32' ? `bitcast<u32>(ld_${k}(j${k}))` : `ld_${k}(j${k})`;
    return `  ${broadcastIndex(`j${k}`, 'o', shapeOf(v), dims)}\n  let x${k} = ${read};`;
  });
  const float = powFloatExponent(node, c);
  const value = float ? `pow_${c}_f32(x0, x1)` : lower(nodeExpression(node)!, dtype, (k) => `x${k}`);
  const fn = `${INT_PRELUDE}${float ? `${EXPRESSION_PRELUDE}${POW_FLOAT_EXPONENT}` : ''}
${loads}
fn element(o: u32) -> ${wgslIntType(c)} {
${lines.join('\n')}
  return ${value};
}`;
  return [outputKernel(ctx, out, total, fn)];
}
