import { allocArray, EdgecError, makeTensor, numel, type Tensor, type TypedArray } from '../../../ir/index.js';

/**
 * Moving between a tensor and its slices along one axis, for Loop's and Scan's scan outputs and Scan's scan
 * inputs. With shape = outer x n x inner (n at `axis`), slice i is the inner-sized runs at offsets
 * (o * n + i) * inner for each o < outer; stacking T slices writes them back at the same offsets with n = T.
 */

type Writable = TypedArray & { set(src: ArrayLike<number> & ArrayLike<bigint>, offset?: number): void };

export function sliceAlong(t: Tensor, axis: number, index: number): Tensor {
  const n = t.shape[axis]!;
  const outer = numel(t.shape.slice(0, axis));
  const inner = numel(t.shape.slice(axis + 1));
  const out = allocArray(t.dtype, outer * inner) as Writable;
  for (let o = 0; o < outer; o++) {
    const start = (o * n + index) * inner;
    out.set(t.data.subarray(start, start + inner) as never, o * inner);
  }
  return { dtype: t.dtype, shape: t.shape.filter((_, d) => d !== axis), data: out };
}

/** Stacks equal-shaped parts along a new axis; `empty` is the part shape to use when there are no parts. */
export function stackAlong(parts: readonly Tensor[], axis: number, empty: { dtype: Tensor['dtype']; shape: readonly number[] }, what: string): Tensor {
  if (parts.length === 0) {
    const shape = [...empty.shape];
    shape.splice(axis, 0, 0);
    return makeTensor(empty.dtype, shape);
  }
  const first = parts[0]!;
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.shape.join() !== first.shape.join()) {
      throw new EdgecError('RUNTIME', `${what}: iterations give [${first.shape.join(',')}] and [${p.shape.join(',')}], which cannot be stacked`);
    }
  }
  const count = parts.length;
  const outer = numel(first.shape.slice(0, axis));
  const inner = numel(first.shape.slice(axis));
  const out = allocArray(first.dtype, outer * count * inner) as Writable;
  parts.forEach((p, t) => {
    for (let o = 0; o < outer; o++) out.set(p.data.subarray(o * inner, (o + 1) * inner) as never, (o * count + t) * inner);
  });
  const shape = [...first.shape];
  shape.splice(axis, 0, count);
  return { dtype: first.dtype, shape, data: out };
}
