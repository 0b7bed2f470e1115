import { registerOp } from './registry.js';
import type { InferContext } from './registry.js';
import { constantInts, expectDType, expectSameDType, INDEX_TYPES, NUMERIC_TYPES, operand, optional, schema, unknownShape, variadic } from './common.js';
import { allocArray, DTYPES, isBigInt, isDType, type DType } from '../dtype.js';
import { makeTensor, type Tensor } from '../tensor.js';
import { formatType, tensorType, UNKNOWN_DIM, type Dim, type TensorType } from '../types.js';

/**
 * Tensor manipulation ops: reshaping, reordering, joining, splitting, slicing, gathering, padding, casting,
 * and the ops that make tensors from shapes. Shapes that depend on operand values (Reshape's shape, Slice's
 * starts, ...) are inferred from constant operands; when an operand is not constant the affected dims are '?'.
 */

const ALL_TYPES: readonly DType[] = DTYPES;
const I64: readonly DType[] = ['i64'];

/** An axis in [-rank, rank) made non-negative, failing with BAD_SHAPE naming the op when out of range. */
export function resolveAxis(ctx: InferContext, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) ctx.fail(`${ctx.node.op} ${what} ${axis} is out of range for rank ${rank}`, 'BAD_SHAPE');
  return axis < 0 ? axis + rank : axis;
}

/** Axes resolved against rank, failing on duplicates. */
export function resolveAxes(ctx: InferContext, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => resolveAxis(ctx, a, rank));
  if (new Set(out).size !== out.length) ctx.fail(`${ctx.node.op} axes [${axes.join(',')}] repeat an axis`, 'BAD_SHAPE');
  return out;
}

/** Fails unless operand `index` is a 1-D tensor of one of `allowed` dtypes; returns its static length if known. */
function expectVector(ctx: InferContext, index: number, allowed: readonly DType[], what: string): number | undefined {
  const t = ctx.input(index);
  if (!allowed.includes(t.dtype)) ctx.fail(`${ctx.node.op} ${what} must be ${allowed.join(' or ')}, got ${formatType(t)}`);
  if (t.shape.length !== 1) ctx.fail(`${ctx.node.op} ${what} must be 1-D, got ${formatType(t)}`, 'BAD_SHAPE');
  const len = t.shape[0]!;
  return typeof len === 'number' ? len : undefined;
}

/** Product of dims: a number when all are static, the symbol when it is the only non-1 dim, else '?'. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let n = 1;
  let symbol: Dim | undefined;
  let symbols = 0;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else {
      symbols++;
      symbol = d;
    }
  }
  if (symbols === 0) return n;
  if (n === 0) return 0;
  if (symbols === 1 && n === 1 && symbol !== UNKNOWN_DIM) return symbol!;
  return UNKNOWN_DIM;
}

/**
 * The quotient of two dim products after cancelling equal symbols, or '?' when symbols remain (e.g.
 * [batch,16,64] / [batch,16,4] = 16, the -1 of a Reshape over a symbolic batch).
 */
function divideDims(numerator: readonly Dim[], denominator: readonly Dim[]): Dim | 'indivisible' {
  const num = [...numerator];
  const den: Dim[] = [];
  for (const d of denominator) {
    const k = typeof d === 'string' && d !== UNKNOWN_DIM ? num.indexOf(d) : -1;
    if (k >= 0) num.splice(k, 1);
    else den.push(d);
  }
  const top = dimProduct(num);
  const bottom = dimProduct(den);
  if (typeof bottom === 'number' && bottom !== 0 && top === 0) return 0;
  if (bottom === 1) return top;
  if (typeof top !== 'number' || typeof bottom !== 'number') return UNKNOWN_DIM;
  if (bottom === 0 || top % bottom !== 0) return 'indivisible';
  return top / bottom;
}

/** Equal dims, preferring the known one; undefined when two static dims differ. */
function mergeDims(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (typeof a === 'number' && typeof b === 'number') return undefined;
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return UNKNOWN_DIM;
}

function inferReshape(ctx: InferContext): TensorType[] {
  const data = ctx.input(0);
  const len = expectVector(ctx, 1, I64, 'shape');
  const allowZero = ctx.attr<number>('allowzero') !== 0;
  const target = constantInts(ctx, 1);
  if (!target) {
    if (len === undefined) ctx.fail('Reshape shape operand must have a static length (the output rank)', 'BAD_SHAPE');
    return [tensorType(data.dtype, unknownShape(len!))];
  }
  const out: Dim[] = [];
  let inferred = -1;
  target.forEach((d, i) => {
    if (d === -1) {
      if (inferred >= 0) ctx.fail(`Reshape shape [${target.join(',')}] has more than one -1`, 'BAD_SHAPE');
      inferred = i;
      out.push(UNKNOWN_DIM);
    } else if (d === 0 && !allowZero) {
      if (i >= data.shape.length) ctx.fail(`Reshape shape [${target.join(',')}] copies dim ${i} (0) but the input ${formatType(data)} has rank ${data.shape.length}`, 'BAD_SHAPE');
      out.push(data.shape[i]!);
    } else if (d < 0) {
      ctx.fail(`Reshape shape [${target.join(',')}] has the negative dim ${d}`, 'BAD_SHAPE');
    } else out.push(d);
  });
  if (allowZero && inferred >= 0 && target.includes(0)) ctx.fail('Reshape with allowzero=1 cannot combine 0 and -1 in its shape', 'BAD_SHAPE');
  if (inferred >= 0) {
    const rest = out.filter((_, i) => i !== inferred);
    const q = divideDims(data.shape, rest);
    if (q === 'indivisible') ctx.fail(`Reshape cannot infer the -1 in [${target.join(',')}] for input ${formatType(data)}`, 'BAD_SHAPE');
    out[inferred] = q as Dim;
  } else {
    const before = dimProduct(data.shape);
    const after = dimProduct(out);
    if (typeof before === 'number' && typeof after === 'number' && before !== after) {
      ctx.fail(`Reshape of ${formatType(data)} (${before} elements) to [${target.join(',')}] (${after} elements)`, 'BAD_SHAPE');
    }
  }
  return [tensorType(data.dtype, out)];
}

registerOp(
  schema({
    name: 'Reshape',
    doc: 'same data, new shape; 0 copies the input dim (unless allowzero), one -1 is inferred',
    traits: { view: true, selectsElements: true },
    inputs: [operand('data'), operand('shape')],
    shapeOperands: [1],
    outputs: [operand('reshaped')],
    attrs: { allowzero: { type: 'int', default: 0 } },
    infer: inferReshape,
  }),
);

registerOp(
  schema({
    name: 'Flatten',
    doc: 'to 2-D: [prod(dims before axis), prod(dims from axis)]',
    traits: { view: true, selectsElements: true },
    inputs: [operand('input')],
    outputs: [operand('output')],
    attrs: { axis: { type: 'int', default: 1 } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const rank = x.shape.length;
      const a = ctx.attr<number>('axis');
      if (a < -rank || a > rank) ctx.fail(`Flatten axis ${a} is out of range for rank ${rank}`, 'BAD_SHAPE');
      const axis = a < 0 ? a + rank : a;
      return [tensorType(x.dtype, [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))])];
    },
  }),
);

registerOp(
  schema({
    name: 'Transpose',
    doc: 'permutes axes: output dim i is input dim perm[i]; perm defaults to reversing the axes',
    traits: { selectsElements: true },
    inputs: [operand('data')],
    outputs: [operand('transposed')],
    attrs: { perm: { type: 'ints' } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const rank = x.shape.length;
      const perm = ctx.hasAttr('perm') ? ctx.attr<number[]>('perm') : x.shape.map((_, i) => rank - 1 - i);
      const sorted = [...perm].map((p) => (p < 0 ? p + rank : p)).sort((a, b) => a - b);
      if (perm.length !== rank || sorted.some((p, i) => p !== i)) ctx.fail(`Transpose perm [${perm.join(',')}] is not a permutation of ${rank} axes`, 'BAD_SHAPE');
      return [tensorType(x.dtype, perm.map((p) => x.shape[p < 0 ? p + rank : p]!))];
    },
  }),
);

registerOp(
  schema({
    name: 'Concat',
    doc: 'joins operands along axis; all other dims must agree',
    inputs: [variadic('inputs')],
    outputs: [operand('concat_result')],
    attrs: { axis: { type: 'int', required: true } },
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      const types = ctx.inputs.filter((t): t is TensorType => t !== null);
      const rank = types[0]!.shape.length;
      if (rank === 0) ctx.fail('Concat operands must have rank >= 1', 'BAD_SHAPE');
      const axis = resolveAxis(ctx, ctx.attr<number>('axis'), rank);
      const out: Dim[] = [...types[0]!.shape];
      let total: Dim[] = [];
      for (const t of types) {
        if (t.shape.length !== rank) ctx.fail(`Concat operands differ in rank: ${types.map(formatType).join(', ')}`, 'BAD_SHAPE');
        t.shape.forEach((d, i) => {
          if (i === axis) return;
          const m = mergeDims(out[i]!, d);
          if (m === undefined) ctx.fail(`Concat operands differ in dim ${i} (not the axis ${axis}): ${types.map(formatType).join(', ')}`, 'BAD_SHAPE');
          out[i] = m!;
        });
        total = [...total, t.shape[axis]!];
      }
      out[axis] = total.every((d) => typeof d === 'number') ? (total as number[]).reduce((a, b) => a + b, 0) : UNKNOWN_DIM;
      return [tensorType(dtype, out)];
    },
  }),
);

/** The sizes Split cuts its axis into: from the split operand, else num_outputs (last chunk smaller), else equal parts. */
function splitSizes(ctx: InferContext, dim: Dim, count: number): Dim[] {
  if (ctx.inputs[1]) {
    const len = expectVector(ctx, 1, I64, 'split');
    if (len !== undefined && len !== count) ctx.fail(`Split has ${count} outputs but its split operand has ${len} sizes`, 'BAD_SHAPE');
    const sizes = constantInts(ctx, 1);
    if (!sizes) return unknownShape(count);
    if (sizes.some((s) => s < 0)) ctx.fail(`Split sizes [${sizes.join(',')}] must not be negative`, 'BAD_SHAPE');
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (typeof dim === 'number' && sum !== dim) ctx.fail(`Split sizes [${sizes.join(',')}] sum to ${sum}, but the axis has ${dim}`, 'BAD_SHAPE');
    return sizes;
  }
  if (ctx.hasAttr('num_outputs')) {
    const n = ctx.attr<number>('num_outputs');
    if (n !== count) ctx.fail(`Split num_outputs is ${n} but the node has ${count} outputs`, 'BAD_SHAPE');
    if (typeof dim !== 'number') return unknownShape(count);
    const chunk = Math.ceil(dim / n);
    if (chunk * (n - 1) > dim) ctx.fail(`Split cannot cut a dim of ${dim} into ${n} chunks of ${chunk}`, 'BAD_SHAPE');
    return Array.from({ length: n }, (_, i) => (i < n - 1 ? chunk : dim - chunk * (n - 1)));
  }
  if (typeof dim !== 'number') return unknownShape(count);
  if (dim % count !== 0) ctx.fail(`Split cannot cut a dim of ${dim} into ${count} equal parts`, 'BAD_SHAPE');
  return new Array<Dim>(count).fill(dim / count);
}

registerOp(
  schema({
    name: 'Split',
    doc: 'cuts the input along axis into the outputs, by the split sizes or into num_outputs chunks',
    inputs: [operand('input'), optional('split')],
    shapeOperands: [1],
    outputs: [variadic('outputs')],
    attrs: { axis: { type: 'int', default: 0 }, num_outputs: { type: 'int' } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const axis = resolveAxis(ctx, ctx.attr<number>('axis'), x.shape.length);
      const sizes = splitSizes(ctx, x.shape[axis]!, ctx.node.outputs.length);
      return sizes.map((s) => tensorType(x.dtype, x.shape.map((d, i) => (i === axis ? s : d))));
    },
  }),
);

/** One axis of a Slice with ONNX clamping: the first index, step and count taken. */
export function sliceAxis(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
    return { start, count: Math.max(0, Math.ceil((end - start) / step)) };
  }
  start = Math.min(Math.max(start, 0), dim - 1);
  end = Math.min(Math.max(end, -1), dim - 1);
  return { start, count: Math.max(0, Math.ceil((start - end) / -step)) };
}

function inferSlice(ctx: InferContext): TensorType[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const lens: (number | undefined)[] = [];
  const names = ['starts', 'ends', 'axes', 'steps'];
  for (let i = 1; i <= 4; i++) if (ctx.inputs[i]) lens.push(expectVector(ctx, i, INDEX_TYPES, names[i - 1]!));
  const known = lens.filter((l): l is number => l !== undefined);
  if (known.some((l) => l !== known[0])) ctx.fail(`Slice starts/ends/axes/steps differ in length: ${lens.join(', ')}`, 'BAD_SHAPE');
  const starts = constantInts(ctx, 1);
  const ends = constantInts(ctx, 2);
  const axesGiven = ctx.inputs[3] !== null && ctx.inputs[3] !== undefined;
  const axesValues = axesGiven ? constantInts(ctx, 3) : undefined;
  if (axesGiven && !axesValues) return [tensorType(x.dtype, unknownShape(rank))];
  const count = starts?.length ?? ends?.length ?? known[0];
  const axes = axesValues ? resolveAxes(ctx, axesValues, rank) : count !== undefined ? Array.from({ length: count }, (_, i) => i) : undefined;
  if (!axes) return [tensorType(x.dtype, unknownShape(rank))];
  if (axes.length > rank) ctx.fail(`Slice has ${axes.length} axes for an input of rank ${rank}`, 'BAD_SHAPE');
  const stepsGiven = ctx.inputs[4] !== null && ctx.inputs[4] !== undefined;
  const steps = stepsGiven ? constantInts(ctx, 4) : axes.map(() => 1);
  if (steps && steps.some((s) => s === 0)) ctx.fail('Slice steps must not be 0', 'BAD_SHAPE');
  const out: Dim[] = [...x.shape];
  axes.forEach((axis, k) => {
    const dim = x.shape[axis]!;
    if (!starts || !ends || !steps) {
      out[axis] = UNKNOWN_DIM;
      return;
    }
    if (typeof dim === 'number') out[axis] = sliceAxis(dim, starts[k]!, ends[k]!, steps[k]!).count;
    // A symbolic dim survives only the whole-axis slice [0:INT_MAX:1].
    else out[axis] = starts[k] === 0 && steps[k] === 1 && ends[k]! >= 2 ** 31 - 1 ? dim : UNKNOWN_DIM;
  });
  return [tensorType(x.dtype, out)];
}

registerOp(
  schema({
    name: 'Slice',
    doc: 'data[starts:ends:steps] on the given axes (negative indices count from the end; bounds clamp)',
    inputs: [operand('data'), operand('starts'), operand('ends'), optional('axes'), optional('steps')],
    shapeOperands: [1, 2, 3, 4],
    outputs: [operand('output')],
    infer: inferSlice,
  }),
);

registerOp(
  schema({
    name: 'Gather',
    doc: 'picks entries of data along axis by indices (negative indices count from the end)',
    inputs: [operand('data'), operand('indices')],
    outputs: [operand('output')],
    attrs: { axis: { type: 'int', default: 0 } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const idx = expectDType(ctx, 1, INDEX_TYPES);
      if (x.shape.length === 0) ctx.fail('Gather data must have rank >= 1', 'BAD_SHAPE');
      const axis = resolveAxis(ctx, ctx.attr<number>('axis'), x.shape.length);
      return [tensorType(x.dtype, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)])];
    },
  }),
);

registerOp(
  schema({
    name: 'GatherElements',
    doc: 'output[i][j][k] = data[index][j][k] for axis 0 (index = indices[i][j][k]); output has the shape of indices',
    inputs: [operand('data'), operand('indices')],
    outputs: [operand('output')],
    attrs: { axis: { type: 'int', default: 0 } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const idx = expectDType(ctx, 1, INDEX_TYPES);
      if (x.shape.length === 0 || idx.shape.length !== x.shape.length) {
        ctx.fail(`GatherElements indices ${formatType(idx)} must have the rank of data ${formatType(x)} (>= 1)`, 'BAD_SHAPE');
      }
      const axis = resolveAxis(ctx, ctx.attr<number>('axis'), x.shape.length);
      idx.shape.forEach((d, i) => {
        const limit = x.shape[i]!;
        if (i !== axis && typeof d === 'number' && typeof limit === 'number' && d > limit) {
          ctx.fail(`GatherElements indices ${formatType(idx)} exceed data ${formatType(x)} in dim ${i}`, 'BAD_SHAPE');
        }
      });
      return [tensorType(x.dtype, idx.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'Squeeze',
    doc: 'removes the given size-1 axes (all size-1 axes when axes is omitted)',
    traits: { view: true, selectsElements: true },
    inputs: [operand('data'), optional('axes')],
    shapeOperands: [1],
    outputs: [operand('squeezed')],
    infer: (ctx) => {
      const x = ctx.input(0);
      const rank = x.shape.length;
      if (!ctx.inputs[1]) {
        // Which dims are 1 must be known, or the output rank would depend on the feeds.
        if (x.shape.some((d) => typeof d !== 'number')) {
          ctx.fail(`Squeeze without axes on ${formatType(x)}: the output rank depends on the symbolic dims`, 'UNSUPPORTED_FEATURE');
        }
        return [tensorType(x.dtype, x.shape.filter((d) => d !== 1))];
      }
      const len = expectVector(ctx, 1, I64, 'axes');
      const values = constantInts(ctx, 1);
      if (!values) {
        if (len === undefined) ctx.fail('Squeeze axes operand must be constant or have a static length', 'BAD_SHAPE');
        return [tensorType(x.dtype, unknownShape(rank - len!))];
      }
      const axes = resolveAxes(ctx, values, rank);
      for (const a of axes) {
        const d = x.shape[a]!;
        if (typeof d === 'number' && d !== 1) ctx.fail(`Squeeze axis ${a} of ${formatType(x)} has size ${d}, not 1`, 'BAD_SHAPE');
      }
      return [tensorType(x.dtype, x.shape.filter((_, i) => !axes.includes(i)))];
    },
  }),
);

registerOp(
  schema({
    name: 'Unsqueeze',
    doc: 'inserts size-1 axes at the given positions of the output',
    traits: { view: true, selectsElements: true },
    inputs: [operand('data'), operand('axes')],
    shapeOperands: [1],
    outputs: [operand('expanded')],
    infer: (ctx) => {
      const x = ctx.input(0);
      const len = expectVector(ctx, 1, I64, 'axes');
      const values = constantInts(ctx, 1);
      if (!values) {
        if (len === undefined) ctx.fail('Unsqueeze axes operand must be constant or have a static length', 'BAD_SHAPE');
        return [tensorType(x.dtype, unknownShape(x.shape.length + len!))];
      }
      const rank = x.shape.length + values.length;
      const axes = resolveAxes(ctx, values, rank);
      const out: Dim[] = [];
      let next = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x.shape[next++]!);
      return [tensorType(x.dtype, out)];
    },
  }),
);

registerOp(
  schema({
    name: 'Expand',
    doc: 'broadcasts input against shape (bidirectionally: the output may be larger than shape)',
    inputs: [operand('input'), operand('shape')],
    shapeOperands: [1],
    infer: (ctx) => {
      const x = ctx.input(0);
      const len = expectVector(ctx, 1, I64, 'shape');
      const target = constantInts(ctx, 1);
      if (!target) {
        if (len === undefined) ctx.fail('Expand shape operand must be constant or have a static length', 'BAD_SHAPE');
        const rank = Math.max(len!, x.shape.length);
        const out: Dim[] = unknownShape(rank);
        // A static input dim other than 1 is kept whatever the shape says (the shape may only hold 1 or it).
        x.shape.forEach((d, i) => {
          if (typeof d === 'number' && d !== 1) out[rank - x.shape.length + i] = d;
        });
        return [tensorType(x.dtype, out)];
      }
      if (target.some((d) => d < 0)) ctx.fail(`Expand shape [${target.join(',')}] has a negative dim`, 'BAD_SHAPE');
      const rank = Math.max(target.length, x.shape.length);
      const out: Dim[] = [];
      for (let i = 0; i < rank; i++) {
        const a = x.shape[i - (rank - x.shape.length)] ?? 1;
        const b = target[i - (rank - target.length)] ?? 1;
        if (a === 1) out.push(b);
        else if (b === 1 || a === b) out.push(a);
        else if (typeof a === 'number') ctx.fail(`Expand cannot broadcast ${formatType(x)} to [${target.join(',')}]`, 'BAD_SHAPE');
        else out.push(b); // a symbolic dim must equal b (or be 1) at run time; b is the only valid answer
      }
      return [tensorType(x.dtype, out)];
    },
  }),
);

const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'];

registerOp(
  schema({
    name: 'Pad',
    doc: 'pads (or, with negative pads, crops) the given axes; pads = [begin..., end...]',
    inputs: [operand('data'), operand('pads'), optional('constant_value'), optional('axes')],
    shapeOperands: [1, 3],
    outputs: [operand('output')],
    attrs: { mode: { type: 'string', default: 'constant' } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const rank = x.shape.length;
      const mode = ctx.attr<string>('mode');
      if (!PAD_MODES.includes(mode)) ctx.fail(`Pad mode '${mode}' is not one of ${PAD_MODES.join(', ')}`, 'UNSUPPORTED_FEATURE');
      const len = expectVector(ctx, 1, I64, 'pads');
      const cv = ctx.inputs[2];
      if (cv) {
        if (cv.dtype !== x.dtype) ctx.fail(`Pad constant_value ${formatType(cv)} must have the data's dtype ${x.dtype}`);
        if (cv.shape.length > 1 || (cv.shape.length === 1 && cv.shape[0] !== 1)) ctx.fail(`Pad constant_value must be a scalar, got ${formatType(cv)}`, 'BAD_SHAPE');
      }
      let axes: number[] | undefined = Array.from({ length: rank }, (_, i) => i);
      if (ctx.inputs[3]) {
        expectVector(ctx, 3, INDEX_TYPES, 'axes');
        const values = constantInts(ctx, 3);
        axes = values ? resolveAxes(ctx, values, rank) : undefined;
      }
      if (axes && len !== undefined && len !== 2 * axes.length) ctx.fail(`Pad pads has ${len} values for ${axes.length} axes (needs ${2 * axes.length})`, 'BAD_SHAPE');
      const pads = constantInts(ctx, 1);
      if (!axes) return [tensorType(x.dtype, unknownShape(rank))];
      const out: Dim[] = [...x.shape];
      axes.forEach((axis, k) => {
        const d = x.shape[axis]!;
        if (!pads) out[axis] = UNKNOWN_DIM;
        else if (pads[k] === 0 && pads[k + axes!.length] === 0) out[axis] = d;
        else if (typeof d !== 'number') out[axis] = UNKNOWN_DIM;
        else {
          const size = d + pads[k]! + pads[k + axes!.length]!;
          if (size < 0) ctx.fail(`Pad pads [${pads.join(',')}] crop axis ${axis} of ${formatType(x)} below zero`, 'BAD_SHAPE');
          out[axis] = size;
        }
      });
      return [tensorType(x.dtype, out)];
    },
  }),
);

/** Shape's [start, end) window over the dims, clamped as ONNX specifies. */
export function shapeWindow(rank: number, start: number, end: number | undefined): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(start), clamp(end ?? rank)];
}

registerOp(
  schema({
    name: 'Shape',
    doc: 'the dims of data (from start to end) as an i64 vector',
    inputs: [operand('data')],
    outputs: [operand('shape')],
    attrs: { start: { type: 'int', default: 0 }, end: { type: 'int' } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const [start, end] = shapeWindow(x.shape.length, ctx.attr<number>('start'), ctx.hasAttr('end') ? ctx.attr<number>('end') : undefined);
      return [tensorType('i64', [Math.max(0, end - start)])];
    },
  }),
);

registerOp(
  schema({
    name: 'Size',
    doc: 'the number of elements of data, as an i64 scalar',
    inputs: [operand('data')],
    outputs: [operand('size')],
    infer: () => [tensorType('i64', [])],
  }),
);

registerOp(
  schema({
    name: 'Cast',
    doc: "converts elements to dtype `to` (floats to integers truncate toward zero; to bool is x != 0)",
    traits: { elementwise: 'unary' },
    inputs: [operand('input')],
    outputs: [operand('output')],
    attrs: { to: { type: 'string', required: true }, saturate: { type: 'int', default: 1 } },
    infer: (ctx) => {
      const x = ctx.input(0);
      const to = ctx.attr<string>('to');
      if (!isDType(to)) ctx.fail(`Cast to '${to}' is not a supported dtype (${DTYPES.join(', ')})`, 'UNSUPPORTED_DTYPE');
      return [tensorType(to as DType, x.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'CastLike',
    doc: 'Cast to the dtype of target_type (whose values are ignored)',
    inputs: [operand('input'), operand('target_type')],
    outputs: [operand('output')],
    attrs: { saturate: { type: 'int', default: 1 } },
    infer: (ctx) => [tensorType(ctx.input(1).dtype, ctx.input(0).shape)],
  }),
);

registerOp(
  schema({
    name: 'Dropout',
    doc: 'inference only: output = data, mask all true; training_mode = true is not supported',
    traits: { view: true },
    inputs: [operand('data'), optional('ratio'), optional('training_mode')],
    outputs: [operand('output'), optional('mask')],
    attrs: { seed: { type: 'int', default: 0 } },
    infer: (ctx) => {
      const x = expectDType(ctx, 0, ALL_TYPES.filter((d) => d !== 'bool'));
      if (ctx.inputs[1]) {
        const r = ctx.input(1);
        if (!['f32', 'f16', 'bf16', 'f64'].includes(r.dtype) || r.shape.length !== 0) ctx.fail(`Dropout ratio must be a float scalar, got ${formatType(r)}`);
      }
      if (ctx.inputs[2]) {
        const t = ctx.input(2);
        if (t.dtype !== 'bool' || t.shape.length !== 0) ctx.fail(`Dropout training_mode must be a bool scalar, got ${formatType(t)}`);
        const mode = ctx.constant(2);
        if (mode && mode.data[0]) ctx.fail('Dropout with training_mode = true is not supported (edgec compiles inference graphs)', 'UNSUPPORTED_FEATURE');
      }
      return [x, tensorType('bool', x.shape)];
    },
  }),
);

registerOp(
  schema({
    name: 'ConstantOfShape',
    doc: 'a tensor of the given shape filled with value (a one-element tensor; default f32 0)',
    inputs: [operand('input')],
    shapeOperands: [0],
    outputs: [operand('output')],
    attrs: { value: { type: 'tensor', default: makeTensor('f32', [1], [0]) } },
    infer: (ctx) => {
      const value = ctx.attr<Tensor>('value');
      if (value.data.length !== 1) ctx.fail(`ConstantOfShape value must hold one element, got shape [${value.shape.join(',')}]`, 'BAD_SHAPE');
      const len = expectVector(ctx, 0, I64, 'input');
      const dims = constantInts(ctx, 0);
      if (dims) {
        if (dims.some((d) => d < 0)) ctx.fail(`ConstantOfShape shape [${dims.join(',')}] has a negative dim`, 'BAD_SHAPE');
        return [tensorType(value.dtype, dims)];
      }
      if (len === undefined) ctx.fail('ConstantOfShape input must be constant or have a static length', 'BAD_SHAPE');
      return [tensorType(value.dtype, unknownShape(len!))];
    },
  }),
);

/** Range's element count, max(ceil((limit - start) / delta), 0). */
export function rangeLength(start: number, limit: number, delta: number): number {
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

/**
 * Range's values from its three scalar operands: exact BigInt arithmetic for 64-bit integers, otherwise
 * start + i * delta stored into the dtype's array (f16/bf16 are held as f32 here; callers round them).
 */
export function rangeValues(start: Tensor, limit: Tensor, delta: Tensor): Tensor {
  const dtype: DType = start.dtype;
  if (isBigInt(dtype)) {
    const [s, l, d] = [start, limit, delta].map((t) => (t.data as BigInt64Array)[0]!) as [bigint, bigint, bigint];
    const span = l - s;
    let n = span / d;
    if (n * d !== span && span > 0n === d > 0n) n += 1n;
    const count = n > 0n ? Number(n) : 0;
    const data = allocArray(dtype, count) as BigInt64Array;
    for (let i = 0; i < count; i++) data[i] = s + BigInt(i) * d;
    return { dtype, shape: [count], data };
  }
  const [s, l, d] = [start, limit, delta].map((t) => Number(t.data[0])) as [number, number, number];
  const count = rangeLength(s, l, d);
  const data = allocArray(dtype, count);
  for (let i = 0; i < count; i++) (data as Float64Array)[i] = s + i * d;
  return { dtype, shape: [count], data };
}

/** Pad's input coordinate for output coordinate `o` of a padded axis, or -1 for a constant-filled position. */
export function padSourceIndex(mode: string, o: number, begin: number, dim: number): number {
  let i = o - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case 'edge':
      return i < 0 ? 0 : dim - 1;
    case 'wrap':
      return ((i % dim) + dim) % dim;
    case 'reflect': {
      if (dim === 1) return 0;
      const period = 2 * (dim - 1);
      i = ((i % period) + period) % period;
      return i < dim ? i : period - i;
    }
    default:
      return -1;
  }
}

registerOp(
  schema({
    name: 'Range',
    doc: 'the 1-D sequence start, start + delta, ... up to (not including) limit',
    inputs: [operand('start'), operand('limit'), operand('delta')],
    shapeOperands: [0, 1, 2],
    outputs: [operand('output')],
    infer: (ctx) => {
      const dtype = expectSameDType(ctx);
      expectDType(ctx, 0, NUMERIC_TYPES);
      for (let i = 0; i < 3; i++) {
        const t = ctx.input(i);
        if (t.shape.length > 1 || (t.shape.length === 1 && t.shape[0] !== 1)) ctx.fail(`Range operand ${i} must be a scalar, got ${formatType(t)}`, 'BAD_SHAPE');
      }
      const [s, l, d] = [0, 1, 2].map((i) => constantInts(ctx, i)?.[0]);
      if (d === 0) ctx.fail('Range delta must not be 0', 'BAD_SHAPE');
      const n = s !== undefined && l !== undefined && d !== undefined ? rangeLength(s, l, d) : UNKNOWN_DIM;
      return [tensorType(dtype, [n])];
    },
  }),
);

registerOp(
  schema({
    name: 'Tile',
    doc: 'repeats the input repeats[i] times along each axis i',
    inputs: [operand('input'), operand('repeats')],
    shapeOperands: [1],
    outputs: [operand('output')],
    infer: (ctx) => {
      const x = ctx.input(0);
      const len = expectVector(ctx, 1, I64, 'repeats');
      if (len !== undefined && len !== x.shape.length) ctx.fail(`Tile repeats has ${len} values for an input of rank ${x.shape.length}`, 'BAD_SHAPE');
      const reps = constantInts(ctx, 1);
      if (!reps) return [tensorType(x.dtype, unknownShape(x.shape.length))];
      if (reps.some((r) => r < 0)) ctx.fail(`Tile repeats [${reps.join(',')}] must not be negative`, 'BAD_SHAPE');
      return [tensorType(x.dtype, x.shape.map((d, i) => (typeof d === 'number' ? d * reps[i]! : reps[i] === 1 ? d : reps[i] === 0 ? 0 : UNKNOWN_DIM)))];
    },
  }),
);
