import { getAttr, type Node, type Value } from '../../../ir/index.js';
import { shapeOf, product, type Dispatch, type GpuEmitContext } from '../kernel.js';
import { rowMajorStrides, stridedIndex, u32Literal as u } from '../wgsl.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * Data movement of 1- and 2-byte elements (the int8 graphs' i8 / u8 tensors, bool, f16 / bf16): words are the
 * smallest unit a shader can store, so one invocation assembles a whole output word from four (two) source
 * elements. Every op is a source
 * index per output element: a strided box (views, Transpose, Slice, Expand, Tile) or, for Concat, the part
 * the element's coordinate along the axis falls in.
 */
export interface ByteBox {
  dims: number[];
  src: number[];
  srcBase: number;
}

export function byteBoxDispatch(ctx: GpuEmitContext, from: Value, to: Value, box: ByteBox): Dispatch[] {
  const total = product(box.dims);
  if (total === 0) return [];
  const signed = box.src.some((s) => s < 0);
  const index = signed
    ? `let s = u32(${[String(box.srcBase) + 'i', ...box.dims.map((d, a) => (d === 1 || box.src[a] === 0 ? '' : `i32((o / ${u(rowMajorStrides(box.dims)[a]!)}) % ${u(d)}) * ${box.src[a]}i`)).filter(Boolean)].join(' + ')});`
    : stridedIndex('s', 'o', box.dims, box.src, box.srcBase);
  const fn = `${loader(ctx, 'ld_x', from)}
fn element(o: u32) -> i32 {
  ${index}
  return ld_x(s);
}`;
  return [outputKernel(ctx, to, total, fn)];
}

export function byteConcatDispatch(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const out = node.outputs[0]!;
  const shape = shapeOf(out);
  const rank = shape.length;
  const raw = getAttr<number>(node, 'axis');
  const axis = raw < 0 ? raw + rank : raw;
  const inner = product(shape.slice(axis + 1));
  const D = shape[axis]!;
  const total = product(shape);
  if (total === 0) return [];
  const parts = node.inputs.filter((v): v is Value => !!v && product(shapeOf(v)) > 0);
  const loaders: string[] = [];
  const branches: string[] = [];
  let start = 0;
  parts.forEach((v, k) => {
    const d = shapeOf(v)[axis]!;
    loaders.push(loader(ctx, `ld_${k}`, v));
    branches.push(`  if (c < ${u(start + d)}) { return ld_${k}((outer * ${u(d)} + c - ${u(start)}) * ${u(inner)} + rest); }`);
    start += d;
  });
  const fn = `${loaders.join('\n')}
fn element(o: u32) -> i32 {
  let rest = o % ${u(inner)};
  let c = (o / ${u(inner)}) % ${u(D)};
  let outer = o / ${u(inner * D)};
${branches.join('\n')}
  return 0i;
}`;
  return [outputKernel(ctx, out, total, fn)];
}
