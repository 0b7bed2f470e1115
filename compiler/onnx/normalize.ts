import { getOpSchema, isRegisteredOp, isStaticShape, makeTensor, normalizeAxis, numel, type Value } from '../../ir/index.js';
import { onnxDTypeFromName, onnxDTypeToIr } from './dtypes.js';
import type { NormalizeContext, Rewrite } from './normalize-context.js';

/**
 * Opset normalization: each entry rewrites one ONNX op, as found in any opset, into the IR's canonical form
 * (the newest opset's: operands where ONNX moved attributes to inputs, dtype names instead of enums).
 * One function per op; ops without an entry pass through unchanged.
 */
type Normalizer = (n: NormalizeContext) => Rewrite;

/** ONNX ops that are another IR op under a new name. */
export const IR_OP_FOR_ONNX: Readonly<Record<string, string>> = {
  Upsample: 'Resize',
  Scatter: 'ScatterElements',
};

export function irOpFor(onnxOp: string): string {
  return IR_OP_FOR_ONNX[onnxOp] ?? onnxOp;
}

// ---- attribute -> operand moves --------------------------------------------------------------------------

/** Clip < 11: min/max attributes become scalar operands of the input's dtype. */
function clip(n: NormalizeContext): Rewrite {
  if (n.opset >= 11) return n.rewrite();
  const x = n.input(0);
  const min = n.take<number>('min');
  const max = n.take<number>('max');
  return n.rewrite('Clip', [x, min === undefined ? null : n.scalar('min', x.type.dtype, min), max === undefined ? null : n.scalar('max', x.type.dtype, max)]);
}

/** Reshape < 5: the shape attribute becomes the shape operand. */
function reshape(n: NormalizeContext): Rewrite {
  if (n.opset >= 5) return n.rewrite();
  const shape = n.takeIntsAsConstant('shape') ?? n.fail('Reshape needs a shape');
  return n.rewrite('Reshape', [n.input(0), shape]);
}

/** Split < 13: the split attribute becomes an operand; opset 18's num_outputs becomes explicit sizes. */
function split(n: NormalizeContext): Rewrite {
  if (n.opset < 13) {
    const sizes = n.takeIntsAsConstant('split');
    return sizes ? n.rewrite('Split', [n.input(0), sizes]) : n.rewrite();
  }
  const numOutputs = n.attrs['num_outputs'];
  if (numOutputs === undefined || n.inputs[1] || getOpSchema('Split')?.attrs['num_outputs']) return n.rewrite();
  // The IR Split has no num_outputs: spell the chunks out (the last one may be smaller, as opset 18 says).
  n.take('num_outputs');
  const x = n.input(0);
  const axis = normalizeAxis(Number(n.attrs['axis'] ?? 0), x.type.shape.length, 'Split axis');
  const size = x.type.shape[axis];
  const count = Number(numOutputs);
  if (typeof size !== 'number') return n.rewrite(); // equal split by output count, as opsets 13-17 do
  if (!(count >= 1)) n.fail(`Split num_outputs must be positive, got ${count}`);
  const chunk = Math.ceil(size / count);
  const sizes = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(chunk, size - i * chunk)));
  return n.rewrite('Split', [x, n.constI64('split', sizes)]);
}

/** Squeeze/Unsqueeze < 13: the axes attribute becomes an operand. */
function axesToOperand(since: number): (n: NormalizeContext) => Rewrite {
  return (n) => {
    if (n.opset >= since) {
      // A scalar axes constant (which ONNX's function expansions emit, e.g. AffineGrid's) means one axis.
      const given = n.inputs[1];
      if (given?.data && given.data.shape.length === 0) return n.rewrite(n.op, [n.input(0), n.constant('axes', { ...given.data, shape: [1] }), ...n.inputs.slice(2)]);
      return n.rewrite();
    }
    const axes = n.takeIntsAsConstant('axes');
    return n.rewrite(n.op, [n.input(0), axes ?? null]);
  };
}

/** Pad < 11: pads (opset 1: paddings) and value attributes become operands; mode stays. */
function pad(n: NormalizeContext): Rewrite {
  if (n.opset >= 11) return n.rewrite();
  const x = n.input(0);
  const pads = n.takeIntsAsConstant('pads') ?? n.takeIntsAsConstant('paddings', 'pads') ?? n.fail('Pad needs pads');
  const value = n.take<number>('value');
  return n.rewrite('Pad', [x, pads, value === undefined ? null : n.scalar('constant_value', x.type.dtype, value)]);
}

/** Empty constant roi/scales/sizes (how exporters say "not given" before opset 13) become omitted operands. */
function dropEmptyConstants(n: NormalizeContext, from: number): void {
  n.inputs = n.inputs.map((v, i) => (i >= from && v?.data && numel(v.data.shape) === 0 ? null : v));
}

/** Resize 10 is (X, scales) with Upsample's semantics; 11+ is the canonical (X, roi, scales, sizes). */
function resize(n: NormalizeContext): Rewrite {
  if (n.opset >= 11) {
    dropEmptyConstants(n, 1);
    return n.rewrite();
  }
  return upsampleAsResize(n, n.input(1));
}

/** Upsample (opsets 7-9) is Resize with asymmetric coordinates; nearest picks floor(x / scale). */
function upsample(n: NormalizeContext): Rewrite {
  const attrScales = n.take<number[]>('scales');
  const scales = n.inputs[1] ?? (attrScales ? n.constant('scales', makeTensor('f32', [attrScales.length], attrScales)) : n.fail('Upsample needs scales'));
  return upsampleAsResize(n, scales);
}

function upsampleAsResize(n: NormalizeContext, scales: Value): Rewrite {
  const given = String(n.take<string>('mode') ?? 'nearest');
  const mode = given === 'bilinear' ? 'linear' : given;
  const attrs = { ...n.attrs, mode, coordinate_transformation_mode: 'asymmetric', ...(mode === 'nearest' ? { nearest_mode: 'floor' } : {}) };
  return n.rewrite('Resize', [n.input(0), null, scales], attrs);
}

/** Slice < 10: starts/ends/axes attributes become operands. */
function slice(n: NormalizeContext): Rewrite {
  if (n.opset >= 10) return n.rewrite();
  const starts = n.takeIntsAsConstant('starts') ?? n.fail('Slice needs starts');
  const ends = n.takeIntsAsConstant('ends') ?? n.fail('Slice needs ends');
  const axes = n.takeIntsAsConstant('axes');
  return n.rewrite('Slice', [n.input(0), starts, ends, axes ?? null]);
}

/** Dropout < 12: the ratio attribute becomes an operand; is_test (< 7) has no meaning for inference. */
function dropout(n: NormalizeContext): Rewrite {
  if (n.opset >= 12) return n.rewrite();
  n.take('is_test');
  const x = n.input(0);
  const ratio = n.take<number>('ratio');
  return n.rewrite('Dropout', ratio === undefined ? [x] : [x, n.scalar('ratio', x.type.dtype, ratio)]);
}

/** TopK < 10: the k attribute becomes a 1-element operand. */
function topK(n: NormalizeContext): Rewrite {
  if (n.opset >= 10) return n.rewrite();
  const k = n.bigInts('k');
  if (n.take('k') === undefined || !k) n.fail('TopK needs k');
  return n.rewrite('TopK', [n.input(0), n.constI64('k', k!)]);
}

// ---- legacy attributes ----------------------------------------------------------------------------------

/** BatchNormalization: drop the legacy attributes when they mean what the modern op does. */
function batchNormalization(n: NormalizeContext): Rewrite {
  const spatial = n.take<number>('spatial');
  if (spatial === 0) n.fail('BatchNormalization with spatial=0 (per-activation statistics) is not supported', 'UNSUPPORTED_FEATURE');
  n.take('is_test');
  return n.rewrite();
}

/** Concat < 4 defaulted axis to 1. */
function concat(n: NormalizeContext): Rewrite {
  if (n.opset < 4 && n.attrs['axis'] === undefined) n.attrs['axis'] = 1;
  return n.rewrite();
}

/** Gemm < 7 carried a broadcast flag; modern Gemm always broadcasts C. */
function gemm(n: NormalizeContext): Rewrite {
  n.take('broadcast');
  return n.rewrite();
}

/**
 * Binary ops < 7 broadcast B against A only when broadcast=1, aligning B at `axis` instead of at the end.
 * Appending 1-dims to B makes numpy-style broadcasting line it up the same way.
 */
function legacyBroadcast(n: NormalizeContext): Rewrite {
  if (n.opset >= 7) return n.rewrite();
  const broadcast = n.take<number>('broadcast');
  const axis = n.take<number>('axis');
  if (broadcast !== 1 || axis === undefined) return n.rewrite();
  const a = n.input(0);
  return n.rewrite(n.op, [a, alignAt(n, n.input(1), a.type.shape.length, axis), ...n.inputs.slice(2)]);
}

/** PRelu < 7 applied a [C] slope along the channel axis 1, not numpy-style along the last axis. */
function prelu(n: NormalizeContext): Rewrite {
  if (n.opset >= 7) return n.rewrite();
  const x = n.input(0);
  const slope = n.input(1);
  const rank = x.type.shape.length;
  if (slope.type.shape.length !== 1 || slope.type.shape[0] === 1 || rank < 3) return n.rewrite();
  return n.rewrite('PRelu', [x, alignAt(n, slope, rank, 1)]);
}

/** B with 1-dims appended so that numpy broadcasting lines it up with A starting at `axis`. */
function alignAt(n: NormalizeContext, b: Value, rankA: number, axis: number): Value {
  const rankB = b.type.shape.length;
  const start = normalizeAxis(axis, rankA, 'broadcast axis');
  const ones = rankA - start - rankB;
  if (ones < 0) n.fail(`operand of rank ${rankB} does not fit into rank ${rankA} at axis ${axis}`, 'BAD_SHAPE');
  if (ones === 0) return b;
  const trailing = new Array<number>(ones).fill(1);
  if (b.data) return n.constant('broadcast_b', { ...b.data, shape: [...b.data.shape, ...trailing] });
  // Reshape's 0 copies the input dim, so symbolic dims of B survive.
  const shape = n.constI64('broadcast_shape', [...new Array<number>(rankB).fill(0), ...trailing]);
  return n.emit('Reshape', [b, shape], {}, 'broadcast_b');
}

/**
 * Softmax/LogSoftmax/Hardmax < 13 coerce the input to 2-D at `axis` (default 1) and normalize over the
 * flattened trailing block. When `axis` is the last dim that is the modern op; otherwise we spell it out as
 * Reshape to [-1, trailing] -> op(axis=-1) -> Reshape back.
 */
function coercedSoftmax(n: NormalizeContext): Rewrite {
  if (n.opset >= 13) return n.rewrite();
  const x = n.input(0);
  const shape = x.type.shape;
  const given = n.take<number>('axis') ?? 1;
  const axis = normalizeAxis(given, Math.max(shape.length, 1), `${n.op} axis`);
  if (axis >= shape.length - 1) return n.rewrite(n.op, [x], { ...n.attrs, axis: -1 });
  if (!isStaticShape(shape)) return coercedSoftmaxSymbolic(n, x, axis);
  const block = shape.slice(axis).reduce((p, d) => p * d, 1);
  const flat = n.emit('Reshape', [x, n.constI64('shape_2d', [-1, block])], {}, '2d');
  const normalized = n.emit(n.op, [flat], { ...n.attrs, axis: -1 }, 'normalized');
  return n.rewrite('Reshape', [normalized, n.constI64('shape', shape)], {});
}

/** The same with symbolic dims: Flatten at axis, then reshape back to Shape(x), when those ops exist. */
function coercedSoftmaxSymbolic(n: NormalizeContext, x: Value, axis: number): Rewrite {
  if (!isRegisteredOp('Flatten') || !isRegisteredOp('Shape')) {
    n.fail(`${n.op} (opset ${n.opset}) over a non-last axis needs a static input shape; fix the input shape with inputShapes`, 'UNSUPPORTED_FEATURE');
  }
  const flat = n.emit('Flatten', [x], { axis }, '2d');
  const normalized = n.emit(n.op, [flat], { ...n.attrs, axis: -1 }, 'normalized');
  const shape = n.emit('Shape', [x], {}, 'shape');
  return n.rewrite('Reshape', [normalized, shape], {});
}

// ---- element type attributes ----------------------------------------------------------------------------

/** Turns an attribute holding an ONNX element type enum (or an opset-1 type name) into an IR dtype name. */
function dtypeAttr(...names: string[]): Normalizer {
  return (n) => {
    for (const name of names) {
      const v = n.attrs[name];
      if (v === undefined) continue;
      const code = typeof v === 'string' ? onnxDTypeFromName(v) ?? n.fail(`attribute '${name}' names an unknown type '${v}'`) : Number(v);
      // 0 is ONNX's UNDEFINED: "not specified", which the IR spells as the empty string.
      n.attrs[name] = code === 0 ? '' : onnxDTypeToIr(code, `attribute '${name}'`, n.where);
    }
    return n.rewrite();
  };
}

const reduceWithAxesSince18 = axesToOperand(18);

export const NORMALIZERS: Readonly<Record<string, Normalizer>> = {
  Clip: clip,
  Reshape: reshape,
  Split: split,
  Squeeze: axesToOperand(13),
  Unsqueeze: axesToOperand(13),
  Pad: pad,
  Resize: resize,
  Upsample: upsample,
  Slice: slice,
  Dropout: dropout,
  TopK: topK,
  ReduceSum: axesToOperand(13),
  ReduceMean: reduceWithAxesSince18,
  ReduceMax: reduceWithAxesSince18,
  ReduceMin: reduceWithAxesSince18,
  ReduceProd: reduceWithAxesSince18,
  ReduceL1: reduceWithAxesSince18,
  ReduceL2: reduceWithAxesSince18,
  ReduceLogSum: reduceWithAxesSince18,
  ReduceLogSumExp: reduceWithAxesSince18,
  ReduceSumSquare: reduceWithAxesSince18,
  BatchNormalization: batchNormalization,
  Concat: concat,
  Gemm: gemm,
  Add: legacyBroadcast,
  Sub: legacyBroadcast,
  Mul: legacyBroadcast,
  Div: legacyBroadcast,
  Pow: legacyBroadcast,
  And: legacyBroadcast,
  Or: legacyBroadcast,
  Xor: legacyBroadcast,
  Equal: legacyBroadcast,
  Greater: legacyBroadcast,
  Less: legacyBroadcast,
  PRelu: prelu,
  Softmax: coercedSoftmax,
  LogSoftmax: coercedSoftmax,
  Hardmax: coercedSoftmax,
  Cast: dtypeAttr('to'),
  EyeLike: dtypeAttr('dtype'),
  RandomNormal: dtypeAttr('dtype'),
  RandomUniform: dtypeAttr('dtype'),
  RandomNormalLike: dtypeAttr('dtype'),
  RandomUniformLike: dtypeAttr('dtype'),
  Bernoulli: dtypeAttr('dtype'),
  Multinomial: dtypeAttr('dtype'),
  QuantizeLinear: dtypeAttr('output_dtype', 'precision'),
  DequantizeLinear: dtypeAttr('output_dtype'),
  LayerNormalization: dtypeAttr('stash_type'),
};

/** Rewrites one ONNX node into canonical IR form; then drops trailing omitted operands. */
export function normalizeNode(n: NormalizeContext): Rewrite {
  // consumed_inputs (opsets < 6) described in-place updates; it never changes what a node computes.
  n.take('consumed_inputs');
  const normalizer = NORMALIZERS[n.op];
  const out = normalizer ? normalizer(n) : n.rewrite();
  const op = irOpFor(out.op);
  const inputs = [...out.inputs];
  while (inputs.length > 0 && inputs[inputs.length - 1] === null) inputs.pop();
  return { op, inputs, attrs: out.attrs };
}
