import { EdgecError } from './errors.js';
import { UNKNOWN_DIM, type Dim } from './types.js';

/** Numpy-style multidirectional broadcasting of shapes; undefined when they do not broadcast. */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) {
        if (typeof dim === 'number' && typeof d === 'number') return undefined;
        // At least one side is symbolic: the result is whichever is known, else unknown.
        dim = typeof dim === 'number' ? dim : typeof d === 'number' ? d : UNKNOWN_DIM;
      }
    }
    out.push(dim);
  }
  return out;
}

/** An axis in [-rank, rank) made non-negative; throws BAD_SHAPE when out of range. */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  if (axis < -rank || axis >= rank) throw new EdgecError('BAD_SHAPE', `${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Product of dims, or undefined if any is symbolic. */
export function dimProduct(dims: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** Output size of a sliding window (conv/pool) along one axis; pads are the total of both sides. */
export function windowOutputSize(input: Dim, kernel: number, stride: number, dilation: number, padTotal: number, ceilMode = false): Dim {
  if (typeof input !== 'number') return UNKNOWN_DIM;
  const effective = dilation * (kernel - 1) + 1;
  const span = input + padTotal - effective;
  const size = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // With ceil_mode the last window must start inside the input or left padding (ONNX/PyTorch rule).
  if (ceilMode && (size - 1) * stride >= input + padTotal / 2) return size - 1;
  return size;
}

/**
 * Explicit pads [begin..., end...] for each spatial axis, resolving ONNX auto_pad. SAME_UPPER puts the odd
 * padding at the end, SAME_LOWER at the beginning.
 */
export function resolvePads(
  autoPad: string,
  pads: readonly number[] | undefined,
  inputSpatial: readonly Dim[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): number[] {
  const n = kernel.length;
  if (autoPad === 'NOTSET' || autoPad === '') {
    return pads && pads.length > 0 ? [...pads] : new Array<number>(2 * n).fill(0);
  }
  if (autoPad === 'VALID') return new Array<number>(2 * n).fill(0);
  const out = new Array<number>(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const size = inputSpatial[i];
    if (typeof size !== 'number') continue;
    const outSize = Math.ceil(size / strides[i]!);
    const total = Math.max(0, (outSize - 1) * strides[i]! + dilations[i]! * (kernel[i]! - 1) + 1 - size);
    const small = Math.floor(total / 2);
    const large = total - small;
    if (autoPad === 'SAME_UPPER') {
      out[i] = small;
      out[i + n] = large;
    } else {
      out[i] = large;
      out[i + n] = small;
    }
  }
  return out;
}
