import { allocArray, broadcastShapes, EdgecError, isBigInt, numel, stridesOf, type DType, type Tensor } from '../../../ir/index.js';
import { padSourceIndex, rangeValues, shapeWindow, sliceAxis } from '../../../ir/ops/tensor-ops.js';
import { registerKernels, type Kernel, type KernelContext } from './registry.js';
import { castTensor } from './tensor/cast.js';
import { affineOffsets, copyRange, gatherByAxisOffsets, intsOf, slots, withShape, zeroOf } from './tensor/copy.js';

/**
 * Reference kernels for the tensor manipulation ops. Data movement copies elements as they are (see
 * tensor/copy.ts), so every dtype, int64 included, passes through exactly.
 */

const axisOf = (ctx: KernelContext, axis: number, rank: number): number => {
  if (axis < -rank || axis >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
};

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function reshapeTarget(x: Tensor, target: number[], allowZero: boolean, ctx: KernelContext): number[] {
  const dims = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] ?? ctx.fail(`shape copies dim ${i} of a rank-${x.shape.length} input`) : d));
  const inferred = dims.indexOf(-1);
  const n = numel(x.shape);
  if (inferred >= 0) {
    const rest = product(dims.filter((_, i) => i !== inferred));
    if (rest === 0 || n % rest !== 0) ctx.fail(`cannot reshape [${x.shape.join(',')}] to [${target.join(',')}]`);
    dims[inferred] = n / rest;
  }
  if (product(dims) !== n || dims.some((d) => d < 0)) ctx.fail(`cannot reshape [${x.shape.join(',')}] (${n} elements) to [${target.join(',')}]`);
  return dims;
}

const Reshape: Kernel = ([x, shape], ctx) => [withShape(x!, reshapeTarget(x!, intsOf(shape!), ctx.attr<number>('allowzero') !== 0, ctx))];

const Flatten: Kernel = ([x], ctx) => {
  const rank = x!.shape.length;
  const a = ctx.attr<number>('axis');
  const axis = a < 0 ? a + rank : a;
  return [withShape(x!, [product(x!.shape.slice(0, axis)), product(x!.shape.slice(axis))])];
};

const Transpose: Kernel = ([x], ctx) => {
  const rank = x!.shape.length;
  const perm = ctx.hasAttr('perm') ? ctx.attr<number[]>('perm').map((p) => (p < 0 ? p + rank : p)) : x!.shape.map((_, i) => rank - 1 - i);
  const strides = stridesOf(x!.shape);
  const shape = perm.map((p) => x!.shape[p]!);
  return [gatherByAxisOffsets(x!, shape, perm.map((p, a) => affineOffsets(shape[a]!, 0, 1, strides[p]!)))];
};

const Concat: Kernel = (inputs, ctx) => {
  const parts = inputs.filter((t): t is Tensor => t !== null);
  const first = parts[0]!;
  const axis = axisOf(ctx, ctx.attr<number>('axis'), first.shape.length);
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, t) => s + t.shape[axis]!, 0);
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const data = allocArray(first.dtype, numel(shape));
  let to = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of parts) {
      const chunk = t.shape[axis]! * inner;
      copyRange(data, to, t.data, o * chunk, chunk);
      to += chunk;
    }
  }
  return [{ dtype: first.dtype, shape, data }];
};

function splitSizes(dim: number, split: Tensor | null, ctx: KernelContext): number[] {
  const count = ctx.node.outputs.length;
  if (split) return intsOf(split);
  if (ctx.hasAttr('num_outputs')) {
    const n = ctx.attr<number>('num_outputs');
    const chunk = Math.ceil(dim / n);
    return Array.from({ length: n }, (_, i) => (i < n - 1 ? chunk : dim - chunk * (n - 1)));
  }
  return new Array<number>(count).fill(dim / count);
}

const Split: Kernel = ([x, split], ctx) => {
  const axis = axisOf(ctx, ctx.attr<number>('axis'), x!.shape.length);
  const dim = x!.shape[axis]!;
  const sizes = splitSizes(dim, split ?? null, ctx);
  if (sizes.reduce((a, b) => a + b, 0) !== dim || sizes.some((s) => s < 0 || !Number.isInteger(s))) {
    ctx.fail(`cannot split a dim of ${dim} into [${sizes.join(',')}]`);
  }
  const outer = product(x!.shape.slice(0, axis));
  const inner = product(x!.shape.slice(axis + 1));
  let offset = 0;
  return sizes.map((size) => {
    const shape = x!.shape.map((d, i) => (i === axis ? size : d));
    const data = allocArray(x!.dtype, numel(shape));
    for (let o = 0; o < outer; o++) copyRange(data, o * size * inner, x!.data, (o * dim + offset) * inner, size * inner);
    offset += size;
    return { dtype: x!.dtype, shape, data };
  });
};

const Slice: Kernel = ([x, startsT, endsT, axesT, stepsT], ctx) => {
  const rank = x!.shape.length;
  const starts = intsOf(startsT!);
  const ends = intsOf(endsT!);
  const axes = axesT ? intsOf(axesT).map((a) => axisOf(ctx, a, rank)) : starts.map((_, i) => i);
  const steps = stepsT ? intsOf(stepsT) : starts.map(() => 1);
  const strides = stridesOf(x!.shape);
  const shape = [...x!.shape];
  const offsets = shape.map((d, a) => affineOffsets(d, 0, 1, strides[a]!));
  axes.forEach((axis, k) => {
    if (steps[k] === 0) ctx.fail('Slice step must not be 0');
    const { start, count } = sliceAxis(x!.shape[axis]!, starts[k]!, ends[k]!, steps[k]!);
    shape[axis] = count;
    offsets[axis] = affineOffsets(count, start, steps[k]!, strides[axis]!);
  });
  return [gatherByAxisOffsets(x!, shape, offsets)];
};

const Gather: Kernel = ([x, indices], ctx) => {
  const axis = axisOf(ctx, ctx.attr<number>('axis'), x!.shape.length);
  const dim = x!.shape[axis]!;
  const idx = intsOf(indices!).map((i) => {
    if (i < -dim || i >= dim) ctx.fail(`Gather index ${i} is out of range for a dim of ${dim}`);
    return i < 0 ? i + dim : i;
  });
  const outer = product(x!.shape.slice(0, axis));
  const inner = product(x!.shape.slice(axis + 1));
  const shape = [...x!.shape.slice(0, axis), ...indices!.shape, ...x!.shape.slice(axis + 1)];
  const data = allocArray(x!.dtype, numel(shape));
  let to = 0;
  for (let o = 0; o < outer; o++) {
    for (const i of idx) {
      copyRange(data, to, x!.data, (o * dim + i) * inner, inner);
      to += inner;
    }
  }
  return [{ dtype: x!.dtype, shape, data }];
};

const GatherElements: Kernel = ([x, indices], ctx) => {
  const rank = x!.shape.length;
  const axis = axisOf(ctx, ctx.attr<number>('axis'), rank);
  const dim = x!.shape[axis]!;
  const shape = [...indices!.shape];
  const idx = intsOf(indices!);
  const strides = stridesOf(x!.shape);
  const data = allocArray(x!.dtype, idx.length);
  const out = slots(data);
  const src = slots(x!.data);
  const coord = new Array<number>(rank).fill(0);
  for (let o = 0; o < idx.length; o++) {
    let i = idx[o]!;
    if (i < -dim || i >= dim) ctx.fail(`GatherElements index ${i} is out of range for a dim of ${dim}`);
    if (i < 0) i += dim;
    let from = 0;
    for (let a = 0; a < rank; a++) from += (a === axis ? i : coord[a]!) * strides[a]!;
    out[o] = src[from];
    for (let a = rank - 1; a >= 0; a--) {
      if (++coord[a]! < shape[a]!) break;
      coord[a] = 0;
    }
  }
  return [{ dtype: x!.dtype, shape, data }];
};

const Squeeze: Kernel = ([x, axesT], ctx) => {
  const rank = x!.shape.length;
  const axes = axesT ? intsOf(axesT).map((a) => axisOf(ctx, a, rank)) : x!.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (x!.shape[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of size ${x!.shape[a]}`);
  return [withShape(x!, x!.shape.filter((_, i) => !axes.includes(i)))];
};

const Unsqueeze: Kernel = ([x, axesT], ctx) => {
  const rank = x!.shape.length + axesT!.data.length;
  const axes = intsOf(axesT!).map((a) => axisOf(ctx, a, rank));
  const shape: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x!.shape[next++]!);
  return [withShape(x!, shape)];
};

/** Offsets that read `x` broadcast to `shape` (size-1 and missing leading axes repeat). */
function broadcastOffsets(x: Tensor, shape: readonly number[]): Int32Array[] {
  const strides = stridesOf(x.shape);
  const lead = shape.length - x.shape.length;
  return shape.map((d, a) => {
    const src = a - lead;
    if (src < 0 || x.shape[src] === 1) return new Int32Array(d);
    return affineOffsets(d, 0, 1, strides[src]!);
  });
}

const Expand: Kernel = ([x, shapeT], ctx) => {
  const shape = broadcastShapes([x!.shape, intsOf(shapeT!)]) as number[] | undefined;
  if (!shape) ctx.fail(`cannot expand [${x!.shape.join(',')}] to [${intsOf(shapeT!).join(',')}]`);
  return [gatherByAxisOffsets(x!, shape!, broadcastOffsets(x!, shape!))];
};

const Pad: Kernel = ([x, padsT, cv, axesT], ctx) => {
  const rank = x!.shape.length;
  const mode = ctx.attr<string>('mode');
  const axes = axesT ? intsOf(axesT).map((a) => axisOf(ctx, a, rank)) : x!.shape.map((_, i) => i);
  const pads = intsOf(padsT!);
  if (pads.length !== 2 * axes.length) ctx.fail(`pads has ${pads.length} values for ${axes.length} axes`);
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((a, k) => {
    begin[a] = pads[k]!;
    end[a] = pads[k + axes.length]!;
  });
  const shape = x!.shape.map((d, a) => d + begin[a]! + end[a]!);
  if (shape.some((d) => d < 0)) ctx.fail(`pads [${pads.join(',')}] crop [${x!.shape.join(',')}] below zero`);
  if (mode !== 'constant' && numel(x!.shape) === 0 && numel(shape) > 0) ctx.fail(`${mode} padding of an empty tensor`);
  const strides = stridesOf(x!.shape);
  const offsets = shape.map((d, a) => {
    const o = new Int32Array(d);
    for (let k = 0; k < d; k++) {
      const src = padSourceIndex(mode, k, begin[a]!, x!.shape[a]!);
      o[k] = src < 0 ? -1 : src * strides[a]!;
    }
    return o;
  });
  const fill = cv ? slots(cv.data)[0] : zeroOf(x!.dtype);
  return [gatherByAxisOffsets(x!, shape, offsets, fill)];
};

const Tile: Kernel = ([x, repeatsT]) => {
  const reps = intsOf(repeatsT!);
  const strides = stridesOf(x!.shape);
  const shape = x!.shape.map((d, a) => d * reps[a]!);
  const offsets = shape.map((d, a) => {
    const o = new Int32Array(d);
    for (let k = 0; k < d; k++) o[k] = (k % x!.shape[a]!) * strides[a]!;
    return o;
  });
  return [gatherByAxisOffsets(x!, shape, offsets)];
};

const Shape: Kernel = ([x], ctx) => {
  const [start, end] = shapeWindow(x!.shape.length, ctx.attr<number>('start'), ctx.hasAttr('end') ? ctx.attr<number>('end') : undefined);
  const dims = x!.shape.slice(start, Math.max(start, end));
  return [{ dtype: 'i64', shape: [dims.length], data: BigInt64Array.from(dims, (d) => BigInt(d)) }];
};

const Size: Kernel = ([x]) => [{ dtype: 'i64', shape: [], data: BigInt64Array.of(BigInt(numel(x!.shape))) }];

const Dropout: Kernel = ([x, , training]) => {
  if (training && training.data[0]) {
    throw new EdgecError('UNSUPPORTED_FEATURE', 'Dropout with training_mode = true is not supported (edgec runs inference graphs)');
  }
  return [x!, { dtype: 'bool', shape: [...x!.shape], data: new Uint8Array(x!.data.length).fill(1) }];
};

const ConstantOfShape: Kernel = ([shapeT], ctx) => {
  const value = ctx.attr<Tensor>('value');
  const shape = intsOf(shapeT!);
  const data = allocArray(value.dtype, numel(shape));
  const out = slots(data);
  const v = slots(value.data)[0];
  for (let i = 0; i < data.length; i++) out[i] = v;
  return [{ dtype: value.dtype, shape, data }];
};

const Range: Kernel = ([start, limit, delta]) => {
  const values = rangeValues(start!, limit!, delta!);
  // f16/bf16 values were computed in f32: round them to the dtype.
  const { dtype } = values;
  return [dtype === 'f16' || dtype === 'bf16' ? castTensor({ ...values, dtype: 'f32' }, dtype) : values];
};

registerKernels({
  Reshape,
  Flatten,
  Transpose,
  Concat,
  Split,
  Slice,
  Gather,
  GatherElements,
  Squeeze,
  Unsqueeze,
  Expand,
  Pad,
  Tile,
  Shape,
  Size,
  Cast: ([x], ctx) => [castTensor(x!, ctx.attr<string>('to') as DType)],
  CastLike: ([x, like]) => [castTensor(x!, like!.dtype)],
  Dropout,
  ConstantOfShape,
  Range,
});
