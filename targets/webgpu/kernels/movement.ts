import { dtypeBytes, getAttr, opTraits, registeredOps, type Node, type Tensor, type Value } from '../../../ir/index.js';
import { shapeWindow } from '../../../ir/ops/tensor-ops.js';
import { viewProblem } from '../../shared/views.js';
import { expandBox, sliceBox, tileBox, transposeBox, type Box as WasmBox } from '../../shared/box.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, i32Literal, rowMajorStrides, stridedIndex, u32Literal as u } from '../wgsl.js';
import { byteBoxDispatch, byteConcatDispatch } from './movement-bytes.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * Data movement, dtype-agnostic over 4- and 8-byte elements (moved as one or two u32 words; 1- and 2-byte ones
 * a packed word at a time through movement-bytes.ts): Transpose,
 * Slice, Expand, Tile, Concat and Split as strided boxes, Gather and GatherElements (constant or run-time
 * indices), Pad (constant, edge, wrap, reflect), Shape and Size (compile-time values),
 * and the views (Reshape, Flatten, Squeeze, Unsqueeze, Identity), which cost nothing when plan-memory placed
 * the result over the operand and are a copy otherwise (a graph input, say).
 */

/** A copy of `dims` elements: source element offsets by `src` strides, destination by `dst` strides. */
interface Box {
  dims: number[];
  src: number[];
  dst: number[];
  srcBase: number;
  dstBase: number;
}

const intsOf = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);
const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const wordsOf = (v: Value) => dtypeBytes(v.type.dtype) / 4;

function contiguous(dims: number[]): Box {
  return { dims, src: rowMajorStrides(dims), dst: rowMajorStrides(dims), srcBase: 0, dstBase: 0 };
}

/** The wasm target's boxes for these ops (the same strided copies), with zero bases. */
const withBases = (box: WasmBox, srcBase = 0): Box => ({ ...box, srcBase, dstBase: 0 });
const BOX_BUILDERS: Record<string, (node: Node) => Box> = {
  Transpose: (node) => withBases(transposeBox(node)),
  Expand: (node) => withBases(expandBox(node)),
  Tile: (node) => withBases(tileBox(node)),
  Slice: (node) => {
    const { box, srcOffset } = sliceBox(node);
    return withBases(box, srcOffset);
  },
};

function concatBoxes(node: Node): { value: Value; box: Box }[] {
  const shape = shapeOf(node.outputs[0]!);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const outStrides = rowMajorStrides(shape);
  let offset = 0;
  const parts: { value: Value; box: Box }[] = [];
  for (const v of node.inputs) {
    if (!v) continue;
    const dims = shapeOf(v);
    parts.push({ value: v, box: { dims, src: rowMajorStrides(dims), dst: outStrides, srcBase: 0, dstBase: offset * outStrides[axis]! } });
    offset += dims[axis]!;
  }
  return parts;
}

/** Split: output k is the box [outer, d_k * inner] of the operand starting at the sum of the earlier d's. */
function splitBoxes(node: Node): { value: Value; box: Box }[] {
  const shape = shapeOf(node.inputs[0]!);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  let start = 0;
  return node.outputs.map((value) => {
    const d = shapeOf(value)[axis]!;
    const box = { dims: [outer, d * inner], src: [shape[axis]! * inner, 1], dst: [d * inner, 1], srcBase: start * inner, dstBase: 0 };
    start += d;
    return { value, box };
  });
}

/**
 * One invocation per element of the box copies its words. The source may be signed offsets (a stride-(-1)
 * Slice): strides and bases are then summed as i32.
 */
function boxDispatch(ctx: GpuEmitContext, from: Value, to: Value, box: Box): Dispatch[] {
  const total = product(box.dims);
  if (total === 0) return [];
  const w = wordsOf(to);
  const [src, dst] = [ctx.locate(from), ctx.locate(to)];
  const signed = box.src.some((s) => s < 0);
  const lines: string[] = [];
  if (signed) {
    const outStrides = rowMajorStrides(box.dims);
    const terms = box.dims.map((d, a) => (d === 1 || box.src[a] === 0 ? '' : `i32((i / ${u(outStrides[a]!)}) % ${u(d)}) * ${i32Literal(box.src[a]!)}`)).filter(Boolean);
    lines.push(`  let s = u32(${[i32Literal(box.srcBase), ...terms].join(' + ')});`);
  } else {
    lines.push(`  ${stridedIndex('s', 'i', box.dims, box.src, box.srcBase)}`);
  }
  lines.push(`  ${stridedIndex('d', 'i', box.dims, box.dst, box.dstBase)}`);
  for (let k = 0; k < w; k++) {
    const [sk, dk] = w === 1 ? ['s', 'd'] : [`s * ${u(w)} + ${u(k)}`, `d * ${u(w)} + ${u(k)}`];
    lines.push(`  ${at(dst, dk)} = ${at(src, sk)};`);
  }
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, lines.join('\n'));
  return [{ code: `${bindings('u32')}\n${code}\n`, workgroups }];
}

function emitGather(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const [data, indices] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const shape = shapeOf(data);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const dim = shape[axis]!;
  const inner = product(shape.slice(axis + 1));
  const count = product(shapeOf(indices));
  const total = product(shapeOf(out));
  if (total === 0) return [];
  const lines = [
    `  let inner = i % ${u(inner)};`,
    `  let q = (i / ${u(inner)}) % ${u(count)};`,
    `  let outer = i / ${u(inner * count)};`,
  ];
  const { table, read } = indexRead(ctx, indices, 'q');
  lines.push(read, clampedIndex(dim));
  lines.push(`  let s = (outer * ${u(dim)} + idx) * ${u(inner)} + inner;`);
  return wordCopy(ctx, data, out, total, lines, table);
}

/** `let idx`: the index `raw` read; negative ones count from the end, out-of-range ones are clamped (the reference rejects them). */
const clampedIndex = (dim: number) => `  let idx = u32(clamp(select(raw, raw + ${i32Literal(dim)}, raw < 0i), 0i, ${i32Literal(dim - 1)}));`;

/** The dispatch running `lines` (which compute `let s`, the source element of output element i), then copying its words. */
function wordCopy(ctx: GpuEmitContext, from: Value, to: Value, total: number, lines: string[], prelude = ''): Dispatch[] {
  if (dtypeBytes(to.type.dtype) < 4) {
    // Sub-word elements: an invocation per output word, each element's source read out of its word.
    const fn = `${prelude}${loader(ctx, 'ld_x', from)}\nfn element(o: u32) -> i32 {\n  let i = o;\n${lines.join('\n')}\n  return ld_x(s);\n}`;
    return [outputKernel(ctx, to, total, fn)];
  }
  const w = wordsOf(to);
  const [src, dst] = [ctx.locate(from), ctx.locate(to)];
  for (let k = 0; k < w; k++) {
    lines.push(`  ${at(dst, w === 1 ? 'i' : `i * 2u + ${u(k)}`)} = ${at(src, w === 1 ? 's' : `s * 2u + ${u(k)}`)};`);
  }
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, lines.join('\n'));
  return [{ code: `${bindings('u32')}\n${prelude}${code}\n`, workgroups }];
}

/**
 * `var raw`: index element `q`, from a constant table in the shader for constant indices, else read from the
 * i32 or i64 tensor (an i64's low word: any index of a tensor below 2^31 elements).
 */
function indexRead(ctx: GpuEmitContext, indices: Value, q: string, inShader = true): { table: string; read: string } {
  if (indices.data && inShader) {
    const values = intsOf(indices.data);
    return { table: `const INDICES = array<i32, ${values.length}>(${values.map((x) => i32Literal(x)).join(', ')});\n`, read: `  var raw = INDICES[${q}];` };
  }
  return { table: '', read: `  var raw = bitcast<i32>(${at(ctx.locate(indices), wordsOf(indices) === 1 ? q : `${q} * 2u`)});` };
}

/** GatherElements: output element i (coordinates c over the indices' shape) reads data at c with c[axis] = indices[i]. */
function emitGatherElements(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const [data, indices] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const shape = shapeOf(data);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const dims = shapeOf(indices);
  const total = product(dims);
  if (total === 0) return [];
  const dataStrides = rowMajorStrides(shape);
  // Constant indices are read from the weights buffer: a shader-constant table indexed at run time is copied
  // per invocation by some compilers (SwiftShader: 2x slower than ort-web on 4096 indices).
  const { table, read } = indexRead(ctx, indices, 'i', false);
  const lines = [read, clampedIndex(shape[axis]!)];
  lines.push(`  ${stridedIndex('rest', 'i', dims, dataStrides.map((st, a) => (a === axis ? 0 : st)))}`);
  lines.push(`  let s = rest + idx * ${u(dataStrides[axis]!)};`);
  return wordCopy(ctx, data, out, total, lines, table);
}

/**
 * WGSL for the source coordinate of coordinate `c` (relative to the data's start) of an axis of extent n, by
 * ir's padSourceIndex: edge clamps, wrap is periodic with period n, reflect with period 2 (n - 1) mirrored.
 * Each is the identity inside [0, n), so it applies to every coordinate.
 */
function padSource(mode: string, c: string, n: number): string {
  if (mode === 'edge') return `clamp(${c}, 0i, ${i32Literal(n - 1)})`;
  if (mode === 'wrap') return `(((${c} % ${i32Literal(n)}) + ${i32Literal(n)}) % ${i32Literal(n)})`;
  if (n === 1) return '0i';
  const p = i32Literal(2 * (n - 1));
  return `select(${p} - (((${c} % ${p}) + ${p}) % ${p}), ((${c} % ${p}) + ${p}) % ${p}, ((${c} % ${p}) + ${p}) % ${p} < ${i32Literal(n)})`;
}

/**
 * Pad with constant pads: out-of-range output elements take the constant value's words (constant mode; a
 * compile-time value is inlined, a run-time one read from its buffer) or their edge, wrapped or reflected
 * source element.
 */
function emitPad(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const data = node.inputs[0]!;
  const out = node.outputs[0]!;
  const shape = shapeOf(data);
  const rank = shape.length;
  const pads = intsOf(node.inputs[1]!.data!);
  const axes = node.inputs[3] ? intsOf(node.inputs[3].data!).map((a) => axisOf(a, rank)) : shape.map((_, a) => a);
  const begin = new Array<number>(rank).fill(0);
  axes.forEach((a, k) => (begin[a] = pads[k]!));
  const outShape = shapeOf(out);
  const total = product(outShape);
  if (total === 0) return [];
  const w = wordsOf(out);
  const fill = new Uint32Array(w);
  const cv = node.inputs[2];
  if (cv?.data && cv.data.data.length > 0) {
    const bytes = new Uint8Array(w * 4);
    const view = new DataView(bytes.buffer);
    const x = cv.data.data[0]!;
    if (cv.type.dtype === 'f32') view.setFloat32(0, Number(x), true);
    else if (w === 2) view.setBigInt64(0, BigInt(x), true);
    else view.setInt32(0, Number(x), true);
    fill.set(new Uint32Array(bytes.buffer));
  }
  const outStrides = rowMajorStrides(outShape);
  const inStrides = rowMajorStrides(shape);
  const mode = getAttr<string>(node, 'mode');
  const lines = ['  var s = 0i;', '  var inside = true;'];
  outShape.forEach((d, a) => {
    lines.push(`  { let c = i32((i / ${u(outStrides[a]!)}) % ${u(d)}) - ${i32Literal(begin[a]!)};`);
    if (mode === 'constant') lines.push(`    inside = inside && c >= 0i && c < ${i32Literal(shape[a]!)}; s = s + c * ${i32Literal(inStrides[a]!)}; }`);
    else lines.push(`    s = s + ${padSource(mode, 'c', shape[a]!)} * ${i32Literal(inStrides[a]!)}; }`);
  });
  const [src, dst] = [ctx.locate(data), ctx.locate(out)];
  for (let k = 0; k < w; k++) {
    const sIndex = w === 1 ? 'u32(s)' : `u32(s) * 2u + ${u(k)}`;
    // A run-time constant_value is read from its own words (element 0 of the scalar).
    const filler = cv && !cv.data ? at(ctx.locate(cv), u(k)) : u(fill[k]!);
    lines.push(`  if (inside) { ${at(dst, w === 1 ? 'i' : `i * 2u + ${u(k)}`)} = ${at(src, sIndex)}; } else { ${at(dst, w === 1 ? 'i' : `i * 2u + ${u(k)}`)} = ${filler}; }`);
  }
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, lines.join('\n'));
  return [{ code: `${bindings('u32')}\n${code}\n`, workgroups }];
}

const VIEWS = registeredOps().filter((op) => opTraits(op).view);

function constantOperands(node: Node, indices: number[]): string | null {
  for (const i of indices) {
    const v = node.inputs[i];
    if (v && !v.data) return `${node.op} needs a constant operand ${i}, but %${v.name} is computed at run time`;
  }
  return null;
}

/** Shape and Size: their i64 values are known at compile time; one invocation per element writes its words. */
function emitShapeValues(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const x = shapeOf(node.inputs[0]!);
  let values = [product(x)];
  if (node.op === 'Shape') {
    const [start, end] = shapeWindow(x.length, getAttr<number>(node, 'start'), node.attrs.end !== undefined ? getAttr<number>(node, 'end') : undefined);
    values = x.slice(start, Math.max(start, end));
  }
  if (values.length === 0) return [];
  const fn = `const VALUES = array<u32, ${values.length}>(${values.map((v) => u(v)).join(', ')});
fn element(o: u32) -> vec2<u32> { return vec2<u32>(VALUES[o], 0u); }`;
  return [outputKernel(ctx, node.outputs[0]!, values.length, fn)];
}

/** Inference Dropout's mask: every element true. */
const allTrue = (ctx: GpuEmitContext, mask: Value): Dispatch[] =>
  product(shapeOf(mask)) === 0 ? [] : [outputKernel(ctx, mask, product(shapeOf(mask)), 'fn element(o: u32) -> i32 { return 1i; }')];

export const movementKernels: GpuKernel = {
  ops: [...VIEWS, ...Object.keys(BOX_BUILDERS), 'Concat', 'Split', 'Gather', 'GatherElements', 'Pad', 'Shape', 'Size'],
  check(node) {
    if (node.op === 'Shape' || node.op === 'Size') return null;
    for (const v of [node.inputs[0], ...node.outputs]) {
      if (v && ![1, 2, 4, 8].includes(dtypeBytes(v.type.dtype))) return `the webgpu target moves 1-, 2-, 4- and 8-byte elements only (%${v.name} is ${v.type.dtype})`;
      if (v && dtypeBytes(v.type.dtype) === 1 && !['i8', 'u8', 'bool'].includes(v.type.dtype)) return `1-byte element type ${v.type.dtype} is not supported`;
      if (v && dtypeBytes(v.type.dtype) < 4 && node.op === 'Pad') return `${node.op} on ${dtypeBytes(v.type.dtype)}-byte elements is not supported`;
    }
    if (node.op === 'Concat') {
      const v = node.inputs.find((x) => x && dtypeBytes(x.type.dtype) !== dtypeBytes(node.outputs[0]!.type.dtype));
      if (v) return `Concat operand %${v.name} has another element size`;
    }
    if (node.op === 'Slice') return constantOperands(node, [1, 2, 3, 4]);
    if (node.op === 'Pad') {
      return constantOperands(node, [1, 3]);
    }
    if (node.op === 'Gather' || node.op === 'GatherElements') {
      const idx = node.inputs[1]!;
      if (!['i32', 'i64'].includes(idx.type.dtype)) return `${node.op} indices must be i32 or i64, got ${idx.type.dtype}`;
      if (node.op === 'Gather' && idx.data && idx.data.data.length > 4096) return `Gather with ${idx.data.data.length} constant indices is not supported (at most 4096)`;
    }
    return null;
  },
  checkDims(node) {
    if (VIEWS.includes(node.op)) return viewProblem(node, { fillsMask: true });
    const mode = node.op === 'Pad' ? getAttr<string>(node, 'mode') : 'constant';
    const empty = mode !== 'constant' && product(shapeOf(node.inputs[0]!)) === 0 && product(shapeOf(node.outputs[0]!)) > 0;
    return empty ? `${mode} padding of an empty tensor` : null;
  },
  emit(node, ctx) {
    const out = node.outputs[0]!;
    const x = node.inputs[0]!;
    // 1- and 2-byte elements share words: one invocation assembles an output word (movement-bytes.ts).
    const bytes = dtypeBytes(out.type.dtype) < 4;
    const copy = (box: Box) => (bytes ? byteBoxDispatch(ctx, x, out, box) : boxDispatch(ctx, x, out, box));
    if (node.op === 'Shape' || node.op === 'Size') return emitShapeValues(node, ctx);
    if (VIEWS.includes(node.op)) {
      const [a, b] = [ctx.locate(x), ctx.locate(out)];
      const mask = node.op === 'Dropout' && node.outputs[1] ? allTrue(ctx, node.outputs[1]) : [];
      if (a.buffer === b.buffer && a.offset === b.offset) return mask;
      return [...copy(contiguous([product(shapeOf(out))])), ...mask];
    }
    if (bytes && node.op === 'Concat') return byteConcatDispatch(node, ctx);
    if (node.op === 'Concat') return concatBoxes(node).flatMap(({ value, box }) => boxDispatch(ctx, value, out, box));
    if (node.op === 'Split') return splitBoxes(node).flatMap(({ value, box }) => (bytes ? byteBoxDispatch(ctx, x, value, box) : boxDispatch(ctx, x, value, box)));
    if (node.op === 'Gather') return emitGather(node, ctx);
    if (node.op === 'GatherElements') return emitGatherElements(node, ctx);
    if (node.op === 'Pad') return emitPad(node, ctx);
    return copy(BOX_BUILDERS[node.op]!(node));
  },
};
