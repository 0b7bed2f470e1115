import { registerOp, type AttrSpec, type InferContext } from './registry.js';
import { constantInts, expectDType, expectSameDType, FLOAT_TYPES, operand, optional, schema } from './common.js';
import { EdgecError } from '../errors.js';
import type { AttrValue } from '../graph.js';
import { broadcastShapes, normalizeAxis, resolvePads } from '../shape.js';
import { formatType, tensorType, UNKNOWN_DIM, type Dim, type TensorType } from '../types.js';
import type { DType } from '../dtype.js';

/**
 * Neural-network ops: convolutions, GEMM/MatMul, pooling, normalizations, softmax and Resize, in the form of the
 * newest ONNX opset. The window geometry (pads, strides, output sizes) and Resize's output-size rules are
 * exported because the reference kernels must compute exactly the same shapes.
 */

/** Anything that can read attributes with schema defaults (the inference and the kernel contexts both can). */
export interface AttrReader {
  attr<T extends AttrValue>(name: string): T;
}

// ---------------------------------------------------------------------------------------------------------
// Sliding-window geometry shared by Conv, ConvTranspose and the pools.

export interface WindowGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] per spatial axis, auto_pad resolved. */
  pads: number[];
}

const windowAttrs: Record<string, AttrSpec> = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  dilations: { type: 'ints', default: [] },
  kernel_shape: { type: 'ints', default: [] },
  pads: { type: 'ints', default: [] },
  strides: { type: 'ints', default: [] },
};

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** An ints attribute of one entry per spatial axis, or `fill` everywhere when it is absent (empty). */
function perAxis(values: readonly number[], n: number, fill: number, what: string, fail: (m: string) => never, min = 1): number[] {
  if (values.length === 0) return new Array<number>(n).fill(fill);
  if (values.length !== n) fail(`${what} has ${values.length} entries for ${n} spatial axes`);
  if (values.some((v) => v < min)) fail(`${what} [${values.join(',')}] must all be >= ${min}`);
  return [...values];
}

/**
 * Kernel, strides, dilations and explicit pads of a Conv/pool node for the given input spatial dims. The kernel
 * comes from `kernel` (Conv's W) when given, else from the kernel_shape attribute.
 */
export function windowGeometry(a: AttrReader, inputSpatial: readonly Dim[], fail: (m: string) => never, kernel?: readonly Dim[]): WindowGeometry {
  const n = inputSpatial.length;
  const autoPad = a.attr<string>('auto_pad');
  if (!AUTO_PADS.includes(autoPad)) fail(`auto_pad '${autoPad}' is not one of ${AUTO_PADS.join(', ')}`);
  const kernelAttr = a.attr<number[]>('kernel_shape');
  let k: number[];
  if (kernel) {
    if (kernel.some((d) => typeof d !== 'number')) fail('the kernel shape (W spatial dims) must be static');
    k = kernel as number[];
    if (kernelAttr.length > 0 && kernelAttr.join() !== k.join()) fail(`kernel_shape [${kernelAttr.join(',')}] does not match W's spatial dims [${k.join(',')}]`);
  } else {
    if (kernelAttr.length === 0) fail('kernel_shape is required');
    k = perAxis(kernelAttr, n, 1, 'kernel_shape', fail);
  }
  const strides = perAxis(a.attr<number[]>('strides'), n, 1, 'strides', fail);
  const dilations = perAxis(a.attr<number[]>('dilations'), n, 1, 'dilations', fail);
  const padsAttr = a.attr<number[]>('pads');
  if (padsAttr.length !== 0 && padsAttr.length !== 2 * n) fail(`pads has ${padsAttr.length} entries; expected ${2 * n} (begin and end per spatial axis)`);
  if (padsAttr.some((p) => p < 0)) fail(`pads [${padsAttr.join(',')}] must not be negative`);
  const pads = resolvePads(autoPad, padsAttr, inputSpatial, k, strides, dilations);
  return { kernel: k, strides, dilations, pads };
}

/**
 * Output size along one axis. With ceil_mode the last window must still start inside the input or the
 * begin padding (the ONNX reference and PyTorch rule), so a window lying wholly in the end padding is dropped.
 */
export function windowOutputDim(input: Dim, g: WindowGeometry, axis: number, ceilMode: boolean, fail: (m: string) => never): Dim {
  if (typeof input !== 'number') return UNKNOWN_DIM;
  const n = g.kernel.length;
  const begin = g.pads[axis]!;
  const end = g.pads[axis + n]!;
  const stride = g.strides[axis]!;
  const effective = g.dilations[axis]! * (g.kernel[axis]! - 1) + 1;
  const span = input + begin + end - effective;
  if (span < 0) fail(`window of extent ${effective} does not fit spatial axis ${axis} of size ${input} (padded ${input + begin + end})`);
  let size = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (size - 1) * stride >= input + begin) size--;
  return size;
}

function spatialOf(t: TensorType): Dim[] {
  return t.shape.slice(2);
}

function failWith(ctx: InferContext, code: 'BAD_SHAPE' | 'TYPE_MISMATCH' | 'UNSUPPORTED_FEATURE' = 'BAD_SHAPE'): (m: string) => never {
  return (m) => ctx.fail(`${ctx.node.op}: ${m}`, code);
}

const known = (d: Dim | undefined): d is number => typeof d === 'number';

function expectImageLike(ctx: InferContext, index: number, what: string): TensorType {
  const t = ctx.input(index);
  if (t.shape.length < 3) ctx.fail(`${ctx.node.op} ${what} must have rank >= 3 (N, C, spatial...), got ${formatType(t)}`, 'BAD_SHAPE');
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// Conv and ConvTranspose

registerOp(
  schema({
    name: 'Conv',
    doc: 'N-d convolution (cross-correlation) of X [N,C,...] with W [M,C/group,k...], plus optional bias B [M]',
    inputs: [operand('X'), operand('W'), optional('B')],
    attrs: { ...windowAttrs, group: { type: 'int', default: 1 } },
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      expectDType(ctx, 0, FLOAT_TYPES);
      const x = expectImageLike(ctx, 0, 'input X');
      const w = ctx.input(1);
      const fail = failWith(ctx);
      if (w.shape.length !== x.shape.length) fail(`W ${formatType(w)} must have the rank of X ${formatType(x)}`);
      const group = ctx.attr<number>('group');
      if (group < 1) fail(`group ${group} must be >= 1`);
      const [c, m, wc] = [x.shape[1], w.shape[0], w.shape[1]];
      if (known(c) && known(wc) && c !== wc * group) {
        fail(`X has ${c} channels but W ${formatType(w)} with group ${group} expects ${wc * group}`);
      }
      if (known(m) && m % group !== 0) fail(`W's ${m} output channels are not divisible by group ${group}`);
      const b = ctx.inputs[2];
      if (b && (b.shape.length !== 1 || (known(b.shape[0]) && known(m) && b.shape[0] !== m))) {
        fail(`bias B ${formatType(b)} must be 1-D of length M = ${String(m)}`);
      }
      const g = windowGeometry(ctx, spatialOf(x), fail, w.shape.slice(2));
      const spatial = spatialOf(x).map((d, i) => windowOutputDim(d, g, i, false, fail));
      return [tensorType(dtype, [x.shape[0]!, m!, ...spatial])];
    },
  }),
);

/** ConvTranspose's output spatial dims and the pads actually used (output_shape and auto_pad resolved). */
export function convTransposeGeometry(
  a: AttrReader,
  inputSpatial: readonly Dim[],
  kernel: readonly Dim[],
  fail: (m: string) => never,
): WindowGeometry & { outputPadding: number[]; output: Dim[] } {
  const n = inputSpatial.length;
  const g = windowGeometry(a, inputSpatial.map(() => UNKNOWN_DIM), fail, kernel);
  const outputPadding = perAxis(a.attr<number[]>('output_padding'), n, 0, 'output_padding', fail, 0);
  outputPadding.forEach((p, i) => {
    if (p >= Math.max(g.strides[i]!, g.dilations[i]!)) fail(`output_padding ${p} must be smaller than the stride or dilation of axis ${i}`);
  });
  let outputShape = a.attr<number[]>('output_shape');
  // Older exporters gave the full [N, C, ...] shape; the spatial part is what matters.
  if (outputShape.length === n + 2) outputShape = outputShape.slice(2);
  if (outputShape.length !== 0 && outputShape.length !== n) fail(`output_shape has ${outputShape.length} entries for ${n} spatial axes`);
  const autoPad = a.attr<string>('auto_pad');
  const effective = (i: number) => g.dilations[i]! * (g.kernel[i]! - 1) + 1;
  const output: Dim[] = [];
  const pads = [...g.pads];
  for (let i = 0; i < n; i++) {
    const input = inputSpatial[i]!;
    let target: number | undefined;
    if (outputShape.length > 0) target = outputShape[i]!;
    else if ((autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') && known(input)) target = input * g.strides[i]!;
    if (target !== undefined && known(input)) {
      const total = g.strides[i]! * (input - 1) + outputPadding[i]! + effective(i) - target;
      const half = Math.floor(total / 2);
      // SAME_UPPER puts the odd pad at the end (cropping less at the start); otherwise at the start.
      pads[i] = autoPad === 'SAME_UPPER' ? half : total - half;
      pads[i + n] = autoPad === 'SAME_UPPER' ? total - half : half;
      output.push(target);
    } else if (target !== undefined) {
      output.push(target);
    } else if (known(input)) {
      const size = g.strides[i]! * (input - 1) + outputPadding[i]! + effective(i) - pads[i]! - pads[i + n]!;
      if (size < 1) fail(`output size ${size} along spatial axis ${i} is not positive`);
      output.push(size);
    } else {
      output.push(UNKNOWN_DIM);
    }
  }
  return { ...g, pads, outputPadding, output };
}

registerOp(
  schema({
    name: 'ConvTranspose',
    doc: 'N-d transposed convolution of X [N,C,...] with W [C,M/group,k...], plus optional bias B [M]',
    inputs: [operand('X'), operand('W'), optional('B')],
    attrs: {
      ...windowAttrs,
      group: { type: 'int', default: 1 },
      output_padding: { type: 'ints', default: [] },
      output_shape: { type: 'ints', default: [] },
    },
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      expectDType(ctx, 0, FLOAT_TYPES);
      const x = expectImageLike(ctx, 0, 'input X');
      const w = ctx.input(1);
      const fail = failWith(ctx);
      if (w.shape.length !== x.shape.length) fail(`W ${formatType(w)} must have the rank of X ${formatType(x)}`);
      const group = ctx.attr<number>('group');
      if (group < 1) fail(`group ${group} must be >= 1`);
      const [c, wc, wm] = [x.shape[1], w.shape[0], w.shape[1]];
      if (known(c) && known(wc) && c !== wc) fail(`X has ${c} channels but W ${formatType(w)} expects ${wc}`);
      if (known(c) && c % group !== 0) fail(`X's ${c} channels are not divisible by group ${group}`);
      const m: Dim = known(wm) ? wm * group : UNKNOWN_DIM;
      const b = ctx.inputs[2];
      if (b && (b.shape.length !== 1 || (known(b.shape[0]) && known(m) && b.shape[0] !== m))) {
        fail(`bias B ${formatType(b)} must be 1-D of length M = ${String(m)}`);
      }
      const geometry = convTransposeGeometry(ctx, spatialOf(x), w.shape.slice(2), fail);
      return [tensorType(dtype, [x.shape[0]!, m, ...geometry.output])];
    },
  }),
);

// ---------------------------------------------------------------------------------------------------------
// Gemm and MatMul

const MATMUL_TYPES: readonly DType[] = [...FLOAT_TYPES, 'i32', 'i64', 'u32', 'u64'];

registerOp(
  schema({
    name: 'Gemm',
    doc: "Y = alpha * A' B' + beta * C, A' = transA ? A^T : A (2-D), C broadcast to [M,N]",
    inputs: [operand('A'), operand('B'), optional('C')],
    attrs: {
      alpha: { type: 'float', default: 1 },
      beta: { type: 'float', default: 1 },
      transA: { type: 'int', default: 0 },
      transB: { type: 'int', default: 0 },
    },
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      expectDType(ctx, 0, MATMUL_TYPES);
      const [a, b] = [ctx.input(0), ctx.input(1)];
      if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail(`Gemm needs 2-D A and B, got ${formatType(a)} and ${formatType(b)}`, 'BAD_SHAPE');
      const [m, ka] = ctx.attr<number>('transA') ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
      const [kb, n] = ctx.attr<number>('transB') ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
      if (known(ka) && known(kb) && ka !== kb) ctx.fail(`Gemm inner dims differ: A' is [${m},${ka}], B' is [${kb},${n}]`, 'BAD_SHAPE');
      const c = ctx.inputs[2];
      if (c) {
        const out = broadcastShapes([[m, n], c.shape]);
        const target = (i: number) => [m, n][i + 2 - c.shape.length];
        if (c.shape.length > 2 || !out || c.shape.some((d, i) => known(d) && d !== 1 && known(target(i)) && d !== target(i))) {
          ctx.fail(`Gemm C ${formatType(c)} does not broadcast to [${m},${n}]`, 'BAD_SHAPE');
        }
      }
      return [tensorType(dtype, [m, n])];
    },
  }),
);

/** MatMul's output shape under numpy rules (1-D operands promoted then squeezed, batch dims broadcast). */
export function matmulShape(a: readonly Dim[], b: readonly Dim[], fail: (m: string) => never): Dim[] {
  if (a.length === 0 || b.length === 0) fail('MatMul operands must have rank >= 1');
  const a2 = a.length === 1 ? [1, a[0]!] : [...a];
  const b2 = b.length === 1 ? [b[0]!, 1] : [...b];
  const ka = a2[a2.length - 1]!;
  const kb = b2[b2.length - 2]!;
  if (known(ka) && known(kb) && ka !== kb) fail(`MatMul inner dims differ: [${a.join(',')}] x [${b.join(',')}]`);
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) fail(`MatMul batch dims do not broadcast: [${a.join(',')}] x [${b.join(',')}]`);
  const out = [...batch!];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

registerOp(
  schema({
    name: 'MatMul',
    doc: 'matrix product with numpy semantics (1-D operands, broadcast batch dims)',
    inputs: [operand('A'), operand('B')],
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      expectDType(ctx, 0, MATMUL_TYPES);
      return [tensorType(dtype, matmulShape(ctx.input(0).shape, ctx.input(1).shape, failWith(ctx)))];
    },
  }),
);

// ---------------------------------------------------------------------------------------------------------
// Pooling

const POOL_TYPES: readonly DType[] = FLOAT_TYPES;
const MAXPOOL_TYPES: readonly DType[] = [...FLOAT_TYPES, 'i8', 'u8'];

function poolInfer(ctx: InferContext, allowed: readonly DType[]): [TensorType, Dim[]] {
  const x = expectDType(ctx, 0, allowed);
  expectImageLike(ctx, 0, 'input X');
  const fail = failWith(ctx);
  const g = windowGeometry(ctx, spatialOf(x), fail);
  const ceil = ctx.attr<number>('ceil_mode') !== 0;
  const spatial = spatialOf(x).map((d, i) => windowOutputDim(d, g, i, ceil, fail));
  return [x, [x.shape[0]!, x.shape[1]!, ...spatial]];
}

registerOp(
  schema({
    name: 'MaxPool',
    doc: 'max over sliding windows; optional Indices (i64, flat into X, storage_order 1 = column-major)',
    traits: { selectsElements: true },
    inputs: [operand('X')],
    outputs: [operand('Y'), optional('Indices')],
    attrs: { ...windowAttrs, ceil_mode: { type: 'int', default: 0 }, storage_order: { type: 'int', default: 0 } },
    infer: (ctx) => {
      const [x, shape] = poolInfer(ctx, MAXPOOL_TYPES);
      return [tensorType(x.dtype, shape), tensorType('i64', shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'AveragePool',
    doc: 'mean over sliding windows; count_include_pad decides whether padding counts in the divisor',
    inputs: [operand('X')],
    attrs: { ...windowAttrs, ceil_mode: { type: 'int', default: 0 }, count_include_pad: { type: 'int', default: 0 } },
    infer: (ctx) => {
      const [x, shape] = poolInfer(ctx, POOL_TYPES);
      return [tensorType(x.dtype, shape)];
    },
  }),
);

for (const [name, what] of [
  ['GlobalAveragePool', 'mean'],
  ['GlobalMaxPool', 'max'],
] as const) {
  registerOp(
    schema({
      name,
      doc: `${what} over all spatial dims: [N,C,...] -> [N,C,1,...]`,
      inputs: [operand('X')],
      infer: (ctx) => {
        const x = expectDType(ctx, 0, POOL_TYPES);
        expectImageLike(ctx, 0, 'input X');
        return [tensorType(x.dtype, [x.shape[0]!, x.shape[1]!, ...spatialOf(x).map(() => 1)])];
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Normalizations

function expectChannelVector(ctx: InferContext, index: number, channels: Dim, what: string): void {
  const t = ctx.input(index);
  if (t.shape.length !== 1 || (known(t.shape[0]) && known(channels) && t.shape[0] !== channels)) {
    ctx.fail(`${ctx.node.op} ${what} ${formatType(t)} must be 1-D of length C = ${String(channels)}`, 'BAD_SHAPE');
  }
}

registerOp(
  schema({
    name: 'BatchNormalization',
    doc: 'inference-mode batch norm: y = (x - mean) / sqrt(var + epsilon) * scale + B over channel axis 1',
    inputs: [operand('X'), operand('scale'), operand('B'), operand('input_mean'), operand('input_var')],
    outputs: [operand('Y'), optional('running_mean'), optional('running_var')],
    attrs: {
      epsilon: { type: 'float', default: 1e-5 },
      momentum: { type: 'float', default: 0.9 },
      training_mode: { type: 'int', default: 0 },
    },
    infer: (ctx) => {
      if (ctx.attr<number>('training_mode') !== 0) {
        ctx.fail('BatchNormalization with training_mode = 1 is not supported (edgec compiles inference graphs)', 'UNSUPPORTED_FEATURE');
      }
      if (ctx.node.outputs.length > 1) {
        ctx.fail('BatchNormalization running_mean/running_var outputs exist only in training mode, which is not supported', 'UNSUPPORTED_FEATURE');
      }
      const x = expectDType(ctx, 0, FLOAT_TYPES);
      if (x.shape.length < 2) ctx.fail(`BatchNormalization input X must have rank >= 2, got ${formatType(x)}`, 'BAD_SHAPE');
      // Scale/bias may be a different float type than X (ONNX's T1/T2), so only their shape is checked.
      for (const [i, what] of [[1, 'scale'], [2, 'B'], [3, 'input_mean'], [4, 'input_var']] as const) {
        expectDType(ctx, i, FLOAT_TYPES);
        expectChannelVector(ctx, i, x.shape[1]!, what);
      }
      return [tensorType(x.dtype, x.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'InstanceNormalization',
    doc: 'y = scale * (x - mean) / sqrt(var + epsilon) + B, statistics per (n, c) over the spatial dims',
    inputs: [operand('input'), operand('scale'), operand('B')],
    attrs: { epsilon: { type: 'float', default: 1e-5 } },
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      const x = expectDType(ctx, 0, FLOAT_TYPES);
      expectImageLike(ctx, 0, 'input');
      expectChannelVector(ctx, 1, x.shape[1]!, 'scale');
      expectChannelVector(ctx, 2, x.shape[1]!, 'B');
      return [tensorType(dtype, x.shape)];
    },
  }),
);

/**
 * LRN's channel window around channel c: [c - before, c + after] clipped to [0, C), before = floor((size-1)/2)
 * and after = ceil((size-1)/2), so an even size reaches one channel further up than down (ONNX).
 */
export function lrnWindow(size: number): { before: number; after: number } {
  return { before: Math.floor((size - 1) / 2), after: Math.ceil((size - 1) / 2) };
}

registerOp(
  schema({
    name: 'LRN',
    doc: 'local response normalization across channels: y = x / (bias + alpha/size * sum of x^2 over the channel window)^beta',
    inputs: [operand('X')],
    attrs: {
      alpha: { type: 'float', default: 1e-4 },
      beta: { type: 'float', default: 0.75 },
      bias: { type: 'float', default: 1 },
      size: { type: 'int', required: true },
    },
    infer: (ctx) => {
      const x = expectDType(ctx, 0, FLOAT_TYPES);
      expectImageLike(ctx, 0, 'input X');
      const size = ctx.attr<number>('size');
      if (size < 1) ctx.fail(`LRN size ${size} must be >= 1`, 'BAD_SHAPE');
      return [tensorType(x.dtype, x.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'LayerNormalization',
    doc: 'normalize over dims [axis, rank): y = (x - mean) * invstddev * Scale + B; optional Mean and InvStdDev outputs',
    inputs: [operand('X'), operand('Scale'), optional('B')],
    outputs: [operand('Y'), optional('Mean'), optional('InvStdDev')],
    attrs: {
      axis: { type: 'int', default: -1 },
      epsilon: { type: 'float', default: 1e-5 },
      // Names an element type, so it holds an IR dtype name (ONNX's enum 1 = 'f32').
      stash_type: { type: 'string', default: 'f32' },
    },
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      const x = expectDType(ctx, 0, FLOAT_TYPES);
      const stash = ctx.attr<string>('stash_type');
      if (!FLOAT_TYPES.includes(stash as DType)) ctx.fail(`LayerNormalization stash_type '${stash}' must be a float type`, 'TYPE_MISMATCH');
      const rank = x.shape.length;
      if (rank < 1) ctx.fail('LayerNormalization input X must have rank >= 1', 'BAD_SHAPE');
      const axis = normalizeOrFail(ctx, ctx.attr<number>('axis'), rank);
      const normalized = x.shape.slice(axis);
      for (const [i, what] of [[1, 'Scale'], [2, 'B']] as const) {
        const t = ctx.inputs[i];
        if (!t) continue;
        const out = broadcastShapes([normalized, t.shape]);
        if (!out || out.length !== normalized.length || out.some((d, j) => known(d) && known(normalized[j]) && d !== normalized[j])) {
          ctx.fail(`LayerNormalization ${what} ${formatType(t)} does not broadcast to the normalized dims [${normalized.join(',')}]`, 'BAD_SHAPE');
        }
      }
      const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
      const statType: DType = dtype === 'f64' ? 'f64' : (stash as DType);
      return [tensorType(dtype, x.shape), tensorType(statType, statShape), tensorType(statType, statShape)];
    },
  }),
);

function normalizeOrFail(ctx: InferContext, axis: number, rank: number): number {
  try {
    return normalizeAxis(axis, rank);
  } catch (e) {
    if (e instanceof EdgecError) ctx.fail(`${ctx.node.op}: ${e.message}`, 'BAD_SHAPE');
    throw e;
  }
}

for (const [name, doc] of [
  ['Softmax', 'y = exp(x) / sum(exp(x)) along axis (opset 13: one axis, not flattened)'],
  ['LogSoftmax', 'y = x - log(sum(exp(x))) along axis (opset 13: one axis, not flattened)'],
] as const) {
  registerOp(
    schema({
      name,
      doc,
      inputs: [operand('input')],
      outputs: [operand('output')],
      attrs: { axis: { type: 'int', default: -1 } },
      infer: (ctx) => {
        const x = expectDType(ctx, 0, FLOAT_TYPES);
        if (x.shape.length > 0) normalizeOrFail(ctx, ctx.attr<number>('axis'), x.shape.length);
        return [tensorType(x.dtype, x.shape)];
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Resize

export const RESIZE_MODES = ['nearest', 'linear', 'cubic'];
export const RESIZE_COORDINATE_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'];
export const RESIZE_NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
const ASPECT_POLICIES = ['stretch', 'not_larger', 'not_smaller'];

/** The resized axes (attribute `axes`, default all), normalized and checked for duplicates. */
export function resizeAxes(a: AttrReader, rank: number, fail: (m: string) => never): number[] {
  const given = a.attr<number[]>('axes');
  if (given.length === 0) return Array.from({ length: rank }, (_, i) => i);
  const axes = given.map((ax) => {
    if (ax < -rank || ax >= rank) fail(`axis ${ax} is out of range for rank ${rank}`);
    return ax < 0 ? ax + rank : ax;
  });
  if (new Set(axes).size !== axes.length) fail(`axes [${given.join(',')}] repeat an axis`);
  return axes;
}

/**
 * Per resized axis: the output size and the scale used to map coordinates. From `sizes` (with
 * keep_aspect_ratio_policy, rounding half up) or from `scales` (output = floor(input * scale)).
 */
export function resizeTargets(
  a: AttrReader,
  inputDims: readonly Dim[],
  scales: readonly number[] | undefined,
  sizes: readonly number[] | undefined,
  fail: (m: string) => never,
): { outSizes: Dim[]; scales: number[] } {
  const k = inputDims.length;
  if (sizes) {
    if (sizes.length !== k) fail(`sizes has ${sizes.length} entries for ${k} resized axes`);
    if (sizes.some((s) => s < 0)) fail(`sizes [${sizes.join(',')}] must not be negative`);
    const policy = a.attr<string>('keep_aspect_ratio_policy');
    if (!ASPECT_POLICIES.includes(policy)) fail(`keep_aspect_ratio_policy '${policy}' is not one of ${ASPECT_POLICIES.join(', ')}`);
    if (policy === 'stretch') {
      return { outSizes: [...sizes], scales: sizes.map((s, i) => (known(inputDims[i]) ? s / (inputDims[i] as number) : NaN)) };
    }
    if (!inputDims.every(known)) return { outSizes: inputDims.map(() => UNKNOWN_DIM), scales: inputDims.map(() => NaN) };
    const ratios = sizes.map((s, i) => s / (inputDims[i] as number));
    const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    return { outSizes: inputDims.map((d) => Math.floor(scale * (d as number) + 0.5)), scales: inputDims.map(() => scale) };
  }
  if (!scales) fail('one of scales and sizes must be given');
  if (scales!.length !== k) fail(`scales has ${scales!.length} entries for ${k} resized axes`);
  if (scales!.some((s) => !(s > 0))) fail(`scales [${scales!.join(',')}] must be positive`);
  // floor(input * scale), as the ONNX reference and ONNX Runtime compute it (the roi extent does not enter).
  const outSizes = inputDims.map((d, i) => (known(d) ? Math.floor(d * scales![i]!) : UNKNOWN_DIM));
  return { outSizes, scales: [...scales!] };
}

function presentOperand(ctx: InferContext, index: number): TensorType | null {
  const t = ctx.inputs[index];
  // Exporters of older opsets pass an empty tensor for an unused operand.
  if (!t || (t.shape.length === 1 && t.shape[0] === 0)) return null;
  return t;
}

registerOp(
  schema({
    name: 'Resize',
    doc: 'resize X by scales or to sizes (over attribute axes) with nearest, linear or cubic interpolation',
    inputs: [operand('X'), optional('roi'), optional('scales'), optional('sizes')],
    shapeOperands: [1, 2, 3],
    attrs: {
      antialias: { type: 'int', default: 0 },
      axes: { type: 'ints', default: [] },
      coordinate_transformation_mode: { type: 'string', default: 'half_pixel' },
      cubic_coeff_a: { type: 'float', default: -0.75 },
      exclude_outside: { type: 'int', default: 0 },
      extrapolation_value: { type: 'float', default: 0 },
      keep_aspect_ratio_policy: { type: 'string', default: 'stretch' },
      mode: { type: 'string', default: 'nearest' },
      nearest_mode: { type: 'string', default: 'round_prefer_floor' },
    },
    infer: (ctx) => {
      const x = expectDType(ctx, 0, [...FLOAT_TYPES, 'i8', 'u8', 'i32', 'i64']);
      const fail = failWith(ctx);
      const mode = ctx.attr<string>('mode');
      if (!RESIZE_MODES.includes(mode)) fail(`mode '${mode}' is not one of ${RESIZE_MODES.join(', ')}`);
      const ctm = ctx.attr<string>('coordinate_transformation_mode');
      if (!RESIZE_COORDINATE_MODES.includes(ctm)) fail(`coordinate_transformation_mode '${ctm}' is not one of ${RESIZE_COORDINATE_MODES.join(', ')}`);
      const nearest = ctx.attr<string>('nearest_mode');
      if (!RESIZE_NEAREST_MODES.includes(nearest)) fail(`nearest_mode '${nearest}' is not one of ${RESIZE_NEAREST_MODES.join(', ')}`);
      if (mode === 'nearest' && ctx.attr<number>('antialias') !== 0) failWith(ctx, 'UNSUPPORTED_FEATURE')('antialias applies only to linear and cubic modes');
      const rank = x.shape.length;
      const axes = resizeAxes(ctx, rank, fail);
      const scalesT = presentOperand(ctx, 2);
      const sizesT = presentOperand(ctx, 3);
      if (scalesT && sizesT) fail('only one of scales and sizes may be given');
      if (!scalesT && !sizesT) fail('one of scales and sizes must be given');
      if (scalesT) expectDType(ctx, 2, FLOAT_TYPES);
      if (sizesT) expectDType(ctx, 3, ['i64']);
      const operandT = scalesT ?? sizesT!;
      if (operandT.shape.length !== 1 || (known(operandT.shape[0]) && operandT.shape[0] !== axes.length)) {
        fail(`${scalesT ? 'scales' : 'sizes'} ${formatType(operandT)} must be 1-D with one entry per resized axis (${axes.length})`);
      }
      const values = scalesT ? constantFloats(ctx, 2) : constantInts(ctx, 3);
      const shape = [...x.shape];
      if (!values) {
        for (const ax of axes) shape[ax] = UNKNOWN_DIM;
        return [tensorType(x.dtype, shape)];
      }
      const inputDims = axes.map((ax) => x.shape[ax]!);
      const { outSizes } = resizeTargets(ctx, inputDims, scalesT ? values : undefined, sizesT ? values : undefined, fail);
      axes.forEach((ax, i) => (shape[ax] = outSizes[i]!));
      return [tensorType(x.dtype, shape)];
    },
  }),
);

function constantFloats(ctx: InferContext, index: number): number[] | undefined {
  const t = ctx.constant(index);
  return t ? Array.from(t.data as ArrayLike<number>, Number) : undefined;
}
