import { dtypeBytes, getAttr, type DType, type Node, type Value } from '../../../ir/index.js';
import { convAttrsOf, convGeometry } from '../../../ir/ops/onnx-quantization.js';
import { clampRange } from '../../../ir/ops/quantized.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { broadcastIndex, f32Literal, i32Literal as i, rowMajorStrides, stridedIndex, u32Literal as u } from '../wgsl.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * The quantized IR on WebGPU, bit-exact with the reference (ir/ops/quantized.ts defines the arithmetic):
 * QuantizeF32, DequantizeF32, QRequantize, QAdd, QGlobalAveragePool, QConv and QMatMul. Integer sums wrap
 * modulo 2^32 as WGSL i32 arithmetic does; requantization is exact in emulated 64-bit arithmetic.
 *
 * QConv and QMatMul on i8 x i8 come in two variants: dot4I8Packed over four taps at a time (WGSL's
 * packed_4x8_integer_dot_product), with the zero points applied afterwards through
 *   sum (x - xz)(w - wz) = sum x w - wz sum x - xz sum w + K xz wz,
 * and the plain loop over (x - xz)(w - wz), which the runtime uses when the adapter lacks the feature.
 */
export const PACKED_DOT_FEATURE = 'packed_4x8_integer_dot_product';

const intsOf = (v: Value | null): number[] | null => (v?.data ? Array.from(v.data.data as ArrayLike<number | bigint>, Number) : null);

/** WGSL clamping `value` (i32) to the op's act_min / act_max within its output dtype. */
function clamped(node: Node, value: string): string {
  const dtype = node.outputs[0]!.type.dtype as DType;
  if (dtype === 'i32') return value;
  const [lo, hi] = clampRange(dtype, getAttr<number>(node, 'act_min'), getAttr<number>(node, 'act_max'));
  return `clamp(${value}, ${i(lo)}, ${i(hi)})`;
}

/** WGSL of requantize(acc) + y_zero_point for channel `channel` (multiplier and shift from constants or attributes). */
function requantized(node: Node, ctx: GpuEmitContext, acc: string, channel: string, params: [Value | null, Value | null] | [number, number]): string {
  const zp = getAttr<number>(node, 'y_zero_point');
  let m: string;
  let s: string;
  if (typeof params[0] === 'number') {
    [m, s] = [u(params[0]), u(params[1] as number)];
  } else {
    const [mv, sv] = params as [Value, Value];
    const index = product(shapeOf(mv)) === 1 ? '0u' : channel;
    [m, s] = [at(ctx.locate(mv), index), at(ctx.locate(sv), index)];
  }
  return `requantize(${acc}, ${m}, ${s}) + ${i(zp)}`;
}

function emitQuantize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const x = node.inputs[0]!;
  const out = node.outputs[0]!;
  const total = product(shapeOf(out));
  const scale = getAttr<number>(node, 'scale');
  const zp = getAttr<number>(node, 'zero_point');
  const [lo, hi] = clampRange(out.type.dtype as DType, -Infinity, Infinity);
  // round() is round-half-to-even in WGSL; NaN becomes the zero point, as in the reference.
  const fn = `${loader(ctx, 'ld_x', x)}
fn element(o: u32) -> i32 {
  let raw = ld_x(o);
  if (f32_is_nan(raw)) { return ${i(zp)}; }
  let v = raw / ${f32Literal(scale)};
  let r = round(clamp(v, -1e9, 1e9));
  return i32(clamp(r + f32(${zp}), f32(${lo}), f32(${hi})));
}`;
  return [outputKernel(ctx, out, total, fn)];
}

function emitDequantize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const out = node.outputs[0]!;
  const fn = `${loader(ctx, 'ld_x', node.inputs[0]!)}
fn element(o: u32) -> f32 { return f32(ld_x(o) - ${i(getAttr<number>(node, 'zero_point'))}) * ${f32Literal(getAttr<number>(node, 'scale'))}; }`;
  return [outputKernel(ctx, out, product(shapeOf(out)), fn)];
}

function emitRequantize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const out = node.outputs[0]!;
  const value = requantized(node, ctx, `ld_x(o) - ${i(getAttr<number>(node, 'x_zero_point'))}`, '0u', [getAttr<number>(node, 'multiplier'), getAttr<number>(node, 'shift')]);
  const fn = `${loader(ctx, 'ld_x', node.inputs[0]!)}
fn element(o: u32) -> i32 { return ${clamped(node, value)}; }`;
  return [outputKernel(ctx, out, product(shapeOf(out)), fn)];
}

function emitQAdd(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const [a, b] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const dims = shapeOf(out);
  const attr = (name: string) => getAttr<number>(node, name);
  const fn = `${loader(ctx, 'ld_a', a)}
${loader(ctx, 'ld_b', b)}
fn element(o: u32) -> i32 {
  ${broadcastIndex('ia', 'o', shapeOf(a), dims)}
  ${broadcastIndex('ib', 'o', shapeOf(b), dims)}
  let sum = add64(mul_i32_u32(ld_a(ia) - ${i(attr('a_zero_point'))}, ${u(attr('a_multiplier'))}), mul_i32_u32(ld_b(ib) - ${i(attr('b_zero_point'))}, ${u(attr('b_multiplier'))}));
  let q = sar64_sat(add64(sum, pow2_64(${u(attr('shift') - 1)})), ${u(attr('shift'))});
  return ${clamped(node, `q + ${i(attr('y_zero_point'))}`)};
}`;
  return [outputKernel(ctx, out, product(dims), fn)];
}

function emitQGlobalAveragePool(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const x = node.inputs[0]!;
  const out = node.outputs[0]!;
  const shape = shapeOf(x);
  const vol = product(shape.slice(2));
  const value = requantized(node, ctx, 'sum', '0u', [getAttr<number>(node, 'multiplier'), getAttr<number>(node, 'shift')]);
  const fn = `${loader(ctx, 'ld_x', x)}
fn element(o: u32) -> i32 {
  var sum = 0i;
  for (var k = 0u; k < ${u(vol)}; k = k + 1u) { sum = sum + ld_x(o * ${u(vol)} + k) - ${i(getAttr<number>(node, 'x_zero_point'))}; }
  return ${clamped(node, value)};
}`;
  return [outputKernel(ctx, out, product(shapeOf(out)), fn)];
}

/**
 * The inner product of a QConv / QMatMul output element: `taps` (WGSL, defining `xv` and `wv` for tap index
 * `k` of K) in the plain form or four at a time with dot4I8Packed.
 */
function dotLoop(K: number, tap: string, xz: number, wz: number, packed: boolean): string {
  if (!packed) {
    return `  var acc = 0i;
  for (var k = 0u; k < ${u(K)}; k = k + 1u) {
${tap}
    acc = acc + (xv - ${i(xz)}) * (wv - ${i(wz)});
  }`;
  }
  return `  var dot = 0i;
  var sx = 0i;
  var sw = 0i;
  for (var k0 = 0u; k0 < ${u(K)}; k0 = k0 + 4u) {
    var px = 0u;
    var pw = 0u;
    for (var j = 0u; j < 4u; j = j + 1u) {
      let k = k0 + j;
      if (k < ${u(K)}) {
${tap}
        px = px | ((bitcast<u32>(xv) & 0xffu) << (8u * j));
        pw = pw | ((bitcast<u32>(wv) & 0xffu) << (8u * j));
      }
    }
    dot = dot + dot4I8Packed(px, pw);
    sx = sx + dot4I8Packed(px, 0x01010101u);
    sw = sw + dot4I8Packed(pw, 0x01010101u);
  }
  let acc = dot - ${i(wz)} * sx - ${i(xz)} * sw + ${i(Number(BigInt.asIntN(32, BigInt(K * xz * wz))))};`;
}

function finishDot(node: Node, ctx: GpuEmitContext, channel: string): string {
  const bias = node.inputs[2];
  const lines = [bias ? `  let total = acc + bitcast<i32>(${at(ctx.locate(bias), channel)});` : '  let total = acc;'];
  const [m, s] = [node.inputs[3] ?? null, node.inputs[4] ?? null];
  lines.push(m && s ? `  return ${clamped(node, requantized(node, ctx, 'total', channel, [m, s]))};` : '  return total;');
  return lines.join('\n');
}

/** Whether the packed variant applies: both operands i8 (dot4I8Packed multiplies signed bytes). */
const packable = (node: Node) => node.inputs[0]!.type.dtype === 'i8' && node.inputs[1]!.type.dtype === 'i8';

function withVariants(node: Node, ctx: GpuEmitContext, out: Value, total: number, body: (packed: boolean) => string): Dispatch[] {
  const plain = outputKernel(ctx, out, total, body(false));
  if (!packable(node) || !ctx.options.packedInt8Dot) return [plain];
  const packed = outputKernel(ctx, out, total, body(true));
  return [{ code: `requires ${PACKED_DOT_FEATURE};\n${packed.code}`, workgroups: packed.workgroups, fallback: plain.code, languageFeature: PACKED_DOT_FEATURE }];
}

function emitQConv(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const [x, w] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const xs = shapeOf(x);
  const ws = shapeOf(w);
  const g = convGeometry(xs, ws, convAttrsOf((name) => getAttr(node, name))) as Exclude<ReturnType<typeof convGeometry>, string>;
  const n = xs.length - 2;
  // Seen as 3-D: leading spatial axes of extent 1.
  const to3 = (values: readonly number[], fill: number) => [...new Array<number>(3 - values.length).fill(fill), ...values];
  const [D, H, W] = to3(xs.slice(2), 1) as [number, number, number];
  const [OD, OH, OW] = to3((g.outShape as number[]).slice(2), 1) as [number, number, number];
  const [KD, KH, KW] = to3(g.kernel, 1) as [number, number, number];
  const [SD, SH, SW] = to3(g.strides, 1);
  const [DD, DH, DW] = to3(g.dilations, 1);
  const [PD, PH, PW] = to3(g.pads.slice(0, n), 0);
  const group = getAttr<number>(node, 'group');
  const [C, M] = [xs[1]!, ws[0]!];
  const Cg = C / group;
  const Mg = M / group;
  const taps = KD * KH * KW;
  const K = Cg * taps;
  const xz = getAttr<number>(node, 'x_zero_point');
  const wz = getAttr<number>(node, 'w_zero_point');
  const pixels = OD * OH * OW;
  const tap = `    let c = k / ${u(taps)};
    let t = k % ${u(taps)};
    let id = i32(od * ${u(SD)} + (t / ${u(KH * KW)}) * ${u(DD)}) - ${i(PD)};
    let ih = i32(oh * ${u(SH)} + ((t / ${u(KW)}) % ${u(KH)}) * ${u(DH)}) - ${i(PH)};
    let iw = i32(ow * ${u(SW)} + (t % ${u(KW)}) * ${u(DW)}) - ${i(PW)};
    var xv = ${i(xz)};
    if (id >= 0i && id < ${i(D)} && ih >= 0i && ih < ${i(H)} && iw >= 0i && iw < ${i(W)}) {
      xv = ld_x((img * ${u(C)} + gi * ${u(Cg)} + c) * ${u(D * H * W)} + (u32(id) * ${u(H)} + u32(ih)) * ${u(W)} + u32(iw));
    }
    let wv = ld_w(oc * ${u(K)} + k);`;
  const body = (packed: boolean) => `${loader(ctx, 'ld_x', x)}
${loader(ctx, 'ld_w', w)}
fn element(o: u32) -> i32 {
  let ow = o % ${u(OW)};
  let oh = (o / ${u(OW)}) % ${u(OH)};
  let od = (o / ${u(OW * OH)}) % ${u(OD)};
  let oc = (o / ${u(pixels)}) % ${u(M)};
  let img = o / ${u(pixels * M)};
  let gi = oc / ${u(Mg)};
${dotLoop(K, tap, xz, wz, packed)}
${finishDot(node, ctx, 'oc')}
}`;
  return withVariants(node, ctx, out, product(shapeOf(out)), body);
}

function emitQMatMul(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const [a, b] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const aShape = shapeOf(a);
  const bShape = shapeOf(b);
  const [M, K] = (aShape.length === 1 ? [1, aShape[0]!] : aShape.slice(-2)) as [number, number];
  const N = bShape.length === 1 ? 1 : bShape[bShape.length - 1]!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const outBatch = shapeOf(out).slice(0, Math.max(aBatch.length, bBatch.length));
  const base = (name: string, operandBatch: number[], matrix: number) => {
    const lead = outBatch.length - operandBatch.length;
    const strides = rowMajorStrides(operandBatch);
    return stridedIndex(name, 'bt', outBatch, outBatch.map((_, ax) => (ax < lead || operandBatch[ax - lead] === 1 ? 0 : strides[ax - lead]! * matrix)));
  };
  const tap = `    let xv = ld_a(abase + m * ${u(K)} + k);
    let wv = ld_b(bbase + k * ${u(N)} + n);`;
  const body = (packed: boolean) => `${loader(ctx, 'ld_a', a)}
${loader(ctx, 'ld_b', b)}
fn element(o: u32) -> i32 {
  let n = o % ${u(N)};
  let m = (o / ${u(N)}) % ${u(M)};
  let bt = o / ${u(M * N)};
  ${base('abase', aBatch, M * K)}
  ${base('bbase', bBatch, K * N)}
${dotLoop(K, tap, getAttr<number>(node, 'a_zero_point'), getAttr<number>(node, 'b_zero_point'), packed)}
${finishDot(node, ctx, 'n')}
}`;
  return withVariants(node, ctx, out, product(shapeOf(out)), body);
}

const EMITTERS: Record<string, (node: Node, ctx: GpuEmitContext) => Dispatch[]> = {
  QuantizeF32: emitQuantize,
  DequantizeF32: emitDequantize,
  QRequantize: emitRequantize,
  QAdd: emitQAdd,
  QGlobalAveragePool: emitQGlobalAveragePool,
  QConv: emitQConv,
  QMatMul: emitQMatMul,
};

export const int8Kernels: GpuKernel = {
  ops: Object.keys(EMITTERS),
  check(node) {
    if (node.op === 'QConv') {
      const rank = node.inputs[0]!.type.shape.length;
      if (rank < 3 || rank > 5) return `QConv over ${rank - 2} spatial axes is not supported (1 to 3)`;
    }
    if (node.op === 'QConv' || node.op === 'QMatMul') {
      for (const k of [2, 3, 4]) {
        const v = node.inputs[k];
        if (v && !intsOf(v)) return `${node.op} needs constant bias, multiplier and shift (%${v.name} is computed at run time)`;
      }
    }
    const out = node.outputs[0]!;
    if (![1, 4].includes(dtypeBytes(out.type.dtype))) return `${node.op} output ${out.type.dtype} is not supported`;
    return null;
  },
  emit(node, ctx) {
    if (product(shapeOf(node.outputs[0]!)) === 0) return [];
    return EMITTERS[node.op]!(node, ctx);
  },
};
