import { type Node, type Tensor, type Value } from '../../ir/index.js';
import { sliceAxis } from '../../ir/ops/tensor-ops.js';

/**
 * The shape of every data-movement kernel (wasm and rvv): a strided box copy specialized to static shapes.
 * Element (i0, i1, ...) of the box is read at src + sum i_a * src[a] and written at dst + sum i_a * dst[a]
 * (strides in elements, possibly 0 for broadcasting or negative for reversed slices). Transpose, Slice, Expand,
 * Tile, Concat, Split and Pad are all one or a few boxes; fills are boxes whose source strides are all 0.
 */
export interface Box {
  dims: number[];
  src: number[];
  dst: number[];
}

/**
 * Drops size-1 dims and merges neighbours that are contiguous in both source and destination, so a copy that
 * is one run in memory becomes a single dim. Returns null for an empty box.
 */
export function simplifyBox(box: Box): Box | null {
  if (box.dims.some((d) => d === 0)) return null;
  const out: Box = { dims: [], src: [], dst: [] };
  box.dims.forEach((d, a) => {
    if (d === 1) return;
    const s = box.src[a]!;
    const t = box.dst[a]!;
    const k = out.dims.length - 1;
    if (k >= 0 && out.src[k] === s * d && out.dst[k] === t * d) {
      out.dims[k]! *= d;
      out.src[k] = s;
      out.dst[k] = t;
    } else {
      out.dims.push(d);
      out.src.push(s);
      out.dst.push(t);
    }
  });
  return out;
}

export const rowMajorStrides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let a = shape.length - 2; a >= 0; a--) s[a] = s[a + 1]! * shape[a + 1]!;
  return s;
};

const shapeOf = (v: Value): number[] => v.type.shape as number[];
const intsOf = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
const axisOf = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

// --- Transpose, Expand, Tile, Slice: one box each

export function transposeBox(node: Node): Box {
  const inShape = shapeOf(node.inputs[0]!);
  const rank = inShape.length;
  const strides = rowMajorStrides(inShape);
  const perm = node.attrs.perm ? (node.attrs.perm as number[]).map((p) => axisOf(p, rank)) : inShape.map((_, i) => rank - 1 - i);
  const dims = perm.map((p) => inShape[p]!);
  return { dims, src: perm.map((p) => strides[p]!), dst: rowMajorStrides(dims) };
}

export function expandBox(node: Node): Box {
  const inShape = shapeOf(node.inputs[0]!);
  const out = shapeOf(node.outputs[0]!);
  const strides = rowMajorStrides(inShape);
  const lead = out.length - inShape.length;
  return { dims: out, src: out.map((_, a) => (a < lead || inShape[a - lead] === 1 ? 0 : strides[a - lead]!)), dst: rowMajorStrides(out) };
}

/** Tile as a broadcast over doubled axes: output axis a is [repeats_a, dim_a] with source strides [0, stride_a]. */
export function tileBox(node: Node): Box {
  const inShape = shapeOf(node.inputs[0]!);
  const out = shapeOf(node.outputs[0]!);
  const strides = rowMajorStrides(inShape);
  const outStrides = rowMajorStrides(out);
  const box: Box = { dims: [], src: [], dst: [] };
  inShape.forEach((d, a) => {
    const reps = d === 0 ? 0 : out[a]! / d;
    box.dims.push(reps, d);
    box.src.push(0, strides[a]!);
    box.dst.push(d * outStrides[a]!, outStrides[a]!);
  });
  return box;
}

export function sliceBox(node: Node): { box: Box; srcOffset: number } {
  const inShape = shapeOf(node.inputs[0]!);
  const rank = inShape.length;
  const [starts, ends] = [1, 2].map((i) => intsOf(node.inputs[i]!.data!));
  const axes = node.inputs[3] ? intsOf(node.inputs[3].data!).map((a) => axisOf(a, rank)) : starts!.map((_, i) => i);
  const steps = node.inputs[4] ? intsOf(node.inputs[4].data!) : starts!.map(() => 1);
  const strides = rowMajorStrides(inShape);
  const dims = [...inShape];
  const src = [...strides];
  let srcOffset = 0;
  axes.forEach((axis, k) => {
    const { start, count } = sliceAxis(inShape[axis]!, starts![k]!, ends![k]!, steps[k]!);
    dims[axis] = count;
    src[axis] = strides[axis]! * steps[k]!;
    if (count > 0) srcOffset += start * strides[axis]!;
  });
  return { box: { dims, src, dst: rowMajorStrides(dims) }, srcOffset };
}

