import { dtypeRange, getAttr, type DType, type Node, type Value } from '../../../ir/index.js';
import { convAttrsOf, convGeometry, matmulLayout, matmulParamShape, quantGranularity, type ConvGeometry, type MatmulLayout } from '../../../ir/ops/onnx-quantization.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, broadcastIndex, f32Literal, u32Literal as u } from '../wgsl.js';
import { CAST_PRELUDE } from './cast.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * QuantizeLinear, DequantizeLinear (per-tensor, per-axis and blocked parameters) and DynamicQuantizeLinear,
 * step for step as targets/reference/kernels/onnx-quantization/linear.ts (and the wasm kernels) compute them:
 *   quantize:   y = saturate(round_half_even(r(r(x) / r(scale))) + zp), r = rounding to the `precision`
 *               attribute's type, else the scale's;
 *   dequantize: y = f32(x - zp) * scale, rounded to the output type;
 *   dynamic:    scale = (max(x, 0) - min(x, 0)) / 255 (1 when equal), zp = round_half_even(clamp(-min / scale,
 *               0, 255)), every step in f32: one workgroup reduces the range and writes both, then one
 *               invocation per output word quantizes.
 * One invocation per output element (per word for 8- and 16-bit results); which parameter an element uses is a
 * function of its index with constant divisors. Parameters are read at run time.
 */
const INT_TYPES: readonly DType[] = ['i8', 'u8', 'i16', 'u16', 'i32'];
const FLOAT_PARAMS: readonly DType[] = ['f32', 'f16', 'bf16'];

/** `fn <name>(k: u32) -> f32`: element k of an f32 / f16 / bf16 value, exactly. */
function floatLoader(ctx: GpuEmitContext, name: string, v: Value): string {
  const loc = ctx.locate(v);
  if (v.type.dtype === 'f32') return `fn ${name}(k: u32) -> f32 { return bitcast<f32>(${at(loc, 'k')}); }`;
  const decode = v.type.dtype === 'f16' ? 'f16_to_f32' : 'bf16_to_f32';
  return `fn ${name}(k: u32) -> f32 { return ${decode}((${at(loc, '(k >> 1u)')} >> (16u * (k & 1u))) & 0xffffu); }`;
}

/** WGSL rounding an f32 to `dtype`'s precision (the reference's roundFloat). */
const roundTo = (dtype: DType, v: string) => (dtype === 'f32' ? v : dtype === 'f16' ? `f16_to_f32(f32_to_f16(${v}))` : `bf16_to_f32(f32_to_bf16(${v}))`);

/** WGSL encoding an f32 result as the output's element (f32 bits, or f16 / bf16 bits rounded to nearest even). */
const encodeFloat = (dtype: DType, v: string) => (dtype === 'f32' ? v : dtype === 'f16' ? `f32_to_f16(${v})` : `f32_to_bf16(${v})`);

/** saturate(round_half_even(q) + zp) into the dtype's range as i32; NaN gives the zero point. */
function saturateRound(q: string, zp: string, out: DType): string {
  const [lo, hi] = dtypeRange(out);
  return `sat_round(${q}, ${zp}, ${f32Literal(lo)}, ${f32Literal(hi)})`;
}

/**
 * a / b rounded to nearest even, as the reference's f32 division is: WGSL allows 2.5 ulp for f32 division (and
 * SwiftShader uses it), so the quotient is corrected by its exact residual a - q b (Dekker's product error; a - p
 * is exact by Sterbenz), moving q by an ulp while the residual exceeds half an ulp of b. Values near the ends of
 * the range keep the hardware quotient.
 */
const DIV_RN = `
fn split_hi(x: f32) -> f32 { let c = 4097.0 * x; return c - (c - x); }
fn prod_err(a: f32, b: f32, p: f32) -> f32 {
  let ah = split_hi(a); let al = a - ah; let bh = split_hi(b); let bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
fn div_rn(a: f32, b: f32) -> f32 {
  var q = a / b;
  let e = bitcast<u32>(q) & 0x7f800000u;
  if (e == 0x7f800000u || e <= 0x0c000000u || abs(q) > 1e30 || abs(b) > 1e30 || abs(b) < 1e-30) { return q; }
  for (var k = 0; k < 3; k = k + 1) {
    let p = q * b;
    let r = (a - p) - prod_err(q, b, p);
    let ulp = bitcast<f32>((bitcast<u32>(q) & 0x7f800000u) - 0x0b800000u);
    let half = abs(ulp * b) * 0.5;
    if (abs(r) < half || (abs(r) == half && (bitcast<u32>(q) & 1u) == 0u)) { break; }
    q = q + select(-ulp, ulp, (r > 0.0) == (b > 0.0));
  }
  return q;
}`;

const SATURATE = `
fn sat_round(q: f32, zp: i32, lo: f32, hi: f32) -> i32 {
  if ((bitcast<u32>(q) & 0x7fffffffu) > 0x7f800000u) { return zp; }
  return i32(clamp(round(q) + f32(zp), lo, hi));
}`;

/** WGSL for the parameter index of element `i` (an expression), or a reason the shapes give no layout. */
function paramIndex(node: Node): string | { error: string } {
  const [x, scale] = node.inputs as [Value, Value];
  const shape = shapeOf(x);
  const g = quantGranularity(shape, shapeOf(scale), getAttr<number>(node, 'axis'), getAttr<number>(node, 'block_size'));
  if (typeof g === 'string') return { error: g };
  if (g.kind === 'tensor') return '0u';
  const size = shape[g.axis]!;
  const inner = product(shape.slice(g.axis + 1));
  if (g.kind === 'axis') return `((i / ${u(inner)}) % ${u(size)})`;
  const blocks = shapeOf(scale)[g.axis]!;
  return `(((i / ${u(size * inner)}) * ${u(blocks)} + ((i / ${u(inner)}) % ${u(size)}) / ${u(g.blockSize)}) * ${u(inner)} + i % ${u(inner)})`;
}

function zeroPoint(ctx: GpuEmitContext, zp: Value | null | undefined, param: string): { fn: string; read: string } {
  if (!zp) return { fn: '', read: '0i' };
  return { fn: loader(ctx, 'ld_zp', zp), read: `ld_zp(${product(shapeOf(zp)) > 1 ? param : '0u'})` };
}

function emitQuantize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const [x, scale, zp] = node.inputs as [Value, Value, Value | null];
  const y = node.outputs[0]!;
  const total = product(shapeOf(y));
  if (total === 0) return [];
  const precision = ((getAttr<string>(node, 'precision') as DType | '') || scale.type.dtype) as DType;
  const param = paramIndex(node) as string;
  const z = zeroPoint(ctx, zp, 'p');
  const fn = `${CAST_PRELUDE}${SATURATE}${DIV_RN}
${floatLoader(ctx, 'ld_x', x)}
${floatLoader(ctx, 'ld_s', scale)}
${z.fn}
fn element(i: u32) -> i32 {
  let p = ${param};
  let q = ${roundTo(precision, `div_rn(${roundTo(precision, 'ld_x(i)')}, ${roundTo(precision, 'ld_s(p)')})`)};
  return ${saturateRound('q', z.read, y.type.dtype)};
}`;
  return [outputKernel(ctx, y, total, fn)];
}

function emitDequantize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const [x, scale, zp] = node.inputs as [Value, Value, Value | null];
  const y = node.outputs[0]!;
  const total = product(shapeOf(y));
  if (total === 0) return [];
  const z = zeroPoint(ctx, zp, 'p');
  const out = y.type.dtype;
  const fn = `${CAST_PRELUDE}
${loader(ctx, 'ld_x', x)}
${floatLoader(ctx, 'ld_s', scale)}
${z.fn}
fn element(i: u32) -> ${out === 'f32' ? 'f32' : 'u32'} {
  let p = ${paramIndex(node) as string};
  return ${encodeFloat(out, `f32(ld_x(i) - ${z.read}) * ld_s(p)`)};
}`;
  return [outputKernel(ctx, y, total, fn)];
}

const THREADS = 64;

/** Dispatch 1: the range of x by one workgroup, then scale and zero point; dispatch 2: quantize to u8. */
function emitDynamicQuantize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const x = node.inputs[0]!;
  const [y, yScale, yZp] = node.outputs as [Value, Value, Value];
  const n = product(shapeOf(x));
  const [xl, sl, zl] = [ctx.locate(x), ctx.locate(yScale), ctx.locate(yZp)];
  const range = `${bindings('u32')}${DIV_RN}
var<workgroup> lows: array<f32, ${THREADS}>;
var<workgroup> highs: array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(local_invocation_index) lid: u32) {
  // Comparisons are false for NaN, so NaN never moves the range (as in the reference).
  var lo = 0.0;
  var hi = 0.0;
  for (var j = lid; j < ${u(n)}; j = j + ${u(THREADS)}) {
    let v = bitcast<f32>(${at(xl, 'j')});
    if (v > hi) { hi = v; }
    if (v < lo) { lo = v; }
  }
  lows[lid] = lo;
  highs[lid] = hi;
  workgroupBarrier();
  for (var s = ${u(THREADS / 2)}; s > 0u; s = s >> 1u) {
    if (lid < s) { lows[lid] = min(lows[lid], lows[lid + s]); highs[lid] = max(highs[lid], highs[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let scale = select(div_rn(highs[0] - lows[0], 255.0), 1.0, highs[0] == lows[0]);
    ${at(sl, '0u')} = bitcast<u32>(scale);
    ${at(zl, '0u')} = u32(round(clamp(0.0 - div_rn(lows[0], scale), 0.0, 255.0)));
  }
}
`;
  const quantize = `${SATURATE}${DIV_RN}
fn element(i: u32) -> i32 {
  let scale = bitcast<f32>(${at(sl, '0u')});
  let zp = i32(${at(zl, '0u')} & 0xffu);
  return ${saturateRound(`div_rn(bitcast<f32>(${at(xl, 'i')}), scale)`, 'zp', 'u8')};
}`;
  return [{ code: range, workgroups: [1, 1, 1] }, ...(n > 0 ? [outputKernel(ctx, y, n, quantize)] : [])];
}

/** Operand positions of QLinearMatMul and MatMulInteger: a, b and their parameters (null where absent). */
function matmulOperands(node: Node) {
  const i = node.inputs;
  if (node.op === 'QLinearMatMul') return { a: i[0]!, aScale: i[1], aZp: i[2], b: i[3]!, bScale: i[4], bZp: i[5], yScale: i[6], yZp: i[7] };
  return { a: i[0]!, aScale: null, aZp: i[2] ?? null, b: i[1]!, bScale: null, bZp: i[3] ?? null, yScale: null, yZp: null };
}

/** numpy.matmul's layout (ir's matmulLayout) with the parameters checked, or why the node cannot run. */
function checkedMatmulLayout(node: Node): MatmulLayout | string {
  const o = matmulOperands(node);
  const layout = matmulLayout(shapeOf(o.a), shapeOf(o.b));
  if (typeof layout === 'string') return layout;
  const { a, b } = layout;
  for (const [p, side] of [[o.aZp, 'row'], [o.aScale, 'row'], [o.bZp, 'column'], [o.bScale, 'column']] as const) {
    const shape = p ? matmulParamShape(shapeOf(p), side === 'row' ? a : b, side) : [];
    if (typeof shape === 'string') return shape;
  }
  for (const v of [o.yScale, o.yZp]) if (v && product(shapeOf(v)) !== 1) return `%${v.name} must be a single value`;
  return layout;
}

/**
 * QLinearMatMul / MatMulInteger: one invocation per output element sums k products of zero-point-shifted 8-bit
 * operands in i32 (wrapping like the reference's Int32Array); QLinearMatMul then requantizes with
 * multiplier = r(r(a_scale b_scale) / y_scale) and y = saturate(round_half_even(f32(acc) multiplier) + y_zp).
 * Batch offsets and per-row / per-column parameters are broadcast indices with constant strides.
 */
function emitQuantMatmul(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const o = matmulOperands(node);
  const y = node.outputs[0]!;
  const l = checkedMatmulLayout(node) as MatmulLayout;
  const total = product(l.batch) * l.m * l.n;
  if (total === 0) return [];
  const lines = [
    `  let j = o % ${u(l.n)};`,
    `  let i = (o / ${u(l.n)}) % ${u(l.m)};`,
    `  let bi = o / ${u(l.m * l.n)};`,
    `  ${broadcastIndex('ab', 'bi', l.a.slice(0, -2), l.batch)}`,
    `  ${broadcastIndex('bb', 'bi', l.b.slice(0, -2), l.batch)}`,
    `  let row = bi * ${u(l.m)} + i;`,
    `  let col = bi * ${u(l.n)} + j;`,
  ];
  const functions = [loader(ctx, 'ld_a', o.a), loader(ctx, 'ld_b', o.b)];
  /** The parameter's value for this row / column: a loader and a broadcast index of its normalized shape. */
  const param = (v: Value | null | undefined, name: string, side: 'row' | 'column', float: boolean): string => {
    if (!v) return float ? '1.0' : '0i';
    functions.push(float ? floatLoader(ctx, `ld_${name}`, v) : loader(ctx, `ld_${name}`, v));
    const shape = matmulParamShape(shapeOf(v), side === 'row' ? l.a : l.b, side) as number[];
    if (shape.length === 0) return `ld_${name}(0u)`;
    const target = side === 'row' ? [...l.batch, l.m, 1] : [...l.batch, 1, l.n];
    lines.push(`  ${broadcastIndex(`p_${name}`, side === 'row' ? 'row' : 'col', shape, target)}`);
    return `ld_${name}(p_${name})`;
  };
  lines.push(`  let za = ${param(o.aZp, 'za', 'row', false)};`, `  let zb = ${param(o.bZp, 'zb', 'column', false)};`);
  lines.push('  var acc = 0i;');
  lines.push(`  for (var p = 0u; p < ${u(l.k)}; p = p + 1u) {`);
  lines.push(`    acc = acc + (ld_a(ab * ${u(l.m * l.k)} + i * ${u(l.k)} + p) - za) * (ld_b(bb * ${u(l.k * l.n)} + p * ${u(l.n)} + j) - zb);`);
  lines.push('  }');
  if (node.op === 'QLinearMatMul') {
    const r = (v: string) => roundTo(o.aScale!.type.dtype, v);
    const [sa, sb, sy] = [param(o.aScale, 'sa', 'row', true), param(o.bScale, 'sb', 'column', true), param(o.yScale, 'sy', 'row', true)];
    const zy = o.yZp ? (functions.push(loader(ctx, 'ld_zy', o.yZp)), 'ld_zy(0u)') : '0i';
    lines.push(`  let mult = ${r(`div_rn(${r(`${sa} * ${sb}`)}, ${sy})`)};`);
    lines.push(`  return ${saturateRound('f32(acc) * mult', zy, y.type.dtype)};`);
  } else {
    lines.push('  return acc;');
  }
  return accumulatorKernel(ctx, y, total, functions, lines);
}

/** The dispatch whose `element` runs `lines` (ending in a return of the i32 result) with the loaders in `functions`. */
function accumulatorKernel(ctx: GpuEmitContext, y: Value, total: number, functions: string[], lines: string[]): Dispatch[] {
  const fn = `${CAST_PRELUDE}${SATURATE}${DIV_RN}
${functions.join('\n')}
fn element(o: u32) -> i32 {
${lines.join('\n')}
}`;
  return [outputKernel(ctx, y, total, fn)];
}

const EIGHT_BIT: readonly DType[] = ['i8', 'u8'];

/** Operand positions of QLinearConv and ConvInteger (null where absent). */
function convOperands(node: Node) {
  const i = node.inputs;
  if (node.op === 'QLinearConv') return { x: i[0]!, xScale: i[1], xZp: i[2], w: i[3]!, wScale: i[4], wZp: i[5], yScale: i[6], yZp: i[7], bias: i[8] ?? null };
  return { x: i[0]!, xScale: null, xZp: i[2] ?? null, w: i[1]!, wScale: null, wZp: i[3] ?? null, yScale: null, yZp: null, bias: null };
}

const geometryOf = (node: Node): ConvGeometry | string => {
  const o = convOperands(node);
  return convGeometry(o.x.type.shape, o.w.type.shape, convAttrsOf((name) => getAttr(node, name)));
};

const to3 = (values: readonly number[], fill: number): number[] => [...new Array<number>(3 - values.length).fill(fill), ...values];

/**
 * QLinearConv / ConvInteger over 1 to 3 spatial axes (seen as 3-D): one invocation per output element sums
 * (x - x_zp)(w - w_zp) over its window in i32 (padding contributes nothing; QLinearConv's bias starts the sum),
 * then QLinearConv requantizes per output channel with multiplier = r(r(x_scale w_scale[m]) / y_scale).
 */
function emitQuantConv(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const o = convOperands(node);
  const y = node.outputs[0]!;
  const g = geometryOf(node) as ConvGeometry;
  const [xs, ws] = [shapeOf(o.x), shapeOf(o.w)];
  const n = xs.length - 2;
  const [C, M] = [xs[1]!, ws[0]!];
  const group = getAttr<number>(node, 'group');
  const [Cg, Mg] = [C / group, M / group];
  const [D, O, K, S, L, P] = [to3(xs.slice(2), 1), to3(shapeOf(y).slice(2), 1), to3(g.kernel, 1), to3(g.strides, 1), to3(g.dilations, 1), to3(g.pads.slice(0, n), 0)];
  const total = product(shapeOf(y));
  if (total === 0) return [];
  const outVol = O[0]! * O[1]! * O[2]!;
  const functions = [loader(ctx, 'ld_x', o.x), loader(ctx, 'ld_w', o.w)];
  const scalar = (v: Value | null | undefined, name: string, index: string, float = false) => {
    if (!v) return float ? '1.0' : '0i';
    functions.push(float ? floatLoader(ctx, `ld_${name}`, v) : loader(ctx, `ld_${name}`, v));
    return `ld_${name}(${product(shapeOf(v)) > 1 ? index : '0u'})`;
  };
  const inRange = [0, 1, 2].map((a) => `u32(i${a}) < ${u(D[a]!)}`).join(' && ');
  const lines = [
    `  let o2 = o % ${u(O[2]!)};`,
    `  let o1 = (o / ${u(O[2]!)}) % ${u(O[1]!)};`,
    `  let o0 = (o / ${u(O[2]! * O[1]!)}) % ${u(O[0]!)};`,
    `  let mo = (o / ${u(outVol)}) % ${u(M)};`,
    `  let b = o / ${u(outVol * M)};`,
    `  let zx = ${scalar(o.xZp, 'zx', '0u')};`,
    `  let zw = ${scalar(o.wZp, 'zw', 'mo')};`,
    `  var acc = ${o.bias ? scalar(o.bias, 'bias', 'mo') : '0i'};`,
    `  for (var c = 0u; c < ${u(Cg)}; c = c + 1u) {`,
    `    let plane = (b * ${u(C)} + (mo / ${u(Mg)}) * ${u(Cg)} + c) * ${u(D[0]! * D[1]! * D[2]!)};`,
    `    let wbase = (mo * ${u(Cg)} + c) * ${u(K[0]! * K[1]! * K[2]!)};`,
    `    for (var k0 = 0u; k0 < ${u(K[0]!)}; k0 = k0 + 1u) {`,
    `      for (var k1 = 0u; k1 < ${u(K[1]!)}; k1 = k1 + 1u) {`,
    `        for (var k2 = 0u; k2 < ${u(K[2]!)}; k2 = k2 + 1u) {`,
    ...[0, 1, 2].map((a) => `          let i${a} = i32(o${a} * ${u(S[a]!)} + k${a} * ${u(L[a]!)}) - ${P[a]!}i;`),
    `          if (${inRange}) {`,
    `            acc = acc + (ld_x(plane + (u32(i0) * ${u(D[1]!)} + u32(i1)) * ${u(D[2]!)} + u32(i2)) - zx) * (ld_w(wbase + (k0 * ${u(K[1]!)} + k1) * ${u(K[2]!)} + k2) - zw);`,
    '          }',
    '        }',
    '      }',
    '    }',
    '  }',
  ];
  if (node.op === 'QLinearConv') {
    const r = (v: string) => roundTo(o.xScale!.type.dtype, v);
    const [sx, sw, sy] = [scalar(o.xScale, 'sx', '0u', true), scalar(o.wScale, 'sw', 'mo', true), scalar(o.yScale, 'sy', '0u', true)];
    lines.push(`  let mult = ${r(`div_rn(${r(`${sx} * ${sw}`)}, ${sy})`)};`);
    lines.push(`  return ${saturateRound('f32(acc) * mult', scalar(o.yZp, 'zy', '0u'), y.type.dtype)};`);
  } else {
    lines.push('  return acc;');
  }
  return accumulatorKernel(ctx, y, total, functions, lines);
}

function checkQuantConv(node: Node): string | null {
  const o = convOperands(node);
  const rank = o.x.type.shape.length;
  if (rank < 3 || rank > 5) return `${node.op} with ${rank - 2} spatial axes is not supported (1 to 3)`;
  if (!EIGHT_BIT.includes(o.x.type.dtype) || !EIGHT_BIT.includes(o.w.type.dtype)) return `${node.op} on ${o.x.type.dtype} x ${o.w.type.dtype} is not supported (8-bit)`;
  for (const s of [o.xScale, o.wScale, o.yScale]) if (s && !FLOAT_PARAMS.includes(s.type.dtype)) return `a ${s.type.dtype} scale is not supported (f32, f16, bf16)`;
  if (o.bias && o.bias.type.dtype !== 'i32') return 'the bias must be i32';
  return null;
}

function checkQuantConvDims(node: Node): string | null {
  const o = convOperands(node);
  const g = geometryOf(node);
  if (typeof g === 'string') return g;
  const M = shapeOf(o.w)[0]!;
  for (const v of [o.xScale, o.xZp, o.yScale, o.yZp]) if (v && product(shapeOf(v)) !== 1) return `%${v.name} must be a single value`;
  for (const v of [o.wScale, o.wZp]) {
    const count = v ? product(shapeOf(v)) : 1;
    if (count !== 1 && count !== M) return `%${v!.name} must hold one value or one per output channel`;
  }
  return null;
}

function checkQuantMatmul(node: Node): string | null {
  const o = matmulOperands(node);
  if (!EIGHT_BIT.includes(o.a.type.dtype) || !EIGHT_BIT.includes(o.b.type.dtype)) return `${node.op} on ${o.a.type.dtype} x ${o.b.type.dtype} is not supported (8-bit)`;
  for (const s of [o.aScale, o.bScale, o.yScale]) if (s && !FLOAT_PARAMS.includes(s.type.dtype)) return `a ${s.type.dtype} scale is not supported (f32, f16, bf16)`;
  return null;
}

export const onnxQuantizationKernels: GpuKernel = {
  ops: ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearMatMul', 'MatMulInteger', 'QLinearConv', 'ConvInteger'],
  check(node) {
    if (node.op === 'QLinearConv' || node.op === 'ConvInteger') return checkQuantConv(node);
    if (node.op === 'QLinearMatMul' || node.op === 'MatMulInteger') return checkQuantMatmul(node);
    const x = node.inputs[0]!;
    const out = node.outputs[0]!.type.dtype;
    if (node.op === 'DynamicQuantizeLinear') return x.type.dtype === 'f32' ? null : `DynamicQuantizeLinear of ${x.type.dtype} is not supported (f32)`;
    const scale = node.inputs[1]!;
    if (!FLOAT_PARAMS.includes(scale.type.dtype)) return `a ${scale.type.dtype} scale is not supported (f32, f16, bf16)`;
    if (node.op === 'QuantizeLinear') {
      if (!INT_TYPES.includes(out) || out === 'i32') return `QuantizeLinear to ${out} is not supported (i8, u8, i16, u16)`;
      if (!FLOAT_PARAMS.includes(x.type.dtype)) return `QuantizeLinear of ${x.type.dtype} is not supported (f32, f16, bf16)`;
      const precision = (getAttr<string>(node, 'precision') as DType | '') || scale.type.dtype;
      if (!FLOAT_PARAMS.includes(precision)) return `QuantizeLinear in ${precision} precision is not supported`;
      return null;
    }
    if (!INT_TYPES.includes(x.type.dtype)) return `DequantizeLinear of ${x.type.dtype} is not supported (i8, u8, i16, u16, i32)`;
    return FLOAT_PARAMS.includes(out) ? null : `DequantizeLinear to ${out} is not supported (f32, f16, bf16)`;
  },
  checkDims(node) {
    if (node.op === 'DynamicQuantizeLinear') return null;
    if (node.op === 'QLinearConv' || node.op === 'ConvInteger') return checkQuantConvDims(node);
    if (node.op === 'QLinearMatMul' || node.op === 'MatMulInteger') {
      const l = checkedMatmulLayout(node);
      return typeof l === 'string' ? l : null;
    }
    const p = paramIndex(node);
    return typeof p === 'string' ? null : p.error;
  },
  emit(node, ctx) {
    if (node.op === 'QuantizeLinear') return emitQuantize(node, ctx);
    if (node.op === 'DequantizeLinear') return emitDequantize(node, ctx);
    if (node.op === 'QLinearMatMul' || node.op === 'MatMulInteger') return emitQuantMatmul(node, ctx);
    if (node.op === 'QLinearConv' || node.op === 'ConvInteger') return emitQuantConv(node, ctx);
    return emitDynamicQuantize(node, ctx);
  },
};
