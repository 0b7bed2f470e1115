import { dtypeRange, getAttr, makeTensor, numel, opTraits, type Attributes, type DType, type Node, type Tensor, type Value } from '../ir/index.js';
import { quantizeAddMultipliers, quantizeMultiplier } from '../ir/ops/quantized.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { replaceKeepingName } from './fusion-util.js';
import { f32, isPerTensor, linearParams, quantizedConstant, quantizeScalar, sameParams, type LinearParams } from './quantize-params.js';

/**
 * Lowers quantized ONNX forms to edgec's integer ops (ir/ops/quantized.ts):
 *
 * - QDQ: QuantizeLinear(op(DequantizeLinear(x), DequantizeLinear(w), DequantizeLinear(bias))) for Conv / FusedConv,
 *   Gemm / FusedGemm, MatMul, Add and GlobalAveragePool (with an optional Relu / Clip before the QuantizeLinear,
 *   or the fused activation, becoming the output clamp), data movement (MaxPool, reshapes, Concat) on the
 *   integers themselves, and QuantizeLinear(DequantizeLinear(x)) as a requantization;
 * - QOperator: QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger;
 * - what is left at the float boundaries: QuantizeLinear -> QuantizeF32, DequantizeLinear -> DequantizeF32.
 *
 * Requantization multipliers are computed here, once: r = s_in * s_w[c] / s_out in float64 from the float32
 * scales, then (M, S) = quantizeMultiplier(r). Weights whose zero point can be folded into int8 values become
 * symmetric int8. Forms outside this (per-row activation scales, blocked quantization, per-channel weight zero
 * points that do not fit int8) are left as they are.
 */


/** An int8 / uint8 tensor value and the per-tensor parameters it is read with. */
interface Quantized {
  value: Value;
  params: LinearParams;
}

/** The integer value behind a per-tensor DequantizeLinear with constant parameters. */
function dequantized(v: Value | null | undefined): Quantized | undefined {
  const dq = v?.producer;
  if (!dq || dq.op !== 'DequantizeLinear') return undefined;
  const params = linearParams(dq);
  if (!params || !isPerTensor(params) || !['i8', 'u8'].includes(params.dtype)) return undefined;
  return { value: dq.inputs[0]!, params };
}

interface Output {
  scale: number;
  zeroPoint: number;
  dtype: DType;
  actMin?: number;
  actMax?: number;
}

/** The QuantizeLinear root's per-tensor output parameters. */
function quantizeOutput(q: Node): Output | undefined {
  const p = linearParams(q);
  if (!p || !isPerTensor(p) || !['i8', 'u8'].includes(p.dtype) || q.inputs[0]!.type.dtype !== 'f32') return undefined;
  return { scale: p.scale[0]!, zeroPoint: p.zeroPoint[0]!, dtype: p.dtype };
}

/** Activation name and [min, max] of a FusedConv / FusedGemm, or of a Relu / Clip node. */
function activationOf(node: Node): { name: string; params: number[] } | undefined {
  if (node.op === 'Relu') return { name: 'Relu', params: [] };
  if (node.op === 'Clip') {
    const bound = (v: Value | null | undefined, none: number) => (v ? (v.data ? Number(v.data.data[0]) : undefined) : none);
    const lo = bound(node.inputs[1], -Infinity);
    const hi = bound(node.inputs[2], Infinity);
    return lo === undefined || hi === undefined ? undefined : { name: 'Clip', params: [lo, hi] };
  }
  if (node.op === 'FusedConv' || node.op === 'FusedGemm') {
    const name = getAttr<string>(node, 'activation');
    return ['None', 'Relu', 'Clip'].includes(name) ? { name, params: getAttr<number[]>(node, 'activation_params') } : undefined;
  }
  return { name: 'None', params: [] };
}

/** The output clamp of an activation: Q(relu(v)) = max(Q(v), Q(0)) and Q(clip(v, a, b)) = clamp(Q(v), Q(a), Q(b)). */
function withActivation(out: Output, act: { name: string; params: number[] }): Output {
  const [qmin, qmax] = dtypeRange(out.dtype);
  const q = (x: number) => quantizeScalar(x, out.scale, out.zeroPoint, qmin, qmax);
  const merged = { ...out };
  const tighten = (lo: number | undefined, hi: number | undefined) => {
    if (lo !== undefined && lo > (merged.actMin ?? qmin)) merged.actMin = lo;
    if (hi !== undefined && hi < (merged.actMax ?? qmax)) merged.actMax = hi;
  };
  if (act.name === 'Relu') tighten(q(0), undefined);
  if (act.name === 'Clip') tighten(Number.isFinite(act.params[0]!) ? q(act.params[0]!) : undefined, Number.isFinite(act.params[1]!) ? q(act.params[1]!) : undefined);
  return merged;
}

function outputAttrs(out: Output): Attributes {
  const attrs: Attributes = {};
  if (out.zeroPoint !== 0) attrs['y_zero_point'] = out.zeroPoint;
  if (out.dtype !== 'i8') attrs['dtype'] = out.dtype;
  if (out.actMin !== undefined) attrs['act_min'] = out.actMin;
  if (out.actMax !== undefined) attrs['act_max'] = out.actMax;
  return attrs;
}

/** Creates the replacement node for `root` (its output takes the root's name and the output parameters). */
function emit(rewriter: PatternRewriter, root: Node, op: string, inputs: (Value | null)[], attrs: Attributes, out?: Output, name = ''): Value {
  const [v] = rewriter.create(op, inputs, attrs, { name: name || undefined, outputs: [root.outputs[0]!.name] });
  if (out) v!.quant = { scale: [out.scale], zeroPoint: [out.zeroPoint] };
  replaceKeepingName(rewriter, root, v!);
  return v!;
}

function requantizeTo(rewriter: PatternRewriter, x: Quantized, out: Output, base: string): Value {
  if (x.params.dtype === out.dtype && sameParams(x.params, { scale: [out.scale], zeroPoint: [out.zeroPoint] }) && out.actMin === undefined && out.actMax === undefined) {
    return x.value;
  }
  const { multiplier, shift } = quantizeMultiplier(x.params.scale[0]! / out.scale);
  const attrs: Attributes = { multiplier, shift, ...outputAttrs(out) };
  if (x.params.zeroPoint[0] !== 0) attrs['x_zero_point'] = x.params.zeroPoint[0]!;
  const [v] = rewriter.create('QRequantize', [x.value], attrs, { outputs: [`${base}_requantized`] });
  v!.quant = { scale: [out.scale], zeroPoint: [out.zeroPoint] };
  return v!;
}

// ---------------------------------------------------------------------------------------------------------
// Weights, bias and multipliers

interface Weights {
  value: Value;
  zeroPoint: number;
  /** One scale, or one per output channel. */
  scales: number[];
}

/**
 * Integer weights with their zero points folded in when the result fits int8 (per channel along `axis`);
 * otherwise the original data with a single zero point. undefined when neither works.
 */
function normalizeWeights(rewriter: PatternRewriter, source: Value, data: Tensor, params: { scale: number[]; zeroPoint: number[]; axis?: number }, axis: number, base: string): Weights | undefined {
  const perChannel = params.scale.length > 1 || params.axis !== undefined;
  if (perChannel && params.axis !== axis) return undefined;
  const channels = data.shape[axis] ?? 1;
  const inner = numel(data.shape.slice(axis + 1));
  const src = data.data as ArrayLike<number>;
  const zps = params.zeroPoint;
  const shiftedValues = new Int32Array(src.length);
  let fits = true;
  for (let i = 0; i < src.length; i++) {
    const zp = zps.length > 1 ? zps[Math.floor(i / inner) % channels]! : zps[0]!;
    const v = Number(src[i]) - zp;
    shiftedValues[i] = v;
    if (v < -128 || v > 127) fits = false;
  }
  const quant = perChannel ? { scale: [...params.scale], zeroPoint: new Array<number>(params.scale.length).fill(0), axis } : { scale: [params.scale[0]!], zeroPoint: [0] };
  if (fits) {
    const reuse = source.data === data && data.dtype === 'i8' && zps.every((z) => z === 0);
    const value = reuse ? source : rewriter.constant(`${base}_i8`, makeTensor('i8', data.shape, shiftedValues));
    if (!reuse) value.quant = quant;
    return { value, zeroPoint: 0, scales: [...params.scale] };
  }
  if (perChannel && zps.some((z) => z !== zps[0])) return undefined;
  const value = source.data === data ? source : rewriter.constant(`${base}_q`, data);
  return { value, zeroPoint: zps[0]!, scales: [...params.scale] };
}

/** Weights read through DequantizeLinear (of a constant, or of QuantizeLinear of a float constant). */
function dequantizedWeights(rewriter: PatternRewriter, v: Value | null | undefined, axis: number): Weights | undefined {
  const dq = v?.producer;
  if (!dq || dq.op !== 'DequantizeLinear') return undefined;
  const params = linearParams(dq);
  const src = dq.inputs[0]!;
  const data = quantizedConstant(src);
  if (!params || !data || !['i8', 'u8'].includes(data.dtype)) return undefined;
  return normalizeWeights(rewriter, src, data, params, axis, src.name);
}

/** Transposes a constant [K, N] <-> [N, K] integer matrix. */
function transposed(rewriter: PatternRewriter, w: Weights, base: string): Weights {
  const t = w.value.data!;
  const [rows, cols] = [t.shape[0]!, t.shape[1]!];
  const out = makeTensor(t.dtype, [cols, rows]);
  const src = t.data as Int8Array;
  const dst = out.data as Int8Array;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c]!;
  const value = rewriter.constant(`${base}_t`, out);
  if (w.value.quant) value.quant = { ...w.value.quant, axis: w.value.quant.axis === undefined ? undefined : 1 - w.value.quant.axis };
  if (value.quant?.axis === undefined) delete value.quant?.axis;
  return { ...w, value };
}

/** The int32 bias: DequantizeLinear of an i32 constant (optionally reshaped), or a float constant quantized here. */
function biasValue(rewriter: PatternRewriter, v: Value | null | undefined, inScale: number, scales: number[], channels: number, base: string): Value | null | undefined {
  if (!v) return null;
  let source = v;
  if (source.producer?.op === 'Reshape') source = source.producer.inputs[0]!;
  const dq = source.producer;
  if (dq?.op === 'DequantizeLinear' && dq.inputs[0]!.data?.dtype === 'i32') {
    const data = dq.inputs[0]!.data;
    if (data.data.length !== channels) return undefined;
    if (data.shape.length === 1) return dq.inputs[0]!;
    return rewriter.constant(`${base}_bias`, makeTensor('i32', [channels], data.data as Int32Array));
  }
  if (v.data?.dtype === 'f32' && v.data.data.length === channels) {
    const values = Array.from(v.data.data as Float32Array, (b, m) => Math.round(b / f32(inScale * scales[scales.length > 1 ? m : 0]!)));
    return rewriter.constant(`${base}_bias`, makeTensor('i32', [channels], values));
  }
  return undefined;
}

/** Multiplier and shift constants for r[c] = inScale * weightScale[c] / outScale. */
function multipliers(rewriter: PatternRewriter, inScale: number, weightScales: number[], outScale: number, base: string): [Value, Value] {
  const fixed = weightScales.map((s) => quantizeMultiplier((inScale * s) / outScale));
  const n = fixed.length;
  const m = rewriter.constant(`${base}_multiplier`, makeTensor('i32', [n], fixed.map((f) => f.multiplier)));
  const s = rewriter.constant(`${base}_shift`, makeTensor('i32', [n], fixed.map((f) => f.shift)));
  return [m, s];
}

const CONV_ATTRS = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

function convAttrs(node: Node): Attributes {
  const attrs: Attributes = {};
  for (const k of CONV_ATTRS) if (node.attrs[k] !== undefined) attrs[k] = node.attrs[k]!;
  return attrs;
}

interface ConvParts {
  x: Quantized;
  w: Weights;
  bias: Value | null | undefined;
  out?: Output;
}

function integerConvAttrs(conv: Node, x: Quantized, w: Weights): Attributes {
  const attrs: Attributes = { ...convAttrs(conv) };
  if (x.params.zeroPoint[0] !== 0) attrs['x_zero_point'] = x.params.zeroPoint[0]!;
  if (w.zeroPoint !== 0) attrs['w_zero_point'] = w.zeroPoint;
  return attrs;
}

function emitConv(rewriter: PatternRewriter, root: Node, conv: Node, parts: ConvParts): boolean {
  const { x, w, bias, out } = parts;
  if (bias === undefined) return false;
  const attrs = integerConvAttrs(conv, x, w);
  const base = root.outputs[0]!.name;
  if (!out) {
    emit(rewriter, root, 'QConv', [x.value, w.value, bias], { ...attrs, dtype: 'i32' }, undefined, conv.name);
    return true;
  }
  const [m, s] = multipliers(rewriter, x.params.scale[0]!, w.scales, out.scale, base);
  emit(rewriter, root, 'QConv', [x.value, w.value, bias, m, s], { ...attrs, ...outputAttrs(out) }, out, conv.name);
  return true;
}

interface MatMulParts {
  a: Quantized;
  /** Constant weights ([K, N]) or an activation. */
  b: Weights | Quantized;
  bias: Value | null | undefined;
  out?: Output;
}

function integerMatMulAttrs(a: Quantized, b: Weights | Quantized): Attributes {
  const attrs: Attributes = {};
  if (a.params.zeroPoint[0] !== 0) attrs['a_zero_point'] = a.params.zeroPoint[0]!;
  const bZero = 'params' in b ? b.params.zeroPoint[0]! : b.zeroPoint;
  if (bZero !== 0) attrs['b_zero_point'] = bZero;
  return attrs;
}

const bScales = (b: Weights | Quantized) => ('params' in b ? [b.params.scale[0]!] : b.scales);

function emitMatMul(rewriter: PatternRewriter, root: Node, node: Node, parts: MatMulParts): boolean {
  const { a, b, bias, out } = parts;
  if (bias === undefined) return false;
  const attrs = integerMatMulAttrs(a, b);
  const scales = bScales(b);
  if (!out) {
    emit(rewriter, root, 'QMatMul', [a.value, b.value, bias], { ...attrs, dtype: 'i32' }, undefined, node.name);
    return true;
  }
  const [m, s] = multipliers(rewriter, a.params.scale[0]!, scales, out.scale, root.outputs[0]!.name);
  emit(rewriter, root, 'QMatMul', [a.value, b.value, bias, m, s], { ...attrs, ...outputAttrs(out) }, out, node.name);
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// QDQ patterns

interface LinearOperands {
  input: Quantized;
  /** Constant weights (Conv: [M, C/group, ...]; Gemm, MatMul: [K, N]) or, for MatMul, a second activation. */
  weights: Weights | Quantized;
  /** The int32 bias, null without one, undefined when it cannot be expressed. */
  bias: Value | null | undefined;
}

/** The integer operands of a Conv / Gemm / MatMul in QDQ form, or undefined when the integer ops cannot express it. */
function linearOperands(node: Node, rewriter: PatternRewriter, base: string): LinearOperands | undefined {
  switch (node.op) {
    case 'Conv':
    case 'FusedConv': {
      if (node.op === 'FusedConv' && node.inputs[3]) return undefined;
      const x = dequantized(node.inputs[0]);
      const w = x && dequantizedWeights(rewriter, node.inputs[1], 0);
      if (!x || !w) return undefined;
      const channels = node.inputs[1]!.type.shape[0] as number;
      return { input: x, weights: w, bias: biasValue(rewriter, node.inputs[2], x.params.scale[0]!, w.scales, channels, base) };
    }
    case 'Gemm':
    case 'FusedGemm': {
      if (getAttr<number>(node, 'alpha') !== 1 || getAttr<number>(node, 'transA') !== 0 || (node.inputs[2] && getAttr<number>(node, 'beta') !== 1)) return undefined;
      const a = dequantized(node.inputs[0]);
      const transB = getAttr<number>(node, 'transB') !== 0;
      let w = a && dequantizedWeights(rewriter, node.inputs[1], transB ? 0 : 1);
      if (!a || !w || w.value.type.shape.length !== 2) return undefined;
      if (transB) w = transposed(rewriter, w, w.value.name);
      const n = w.value.type.shape[1] as number;
      return { input: a, weights: w, bias: biasValue(rewriter, node.inputs[2], a.params.scale[0]!, w.scales, n, base) };
    }
    case 'MatMul': {
      const a = dequantized(node.inputs[0]);
      if (!a) return undefined;
      const bAct = dequantized(node.inputs[1]);
      const b = bAct ?? dequantizedWeights(rewriter, node.inputs[1], 1);
      if (!b || (!bAct && b.value.type.shape.length !== 2)) return undefined;
      return { input: a, weights: b, bias: null };
    }
    default:
      return undefined;
  }
}

/** The float op under a QuantizeLinear root, looking through one single-use Relu / Clip. */
function computeUnder(q: Node, rewriter: PatternRewriter): { node: Node; act?: { name: string; params: number[] } } | undefined {
  const v = q.inputs[0]!;
  const p = v.producer;
  if (!p || !rewriter.hasSingleUse(v, q)) return undefined;
  if (p.op === 'Relu' || p.op === 'Clip') {
    const act = activationOf(p);
    const inner = p.inputs[0]!.producer;
    if (act && inner && rewriter.hasSingleUse(p.inputs[0]!, p) && ['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul', 'Add'].includes(inner.op)) return { node: inner, act };
  }
  return { node: p };
}

function lowerQdqCompute(q: Node, rewriter: PatternRewriter): boolean {
  const base = quantizeOutput(q);
  const found = base && computeUnder(q, rewriter);
  if (!base || !found) return false;
  const { node } = found;
  const own = activationOf(node);
  if (!own) return false;
  let out = withActivation(base, own);
  if (found.act) out = withActivation(out, found.act);
  const name = q.outputs[0]!.name;
  switch (node.op) {
    case 'Conv':
    case 'FusedConv': {
      const ops = linearOperands(node, rewriter, name);
      return !!ops && emitConv(rewriter, q, node, { x: ops.input, w: ops.weights as Weights, bias: ops.bias, out });
    }
    case 'Gemm':
    case 'FusedGemm':
    case 'MatMul': {
      const ops = linearOperands(node, rewriter, name);
      return !!ops && emitMatMul(rewriter, q, node, { a: ops.input, b: ops.weights, bias: ops.bias, out });
    }
    case 'Add': {
      const a = dequantized(node.inputs[0]);
      const b = dequantized(node.inputs[1]);
      if (!a || !b) return false;
      const m = quantizeAddMultipliers(a.params.scale[0]! / out.scale, b.params.scale[0]! / out.scale);
      const attrs: Attributes = { a_multiplier: m.aMultiplier, b_multiplier: m.bMultiplier, shift: m.shift, ...outputAttrs(out) };
      if (a.params.zeroPoint[0] !== 0) attrs['a_zero_point'] = a.params.zeroPoint[0]!;
      if (b.params.zeroPoint[0] !== 0) attrs['b_zero_point'] = b.params.zeroPoint[0]!;
      emit(rewriter, q, 'QAdd', [a.value, b.value], attrs, out, node.name);
      return true;
    }
    case 'GlobalAveragePool': {
      const x = dequantized(node.inputs[0]);
      const spatial = node.inputs[0]!.type.shape.slice(2);
      if (!x || !spatial.every((d) => typeof d === 'number')) return false;
      const count = numel(spatial as number[]);
      const { multiplier, shift } = quantizeMultiplier(x.params.scale[0]! / (out.scale * count));
      const attrs: Attributes = { multiplier, shift, ...outputAttrs(out) };
      if (x.params.zeroPoint[0] !== 0) attrs['x_zero_point'] = x.params.zeroPoint[0]!;
      emit(rewriter, q, 'QGlobalAveragePool', [x.value], attrs, out, node.name);
      return true;
    }
    case 'Concat': {
      const xs = node.inputs.map(dequantized);
      if (xs.some((x) => !x)) return false;
      const ints = xs.map((x, i) => requantizeTo(rewriter, x!, base, `${name}_${i}`));
      emit(rewriter, q, 'Concat', ints, { ...node.attrs }, base, node.name);
      return true;
    }
    case 'DequantizeLinear': {
      const x = dequantized(node.outputs[0]);
      if (!x) return false;
      const v = requantizeTo(rewriter, x, base, name);
      if (v === x.value) {
        if (rewriter.graph.outputs.includes(q.outputs[0]!)) return false;
        rewriter.replace(q, [v]);
      } else {
        replaceKeepingName(rewriter, q, v);
      }
      return true;
    }
    default: {
      if (!opTraits(node.op).selectsElements || node.outputs.length !== 1) return false;
      const x = dequantized(node.inputs[0]);
      if (!x) return false;
      const same = x.params.dtype === base.dtype && sameParams(x.params, { scale: [base.scale], zeroPoint: [base.zeroPoint] });
      if (same) {
        emit(rewriter, q, node.op, [x.value, ...node.inputs.slice(1)], { ...node.attrs }, base, node.name);
        return true;
      }
      const [moved] = rewriter.create(node.op, [x.value, ...node.inputs.slice(1)], { ...node.attrs }, { outputs: [`${name}_moved`] });
      emit(rewriter, q, 'QRequantize', [moved!], requantizeAttrs(x.params, base), base);
      return true;
    }
  }
}

function requantizeAttrs(from: LinearParams, to: Output): Attributes {
  const { multiplier, shift } = quantizeMultiplier(from.scale[0]! / to.scale);
  const attrs: Attributes = { multiplier, shift, ...outputAttrs(to) };
  if (from.zeroPoint[0] !== 0) attrs['x_zero_point'] = from.zeroPoint[0]!;
  return attrs;
}

const qdqPattern: RewritePattern = { name: 'lower-qdq-op', roots: ['QuantizeLinear'], rewrite: lowerQdqCompute };

/** A linear layer's int32 accumulator and the scales (one, or one per output channel along `axis`) that make it real. */
interface Accumulator {
  value: Value;
  inScale: number;
  scales: number[];
  /** Axis of the output channels in the result. */
  axis: number;
}

function integerAccumulator(node: Node, rewriter: PatternRewriter): Accumulator | undefined {
  const name = `${node.outputs[0]!.name}_accumulator`;
  const ops = linearOperands(node, rewriter, name);
  if (!ops || ops.bias === undefined) return undefined;
  const conv = node.op === 'Conv' || node.op === 'FusedConv';
  const [op, attrs] = conv ? ['QConv', integerConvAttrs(node, ops.input, ops.weights as Weights)] : ['QMatMul', integerMatMulAttrs(ops.input, ops.weights)];
  const [value] = rewriter.create(op, [ops.input.value, ops.weights.value, ops.bias], { ...attrs, dtype: 'i32' }, { name: node.name || undefined, outputs: [name] });
  return { value: value!, inScale: ops.input.params.scale[0]!, scales: bScales(ops.weights), axis: conv ? 1 : node.outputs[0]!.type.shape.length - 1 };
}

/**
 * A linear layer on quantized operands whose result stays float (the quantizer does not requantize a graph
 * output computed by a linear layer, e.g. the logits; QDQ models have this form too): the int32 accumulator,
 * dequantized once, so the result keeps the accumulator's precision instead of 256 levels. With per-channel
 * weight scales the dequantization is DequantizeF32 by the input scale, then a Mul by the weight scales.
 */
function lowerFloatResult(node: Node, rewriter: PatternRewriter): boolean {
  const result = node.outputs[0]!;
  if (node.outputs.length !== 1 || result.type.dtype !== 'f32' || activationOf(node)?.name !== 'None') return false;
  const acc = integerAccumulator(node, rewriter);
  if (!acc) return false;
  const perChannel = acc.scales.length > 1;
  const scale = f32(perChannel ? acc.inScale : acc.inScale * acc.scales[0]!);
  let [real] = rewriter.create('DequantizeF32', [acc.value], { scale }, { outputs: [`${result.name}_dequantized`] });
  if (perChannel) {
    const rank = result.type.shape.length;
    const shape = [acc.scales.length, ...new Array<number>(rank - 1 - acc.axis).fill(1)];
    const scales = rewriter.constant(`${result.name}_weight_scale`, makeTensor('f32', shape, acc.scales));
    [real] = rewriter.create('Mul', [real!, scales], {}, { outputs: [`${result.name}_scaled`] });
  }
  replaceKeepingName(rewriter, node, real!);
  return true;
}

const floatResultPattern: RewritePattern = { name: 'lower-qdq-float-result', roots: ['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul'], rewrite: lowerFloatResult };

// ---------------------------------------------------------------------------------------------------------
// QOperator patterns

/** A per-tensor parameter pair of constant operands (scale, zero point). */
function constantPair(node: Node, scaleAt: number, zpAt: number, dtype: DType): LinearParams | undefined {
  const s = node.inputs[scaleAt];
  const z = node.inputs[zpAt];
  if (!s?.data || (z && !z.data)) return undefined;
  const scale = Array.from(s.data.data as ArrayLike<number>, Number);
  const zeroPoint = z ? Array.from(z.data!.data as ArrayLike<number>, Number) : new Array<number>(scale.length).fill(0);
  return { scale, zeroPoint, dtype };
}

function single(p: LinearParams | undefined): p is LinearParams {
  return !!p && p.scale.length === 1 && p.zeroPoint.length === 1;
}

const qlinearConv: RewritePattern = {
  name: 'lower-qlinearconv',
  roots: ['QLinearConv'],
  rewrite(node, rewriter) {
    const [x, , , w] = node.inputs;
    const xp = constantPair(node, 1, 2, x!.type.dtype);
    const wp = constantPair(node, 4, 5, w!.type.dtype);
    const yp = constantPair(node, 6, 7, node.outputs[0]!.type.dtype);
    if (!single(xp) || !wp || !single(yp) || !w!.data) return false;
    const weights = normalizeWeights(rewriter, w!, w!.data, { ...wp, axis: wp.scale.length > 1 || wp.zeroPoint.length > 1 ? 0 : undefined }, 0, w!.name);
    if (!weights) return false;
    if (weights.scales.length === 1 && wp.zeroPoint.length > 1) weights.scales = new Array<number>(wp.zeroPoint.length).fill(wp.scale[0]!);
    const bias = node.inputs[8];
    if (bias && (!bias.data || bias.type.shape.length !== 1)) return false;
    const out: Output = { scale: f32(yp.scale[0]!), zeroPoint: yp.zeroPoint[0]!, dtype: yp.dtype };
    return emitConv(rewriter, node, node, { x: { value: x!, params: xp }, w: weights, bias: bias ?? null, out });
  },
};

const convInteger: RewritePattern = {
  name: 'lower-convinteger',
  roots: ['ConvInteger'],
  rewrite(node, rewriter) {
    const [x, w, xz, wz] = node.inputs;
    if ((xz && !xz.data) || (wz && !wz.data) || (xz && xz.data!.data.length !== 1)) return false;
    const xZero = xz ? Number(xz.data!.data[0]) : 0;
    const wZeros = wz ? Array.from(wz.data!.data as ArrayLike<number>, Number) : [0];
    let weights: Weights | undefined;
    if (w!.data) {
      weights = normalizeWeights(rewriter, w!, w!.data, { scale: wZeros.map(() => 1), zeroPoint: wZeros, axis: wZeros.length > 1 ? 0 : undefined }, 0, w!.name);
    } else if (wZeros.length === 1) {
      weights = { value: w!, zeroPoint: wZeros[0]!, scales: [1] };
    }
    if (!weights) return false;
    return emitConv(rewriter, node, node, { x: { value: x!, params: { scale: [1], zeroPoint: [xZero], dtype: x!.type.dtype } }, w: weights, bias: null });
  },
};

const qlinearMatMul: RewritePattern = {
  name: 'lower-qlinearmatmul',
  roots: ['QLinearMatMul'],
  rewrite(node, rewriter) {
    const [a, , , b] = node.inputs;
    const ap = constantPair(node, 1, 2, a!.type.dtype);
    const bp = constantPair(node, 4, 5, b!.type.dtype);
    const yp = constantPair(node, 6, 7, node.outputs[0]!.type.dtype);
    if (!single(ap) || !bp || !single(yp)) return false;
    let bSide: Weights | Quantized | undefined;
    if (bp.scale.length === 1 && bp.zeroPoint.length === 1) bSide = { value: b!, params: bp };
    else if (b!.data && b!.type.shape.length === 2) bSide = normalizeWeights(rewriter, b!, b!.data, { ...bp, axis: 1 }, 1, b!.name);
    if (!bSide) return false;
    const out: Output = { scale: yp.scale[0]!, zeroPoint: yp.zeroPoint[0]!, dtype: yp.dtype };
    return emitMatMul(rewriter, node, node, { a: { value: a!, params: ap }, b: bSide, bias: null, out });
  },
};

const matMulInteger: RewritePattern = {
  name: 'lower-matmulinteger',
  roots: ['MatMulInteger'],
  rewrite(node, rewriter) {
    const [a, b, az, bz] = node.inputs;
    if ((az && (!az.data || az.data.data.length !== 1)) || (bz && !bz.data)) return false;
    const aZero = az ? Number(az.data!.data[0]) : 0;
    const bZeros = bz ? Array.from(bz.data!.data as ArrayLike<number>, Number) : [0];
    let bSide: Weights | undefined;
    if (bZeros.length === 1) bSide = { value: b!, zeroPoint: bZeros[0]!, scales: [1] };
    else if (b!.data && b!.type.shape.length === 2) bSide = normalizeWeights(rewriter, b!, b!.data, { scale: bZeros.map(() => 1), zeroPoint: bZeros, axis: 1 }, 1, b!.name);
    if (!bSide) return false;
    return emitMatMul(rewriter, node, node, { a: { value: a!, params: { scale: [1], zeroPoint: [aZero], dtype: a!.type.dtype } }, b: bSide, bias: null });
  },
};

// ---------------------------------------------------------------------------------------------------------
// Float boundaries

const quantizeBoundary: RewritePattern = {
  name: 'quantize-f32',
  roots: ['QuantizeLinear'],
  rewrite(node, rewriter) {
    const out = quantizeOutput(node);
    if (!out || node.inputs[1]!.type.dtype !== 'f32') return false;
    const attrs: Attributes = { scale: out.scale };
    if (out.zeroPoint !== 0) attrs['zero_point'] = out.zeroPoint;
    if (out.dtype !== 'i8') attrs['dtype'] = out.dtype;
    emit(rewriter, node, 'QuantizeF32', [node.inputs[0]!], attrs, out, node.name);
    return true;
  },
};

const dequantizeBoundary: RewritePattern = {
  name: 'dequantize-f32',
  roots: ['DequantizeLinear'],
  rewrite(node, rewriter) {
    const x = node.inputs[0]!;
    const p = linearParams(node);
    if (x.data || !p || !isPerTensor(p) || node.outputs[0]!.type.dtype !== 'f32' || node.inputs[1]!.type.dtype !== 'f32') return false;
    if (!['i8', 'u8', 'i32'].includes(p.dtype)) return false;
    const attrs: Attributes = { scale: p.scale[0]! };
    if (p.zeroPoint[0] !== 0) attrs['zero_point'] = p.zeroPoint[0]!;
    emit(rewriter, node, 'DequantizeF32', [x], attrs, undefined, node.name);
    return true;
  },
};

export const lowerQdqPass: Pass = {
  name: 'lower-qdq',
  description: 'lower QDQ pairs and QLinearConv/QLinearMatMul/ConvInteger/MatMulInteger to the int8 ops (QConv, QMatMul, QAdd, ...)',
  run(graph) {
    const ops = applyPatternsGreedily(graph, [qdqPattern, qlinearConv, convInteger, qlinearMatMul, matMulInteger]);
    // Only once every requantized layer is lowered: what is left with float results is truly float-result.
    const floatResults = applyPatternsGreedily(graph, [floatResultPattern]);
    const boundaries = applyPatternsGreedily(graph, [quantizeBoundary, dequantizeBoundary]);
    return ops || floatResults || boundaries;
  },
};
