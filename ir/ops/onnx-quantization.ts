import { registerOp, type AttrSpec, type InferContext } from './registry.js';
import { expectDType, FLOAT_TYPES, operand, optional, schema } from './common.js';
import { broadcastShapes, resolvePads, windowOutputSize } from '../shape.js';
import { formatType, tensorType, UNKNOWN_DIM, type Dim, type TensorType } from '../types.js';
import { isDType, type DType } from '../dtype.js';

/**
 * Quantization ops: QuantizeLinear / DequantizeLinear (per-tensor, per-axis, blocked), DynamicQuantizeLinear,
 * QLinearConv / QLinearMatMul (quantized in, quantized out) and ConvInteger / MatMulInteger (int32 out).
 * The granularity and conv-geometry rules live here so the reference kernels apply exactly the rules that
 * shape inference checked.
 */

/** Integer types QuantizeLinear can produce. ONNX's 2/4-bit and float8/float4 types have no IR dtype. */
export const QUANTIZED_TYPES: readonly DType[] = ['i8', 'u8', 'i16', 'u16'];
/** DequantizeLinear also reads int32 (e.g. a quantized bias). */
const DEQUANTIZABLE_TYPES: readonly DType[] = [...QUANTIZED_TYPES, 'i32'];
/** QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger are defined on 8-bit operands. */
const EIGHT_BIT_TYPES: readonly DType[] = ['i8', 'u8'];

// ---------------------------------------------------------------------------------------------------------
// Quantization granularity (shared with the kernels)

export type Granularity =
  | { kind: 'tensor' }
  | { kind: 'axis'; axis: number }
  | { kind: 'block'; axis: number; blockSize: number };

const isOne = (d: Dim | undefined): boolean => d === 1;

/** Whether the scale (or zero point) shape holds exactly one value whatever the symbols are. */
function isSingleValue(shape: readonly Dim[]): boolean {
  return shape.length === 0 || (shape.length === 1 && isOne(shape[0]));
}

const dimsMayMatch = (a: Dim | undefined, b: Dim | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && (typeof a !== 'number' || typeof b !== 'number'));

/**
 * Classifies a scale shape against the quantized tensor's shape: a scalar (or one-element vector) is per-tensor;
 * a vector along `axis` is per-axis; with block_size > 0 the scale has x's rank and ceil(D / block_size) along
 * `axis`. Returns a message instead of a granularity when the shapes break these rules.
 */
export function quantGranularity(xShape: readonly Dim[], scaleShape: readonly Dim[], axis: number, blockSize: number): Granularity | string {
  if (blockSize < 0) return `block_size must be >= 0, got ${blockSize}`;
  if (isSingleValue(scaleShape)) return { kind: 'tensor' };
  const rank = xShape.length;
  if (axis < -rank || axis >= rank) return `axis ${axis} is out of range for rank ${rank}`;
  const a = axis < 0 ? axis + rank : axis;
  if (blockSize === 0) {
    if (scaleShape.length !== 1) return `a per-axis scale must be 1-D, got rank ${scaleShape.length} (set block_size for blocked quantization)`;
    if (!dimsMayMatch(scaleShape[0], xShape[a])) return `per-axis scale has ${String(scaleShape[0])} values but axis ${a} has size ${String(xShape[a])}`;
    return { kind: 'axis', axis: a };
  }
  if (scaleShape.length !== rank) return `a blocked scale must have the input's rank ${rank}, got rank ${scaleShape.length}`;
  for (let i = 0; i < rank; i++) {
    const x = xShape[i]!;
    const s = scaleShape[i]!;
    if (i === a) {
      if (typeof x === 'number' && typeof s === 'number' && s !== Math.ceil(x / blockSize)) {
        return `blocked scale has ${s} blocks along axis ${a}; ceil(${x} / ${blockSize}) = ${Math.ceil(x / blockSize)} expected`;
      }
    } else if (!dimsMayMatch(x, s)) {
      return `blocked scale dim ${i} is ${String(s)} but the input's is ${String(x)}`;
    }
  }
  return { kind: 'block', axis: a, blockSize };
}

/** Checks scale and zero point of a Quantize/DequantizeLinear node against the quantized operand. */
function checkQuantParams(ctx: InferContext, data: TensorType, scaleIndex: number, zeroPointIndex: number): void {
  const scale = ctx.input(scaleIndex);
  if (!FLOAT_TYPES.includes(scale.dtype)) ctx.fail(`${ctx.node.op} scale must be floating point, got ${formatType(scale)}`);
  const granularity = quantGranularity(data.shape, scale.shape, ctx.attr<number>('axis'), ctx.attr<number>('block_size'));
  if (typeof granularity === 'string') ctx.fail(`${ctx.node.op}: ${granularity}`, 'BAD_SHAPE');
  const zp = ctx.inputs[zeroPointIndex];
  if (!zp) return;
  const same = isSingleValue(scale.shape)
    ? isSingleValue(zp.shape)
    : zp.shape.length === scale.shape.length && zp.shape.every((d, i) => dimsMayMatch(d, scale.shape[i]));
  if (!same) ctx.fail(`${ctx.node.op} zero point ${formatType(zp)} must have the shape of the scale ${formatType(scale)}`, 'BAD_SHAPE');
}

/** An attribute naming an element type: '' means "not given". Names without an IR dtype are unsupported. */
function dtypeAttr(ctx: InferContext, name: string): DType | undefined {
  const value = ctx.attr<string>(name);
  if (value === '') return undefined;
  if (!isDType(value)) ctx.fail(`${ctx.node.op} ${name} '${value}' is not a dtype edgec supports`, 'UNSUPPORTED_DTYPE');
  return value as DType;
}

registerOp(
  schema({
    name: 'QuantizeLinear',
    doc: 'y = saturate(round_half_even(x / y_scale) + y_zero_point); per-tensor, per-axis or blocked scales',
    inputs: [operand('x'), operand('y_scale'), optional('y_zero_point')],
    outputs: [operand('y')],
    attrs: {
      axis: { type: 'int', default: 1 },
      block_size: { type: 'int', default: 0 },
      // Only affects float8 outputs, which edgec does not support; kept so the canonical form is complete.
      saturate: { type: 'int', default: 1 },
      output_dtype: { type: 'string', default: '' },
      precision: { type: 'string', default: '' },
    },
    infer: (ctx) => {
      const x = expectDType(ctx, 0, [...FLOAT_TYPES, 'i32']);
      const zp = ctx.inputs[2];
      const requested = dtypeAttr(ctx, 'output_dtype');
      if (zp && requested && zp.dtype !== requested) {
        ctx.fail(`QuantizeLinear output_dtype '${requested}' differs from the zero point's dtype ${zp.dtype}`);
      }
      const out = zp?.dtype ?? requested ?? 'u8';
      if (!QUANTIZED_TYPES.includes(out)) {
        ctx.fail(`QuantizeLinear to ${out} is not supported (supported: ${QUANTIZED_TYPES.join(', ')})`, 'UNSUPPORTED_DTYPE');
      }
      const precision = dtypeAttr(ctx, 'precision');
      if (precision && !FLOAT_TYPES.includes(precision)) ctx.fail(`QuantizeLinear precision must be a float dtype, got '${precision}'`);
      checkQuantParams(ctx, x, 1, 2);
      return [tensorType(out, x.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'DequantizeLinear',
    doc: 'y = (x - x_zero_point) * x_scale; output dtype = output_dtype, else the scale dtype',
    inputs: [operand('x'), operand('x_scale'), optional('x_zero_point')],
    outputs: [operand('y')],
    attrs: {
      axis: { type: 'int', default: 1 },
      block_size: { type: 'int', default: 0 },
      output_dtype: { type: 'string', default: '' },
    },
    infer: (ctx) => {
      const x = ctx.input(0);
      if (!DEQUANTIZABLE_TYPES.includes(x.dtype)) {
        ctx.fail(`DequantizeLinear of ${formatType(x)} is not supported (supported: ${DEQUANTIZABLE_TYPES.join(', ')})`, 'UNSUPPORTED_DTYPE');
      }
      const zp = ctx.inputs[2];
      if (zp && zp.dtype !== x.dtype) ctx.fail(`DequantizeLinear zero point ${formatType(zp)} must have the dtype of x (${x.dtype})`);
      checkQuantParams(ctx, x, 1, 2);
      const out = dtypeAttr(ctx, 'output_dtype') ?? ctx.input(1).dtype;
      if (!FLOAT_TYPES.includes(out)) ctx.fail(`DequantizeLinear output_dtype must be floating point, got '${out}'`);
      return [tensorType(out, x.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'DynamicQuantizeLinear',
    doc: 'u8 quantization of x with scale and zero point computed from min(x, 0) and max(x, 0)',
    inputs: [operand('x')],
    outputs: [operand('y'), operand('y_scale'), operand('y_zero_point')],
    infer: (ctx) => {
      const x = expectDType(ctx, 0, ['f32']);
      return [tensorType('u8', x.shape), tensorType('f32', []), tensorType('u8', [])];
    },
  }),
);

// ---------------------------------------------------------------------------------------------------------
// Integer convolution (QLinearConv, ConvInteger)

const CONV_ATTRS: Record<string, AttrSpec> = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  dilations: { type: 'ints', default: [] },
  group: { type: 'int', default: 1 },
  kernel_shape: { type: 'ints', default: [] },
  pads: { type: 'ints', default: [] },
  strides: { type: 'ints', default: [] },
};

export interface ConvAttrs {
  autoPad: string;
  dilations: readonly number[];
  group: number;
  kernelShape: readonly number[];
  pads: readonly number[];
  strides: readonly number[];
}

export interface ConvGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] per spatial axis, auto_pad resolved. */
  pads: number[];
  /** [N, M, spatial...]. */
  outShape: Dim[];
}

/**
 * The output shape and resolved window parameters of an N-D convolution of x [N, C, D...] with w [M, C/group, k...].
 * Returns a message when the attributes or shapes are inconsistent. Used by shape inference and by the kernels.
 */
export function convGeometry(x: readonly Dim[], w: readonly Dim[], attrs: ConvAttrs): ConvGeometry | string {
  if (x.length < 3) return `input must have rank >= 3 ([N, C, spatial...]), got rank ${x.length}`;
  if (w.length !== x.length) return `weight rank ${w.length} must equal input rank ${x.length}`;
  const n = x.length - 2;
  const { group } = attrs;
  if (!Number.isInteger(group) || group < 1) return `group must be a positive integer, got ${group}`;
  const wSpatial = w.slice(2);
  let kernel: number[];
  if (attrs.kernelShape.length > 0) {
    if (attrs.kernelShape.length !== n) return `kernel_shape has ${attrs.kernelShape.length} dims for ${n} spatial axes`;
    for (let i = 0; i < n; i++) {
      if (typeof wSpatial[i] === 'number' && wSpatial[i] !== attrs.kernelShape[i]) {
        return `kernel_shape [${attrs.kernelShape.join(',')}] differs from the weight's spatial dims [${wSpatial.join(',')}]`;
      }
    }
    kernel = [...attrs.kernelShape];
  } else {
    if (!wSpatial.every((d): d is number => typeof d === 'number')) {
      return 'the weight needs static spatial dims (or a kernel_shape attribute)';
    }
    kernel = wSpatial as number[];
  }
  const listOr = (v: readonly number[], name: string): number[] | string => {
    if (v.length === 0) return new Array<number>(n).fill(1);
    if (v.length !== n) return `${name} has ${v.length} values for ${n} spatial axes`;
    if (v.some((s) => !Number.isInteger(s) || s < 1)) return `${name} must be positive, got [${v.join(',')}]`;
    return [...v];
  };
  const strides = listOr(attrs.strides, 'strides');
  if (typeof strides === 'string') return strides;
  const dilations = listOr(attrs.dilations, 'dilations');
  if (typeof dilations === 'string') return dilations;
  if (attrs.pads.length !== 0 && attrs.pads.length !== 2 * n) return `pads has ${attrs.pads.length} values; ${2 * n} expected`;
  if (attrs.pads.some((p) => p < 0)) return `pads must be >= 0, got [${attrs.pads.join(',')}]`;
  if (!['NOTSET', '', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(attrs.autoPad)) return `unknown auto_pad '${attrs.autoPad}'`;

  const [batch, channels] = [x[0]!, x[1]!];
  const [outChannels, channelsPerGroup] = [w[0]!, w[1]!];
  if (typeof channels === 'number' && typeof channelsPerGroup === 'number' && channels !== channelsPerGroup * group) {
    return `input has ${channels} channels but weight expects ${channelsPerGroup} x group ${group}`;
  }
  if (typeof outChannels === 'number' && outChannels % group !== 0) return `${outChannels} output channels do not split into ${group} groups`;

  const spatial = x.slice(2);
  const pads = resolvePads(attrs.autoPad, attrs.pads, spatial, kernel, strides, dilations);
  const outSpatial: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const size = windowOutputSize(spatial[i]!, kernel[i]!, strides[i]!, dilations[i]!, pads[i]! + pads[i + n]!);
    if (typeof size === 'number' && size < 1) return `spatial axis ${i} of size ${String(spatial[i])} is smaller than the (dilated) kernel`;
    outSpatial.push(size);
  }
  return { kernel, strides, dilations, pads, outShape: [batch, outChannels, ...outSpatial] };
}

/** The conv attributes of a node, read through an attribute getter that fills in schema defaults. */
export function convAttrsOf(attr: (name: string) => unknown): ConvAttrs {
  return {
    autoPad: attr('auto_pad') as string,
    dilations: attr('dilations') as number[],
    group: attr('group') as number,
    kernelShape: attr('kernel_shape') as number[],
    pads: attr('pads') as number[],
    strides: attr('strides') as number[],
  };
}

function inferConvShape(ctx: InferContext, xIndex: number, wIndex: number): Dim[] {
  const geometry = convGeometry(ctx.input(xIndex).shape, ctx.input(wIndex).shape, convAttrsOf(ctx.attr));
  if (typeof geometry === 'string') ctx.fail(`${ctx.node.op}: ${geometry}`, 'BAD_SHAPE');
  return (geometry as ConvGeometry).outShape;
}

/** Fails unless the operand holds one value (a scalar or a one-element vector). */
function expectSingleValue(ctx: InferContext, index: number, what: string): TensorType {
  const t = ctx.input(index);
  if (!isSingleValue(t.shape)) ctx.fail(`${ctx.node.op} ${what} must be a scalar, got ${formatType(t)}`, 'BAD_SHAPE');
  return t;
}

/** Fails unless the operand is a scalar or a vector of `size` values (per output channel / row / column). */
function expectScalarOrVector(ctx: InferContext, index: number, size: Dim, what: string): TensorType {
  const t = ctx.input(index);
  if (isSingleValue(t.shape)) return t;
  if (t.shape.length !== 1 || !dimsMayMatch(t.shape[0], size)) {
    ctx.fail(`${ctx.node.op} ${what} must be a scalar or hold ${String(size)} values, got ${formatType(t)}`, 'BAD_SHAPE');
  }
  return t;
}

function expectFloatOperand(ctx: InferContext, index: number, what: string): TensorType {
  const t = ctx.input(index);
  if (!FLOAT_TYPES.includes(t.dtype)) ctx.fail(`${ctx.node.op} ${what} must be floating point, got ${formatType(t)}`);
  return t;
}

function expectZeroPointOf(ctx: InferContext, zpIndex: number, dataIndex: number, what: string): void {
  const zp = ctx.inputs[zpIndex];
  const data = ctx.input(dataIndex);
  if (zp && zp.dtype !== data.dtype) ctx.fail(`${ctx.node.op} ${what} ${formatType(zp)} must have the dtype of its data (${data.dtype})`);
}

registerOp(
  schema({
    name: 'QLinearConv',
    doc: 'quantized convolution: int32 accumulation of (x - x_zp) * (w - w_zp) + B, requantized by x_scale * w_scale / y_scale',
    inputs: [
      operand('x'),
      operand('x_scale'),
      operand('x_zero_point'),
      operand('w'),
      operand('w_scale'),
      operand('w_zero_point'),
      operand('y_scale'),
      operand('y_zero_point'),
      optional('B'),
    ],
    outputs: [operand('y')],
    attrs: CONV_ATTRS,
    infer: (ctx) => {
      expectDType(ctx, 0, EIGHT_BIT_TYPES);
      const w = expectDType(ctx, 3, EIGHT_BIT_TYPES);
      const y = expectDType(ctx, 7, EIGHT_BIT_TYPES);
      expectZeroPointOf(ctx, 2, 0, 'x_zero_point');
      expectZeroPointOf(ctx, 5, 3, 'w_zero_point');
      for (const [i, what] of [[1, 'x_scale'], [4, 'w_scale'], [6, 'y_scale']] as const) expectFloatOperand(ctx, i, what);
      const outChannels = w.shape[0] ?? UNKNOWN_DIM;
      expectSingleValue(ctx, 1, 'x_scale');
      expectSingleValue(ctx, 2, 'x_zero_point');
      expectScalarOrVector(ctx, 4, outChannels, 'w_scale (per output channel)');
      expectScalarOrVector(ctx, 5, outChannels, 'w_zero_point (per output channel)');
      expectSingleValue(ctx, 6, 'y_scale');
      expectSingleValue(ctx, 7, 'y_zero_point');
      if (ctx.inputs[8]) {
        expectDType(ctx, 8, ['i32']);
        const b = ctx.input(8);
        if (b.shape.length !== 1 || !dimsMayMatch(b.shape[0], outChannels)) ctx.fail(`QLinearConv bias must be i32[${String(outChannels)}], got ${formatType(b)}`, 'BAD_SHAPE');
      }
      return [tensorType(y.dtype, inferConvShape(ctx, 0, 3))];
    },
  }),
);

registerOp(
  schema({
    name: 'ConvInteger',
    doc: 'integer convolution: int32 sum of (x - x_zero_point) * (w - w_zero_point); w_zero_point may be per output channel',
    inputs: [operand('x'), operand('w'), optional('x_zero_point'), optional('w_zero_point')],
    outputs: [operand('y')],
    attrs: CONV_ATTRS,
    infer: (ctx) => {
      expectDType(ctx, 0, EIGHT_BIT_TYPES);
      const w = expectDType(ctx, 1, EIGHT_BIT_TYPES);
      expectZeroPointOf(ctx, 2, 0, 'x_zero_point');
      expectZeroPointOf(ctx, 3, 1, 'w_zero_point');
      if (ctx.inputs[2]) expectSingleValue(ctx, 2, 'x_zero_point');
      if (ctx.inputs[3]) expectScalarOrVector(ctx, 3, w.shape[0] ?? UNKNOWN_DIM, 'w_zero_point (per output channel)');
      return [tensorType('i32', inferConvShape(ctx, 0, 1))];
    },
  }),
);

// ---------------------------------------------------------------------------------------------------------
// Integer matrix products (QLinearMatMul, MatMulInteger)

/** numpy.matmul's output shape: 1-D operands are promoted to matrices and the promoted dim dropped. */
function matmulShape(ctx: InferContext, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) ctx.fail(`${ctx.node.op} operands must have rank >= 1, got ranks ${a.length} and ${b.length}`, 'BAD_SHAPE');
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    ctx.fail(`${ctx.node.op} inner dims differ: [${a.join(',')}] x [${b.join(',')}]`, 'BAD_SHAPE');
  }
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) ctx.fail(`${ctx.node.op} batch dims do not broadcast: [${a.join(',')}] x [${b.join(',')}]`, 'BAD_SHAPE');
  const out = [...batch!];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

/**
 * numpy.matmul's layout of QLinearMatMul / MatMulInteger operands, as every target's kernel walks it: 1-D operands
 * promoted to matrices ([K] -> [1, K] for A, [K, 1] for B), the batch dims broadcast, and the result shape numpy
 * gives (promoted dims dropped). A reason string when the shapes do not multiply.
 */
export interface MatmulLayout {
  /** Operand shapes promoted to rank >= 2. */
  a: number[];
  b: number[];
  /** Broadcast batch dims. */
  batch: number[];
  m: number;
  k: number;
  n: number;
  outShape: number[];
}

export function matmulLayout(aShape: readonly number[], bShape: readonly number[]): MatmulLayout | string {
  const a = aShape.length === 1 ? [1, aShape[0]!] : [...aShape];
  const b = bShape.length === 1 ? [bShape[0]!, 1] : [...bShape];
  const [m, k, n] = [a[a.length - 2]!, a[a.length - 1]!, b[b.length - 1]!];
  if (b[b.length - 2] !== k) return `inner dims differ: [${aShape.join(',')}] x [${bShape.join(',')}]`;
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]) as number[] | undefined;
  if (!batch) return 'batch dims do not broadcast';
  const outShape = [...batch];
  if (aShape.length > 1) outShape.push(m);
  if (bShape.length > 1) outShape.push(n);
  return { a, b, batch, m, k, n, outShape };
}

/**
 * A per-row (side 'row', for A) or per-column (side 'column', for B) parameter: a scalar, a vector over the rows
 * (columns), or an N-D tensor [..., M, 1] ([..., 1, N]) that broadcasts over the batch dims.
 */
export function matmulParamShape(param: readonly Dim[], matrix: readonly Dim[], side: 'row' | 'column'): readonly Dim[] | string {
  if (isSingleValue(param)) return [];
  if (matrix.length < 2) return `a per-${side} parameter needs a matrix operand, got rank ${matrix.length}`;
  const size = side === 'row' ? matrix[matrix.length - 2]! : matrix[matrix.length - 1]!;
  if (param.length === 1) {
    if (!dimsMayMatch(param[0], size)) return `per-${side} parameter has ${String(param[0])} values for ${String(size)} ${side}s`;
    return side === 'row' ? [param[0]!, 1] : [1, param[0]!];
  }
  const [inner, outer] = side === 'row' ? [param[param.length - 1], param[param.length - 2]] : [param[param.length - 2], param[param.length - 1]];
  if (!isOne(inner) || !dimsMayMatch(outer, size)) return `per-${side} parameter of shape [${param.join(',')}] does not fit [${matrix.join(',')}]`;
  if (!broadcastShapes([param.slice(0, -2), matrix.slice(0, -2)])) return `parameter batch dims [${param.join(',')}] do not broadcast with [${matrix.join(',')}]`;
  return param;
}

function expectMatmulParam(ctx: InferContext, index: number, matrixIndex: number, side: 'row' | 'column', what: string): void {
  const t = ctx.inputs[index];
  if (!t) return;
  const shape = matmulParamShape(t.shape, ctx.input(matrixIndex).shape, side);
  if (typeof shape === 'string') ctx.fail(`${ctx.node.op} ${what}: ${shape}`, 'BAD_SHAPE');
}

registerOp(
  schema({
    name: 'QLinearMatMul',
    doc: 'quantized numpy.matmul: int32 accumulation of (a - a_zp) * (b - b_zp), requantized by a_scale * b_scale / y_scale',
    inputs: [
      operand('a'),
      operand('a_scale'),
      operand('a_zero_point'),
      operand('b'),
      operand('b_scale'),
      operand('b_zero_point'),
      operand('y_scale'),
      operand('y_zero_point'),
    ],
    outputs: [operand('y')],
    infer: (ctx) => {
      const a = expectDType(ctx, 0, EIGHT_BIT_TYPES);
      const b = expectDType(ctx, 3, EIGHT_BIT_TYPES);
      const y = expectDType(ctx, 7, EIGHT_BIT_TYPES);
      expectZeroPointOf(ctx, 2, 0, 'a_zero_point');
      expectZeroPointOf(ctx, 5, 3, 'b_zero_point');
      for (const [i, what] of [[1, 'a_scale'], [4, 'b_scale'], [6, 'y_scale']] as const) expectFloatOperand(ctx, i, what);
      const scaleType = ctx.input(1).dtype;
      if (ctx.input(4).dtype !== scaleType || ctx.input(6).dtype !== scaleType) {
        ctx.fail(`QLinearMatMul scales must share one dtype, got ${ctx.input(1).dtype}, ${ctx.input(4).dtype}, ${ctx.input(6).dtype}`);
      }
      expectMatmulParam(ctx, 1, 0, 'row', 'a_scale');
      expectMatmulParam(ctx, 2, 0, 'row', 'a_zero_point');
      expectMatmulParam(ctx, 4, 3, 'column', 'b_scale');
      expectMatmulParam(ctx, 5, 3, 'column', 'b_zero_point');
      expectSingleValue(ctx, 6, 'y_scale');
      expectSingleValue(ctx, 7, 'y_zero_point');
      return [tensorType(y.dtype, matmulShape(ctx, a.shape, b.shape))];
    },
  }),
);

registerOp(
  schema({
    name: 'MatMulInteger',
    doc: 'integer numpy.matmul with int32 result of (A - a_zero_point) * (B - b_zero_point); per-row / per-column zero points',
    inputs: [operand('A'), operand('B'), optional('a_zero_point'), optional('b_zero_point')],
    infer: (ctx) => {
      const a = expectDType(ctx, 0, EIGHT_BIT_TYPES);
      const b = expectDType(ctx, 1, EIGHT_BIT_TYPES);
      expectZeroPointOf(ctx, 2, 0, 'a_zero_point');
      expectZeroPointOf(ctx, 3, 1, 'b_zero_point');
      expectMatmulParam(ctx, 2, 0, 'row', 'a_zero_point');
      expectMatmulParam(ctx, 3, 1, 'column', 'b_zero_point');
      return [tensorType('i32', matmulShape(ctx, a.shape, b.shape))];
    },
  }),
);
