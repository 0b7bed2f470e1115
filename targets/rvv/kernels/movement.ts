import { arrayToBytes, dtypeBytes, getAttr, opTraits, registeredOps, type Node, type Value } from '../../../ir/index.js';
import { viewProblem } from '../../shared/views.js';
import { expandBox, rowMajorStrides, simplifyBox, sliceBox, tileBox, transposeBox, type Box } from '../../shared/box.js';
import { product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { emitRuntimeGather } from './gather.js';

/**
 * Data movement as strided box copies (targets/shared/box.ts), dtype-agnostic by element width: Transpose,
 * Slice, Expand, Tile, Concat and Split are one box per operand or result, Pad a box into the interior and a fill
 * (constant mode, the value constant or read at run time) or a box per border slab (reflect, edge, wrap),
 * Gather with constant indices a box per index (with run-time indices, gather.ts); Size stores its constant.
 * The innermost box axis is one vector copy (unit-stride or strided loads and stores, LMUL=8); outer axes are
 * counted loops. Reshaping ops
 * (OpTraits.view: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) are views: plan-memory gives the
 * result the operand's bytes when it can, and otherwise the kernel copies.
 */

const VIEWS = registeredOps().filter((op) => opTraits(op).view);
const WIDTH_BITS: Readonly<Record<number, number>> = { 1: 8, 2: 16, 4: 32, 8: 64 };

const bytePtr = (ctx: CEmitContext, v: Value): string => `((uint8_t *)(${ctx.ptr(v)}))`;

/** C that copies one box of `width`-byte elements from src to dst (byte pointer expressions). */
export function emitBox(box: Box, width: number, dst: string, src: string): string {
  const b = simplifyBox(box);
  if (!b) return '';
  if (b.dims.length === 0) b.dims.push(1), b.src.push(1), b.dst.push(1);
  const bits = WIDTH_BITS[width]!;
  const type = `uint${bits}_t`;
  const last = b.dims.length - 1;
  const lines = [`{`, `  ${type} *d = (${type} *)(${dst});`, `  const ${type} *s = (const ${type} *)(${src});`];
  let indent = '  ';
  for (let a = 0; a < last; a++) {
    lines.push(`${indent}for (long i${a} = 0; i${a} < ${b.dims[a]}; i${a}++)`);
    indent += '  ';
  }
  const offset = (strides: number[]) => strides.slice(0, last).map((s, a) => `i${a} * ${s}L`).join(' + ') || '0';
  lines.push(`${indent}edgec_copy${bits}(d + ${offset(b.dst)}, ${b.dst[last]}, s + ${offset(b.src)}, ${b.src[last]}, ${b.dims[last]});`, `}`);
  return lines.join('\n');
}

function emitConcatOrSplit(node: Node, ctx: CEmitContext): string {
  const concat = node.op === 'Concat';
  const whole = concat ? node.outputs[0]! : node.inputs[0]!;
  const parts = (concat ? node.inputs : node.outputs).filter((v): v is Value => v !== null);
  const shape = shapeOf(whole);
  const axis = (a => (a < 0 ? a + shape.length : a))(getAttr<number>(node, 'axis'));
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const w = dtypeBytes(whole.type.dtype);
  let at = 0;
  const code: string[] = [];
  for (const v of parts) {
    const d = shapeOf(v)[axis]!;
    const wholeBox = [shape[axis]! * inner, 1];
    const partBox = [d * inner, 1];
    const box = { dims: [outer, d * inner], src: concat ? partBox : wholeBox, dst: concat ? wholeBox : partBox };
    const wholePtr = `${bytePtr(ctx, whole)} + ${at * inner * w}`;
    code.push(concat ? emitBox(box, w, wholePtr, bytePtr(ctx, v)) : emitBox(box, w, bytePtr(ctx, v), wholePtr));
    at += d;
  }
  return code.join('\n');
}

function emitView(node: Node, ctx: CEmitContext): string {
  const [x, y] = [node.inputs[0]!, node.outputs[0]!];
  const bytes = product(shapeOf(y)) * dtypeBytes(y.type.dtype);
  if (bytes === 0) return '';
  const move = `if ((const void *)${bytePtr(ctx, y)} != (const void *)${bytePtr(ctx, x)}) memmove(${bytePtr(ctx, y)}, ${bytePtr(ctx, x)}, ${bytes});`;
  // An inference Dropout's mask output: all true (one byte per bool).
  const mask = node.op === 'Dropout' ? node.outputs[1] : undefined;
  return mask ? `${move}\nmemset(${bytePtr(ctx, mask)}, 1, ${product(shapeOf(mask))});` : move;
}

const intsOf = (v: Value): number[] => Array.from(v.data!.data as ArrayLike<number | bigint>, Number);

/** Pad in constant mode: the output filled with the constant, then the input copied into its interior. */
function emitPad(node: Node, ctx: CEmitContext): string {
  const [x, , value, axesV] = node.inputs;
  const y = node.outputs[0]!;
  const inShape = shapeOf(x!);
  const outShape = shapeOf(y);
  const rank = inShape.length;
  const w = dtypeBytes(x!.type.dtype);
  const bits = WIDTH_BITS[w]!;
  const axes = axesV ? intsOf(axesV).map((a) => (a < 0 ? a + rank : a)) : inShape.map((_, i) => i);
  const pads = intsOf(node.inputs[1]!);
  const begin = new Array<number>(rank).fill(0);
  axes.forEach((a, k) => (begin[a] = pads[k]!));
  const outStrides = rowMajorStrides(outShape);
  const fill = value?.data ? new DataView(arrayToBytes(value.data.dtype, value.data.data).buffer) : null;
  const pattern = fill ? (w === 8 ? `${fill.getBigUint64(0, true)}ULL` : `${[0, fill.getUint8(0), fill.getUint16(0, true), 0, fill.getUint32(0, true)][w]}u`) : '0';
  const offset = begin.reduce((sum, b, a) => sum + b * outStrides[a]!, 0);
  const mode = getAttr<string>(node, 'mode');
  const interior = emitBox({ dims: inShape, src: rowMajorStrides(inShape), dst: outStrides }, w, `${bytePtr(ctx, y)} + ${offset * w}`, bytePtr(ctx, x!));
  if (mode !== 'constant') return [interior, ...padBorders(mode, inShape, outShape, begin).map(([dims, to, from]) => emitBox({ dims, src: outStrides, dst: outStrides }, w, `${bytePtr(ctx, y)} + ${to * w}`, `${bytePtr(ctx, y)} + ${from * w}`))].join('\n');
  // A run-time constant_value: the fill reads its one element.
  const filler = value && !value.data ? `*(const uint${bits}_t *)${bytePtr(ctx, value)}` : pattern;
  return [`{ uint${bits}_t *d = (uint${bits}_t *)${bytePtr(ctx, y)}; for (long i = 0; i < ${product(outShape)}; i++) d[i] = ${filler}; }`, interior].join('\n');
}

/** The interior index (0 <= . < n) an output position i (relative to the interior's start) copies in `mode`. */
function padSource(mode: string, i: number, n: number): number {
  if (mode === 'edge') return Math.min(Math.max(i, 0), n - 1);
  if (mode === 'wrap') return ((i % n) + n) % n;
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/**
 * Pad modes reflect / edge / wrap, after the input is copied into the interior: axis by axis, each border
 * slab (one position j of axis a) is copied from the interior slab padSource(j) names, within the output. A
 * slab spans the whole output along the axes already done (b < a) and the interior along the others, so
 * corners come out right. Returns [dims, destination offset, source offset] boxes (output strides).
 */
function padBorders(mode: string, inShape: number[], outShape: number[], begin: number[]): [number[], number, number][] {
  const strides = rowMajorStrides(outShape);
  const boxes: [number[], number, number][] = [];
  inShape.forEach((n, a) => {
    const dims = outShape.map((o, b) => (b < a ? o : inShape[b]!));
    dims[a] = 1;
    const base = begin.reduce((sum, s, b) => sum + (b > a ? s * strides[b]! : 0), 0);
    for (let j = 0; j < outShape[a]!; j++) {
      if (j >= begin[a]! && j < begin[a]! + n) continue;
      const from = begin[a]! + padSource(mode, j - begin[a]!, n);
      boxes.push([dims, base + j * strides[a]!, base + from * strides[a]!]);
    }
  });
  return boxes;
}

/** Gather with constant indices: one box (outer x inner) per index. */
function emitGather(node: Node, ctx: CEmitContext): string {
  const [x, indices] = node.inputs as Value[];
  const shape = shapeOf(x!);
  const axisAttr = getAttr<number>(node, 'axis');
  const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  const [outer, dim, inner] = [product(shape.slice(0, axis)), shape[axis]!, product(shape.slice(axis + 1))];
  const list = intsOf(indices!).map((i) => (i < 0 ? i + dim : i));
  const w = dtypeBytes(x!.type.dtype);
  const out = bytePtr(ctx, node.outputs[0]!);
  return list
    .map((k, j) => emitBox({ dims: [outer, inner], src: [dim * inner, 1], dst: [list.length * inner, 1] }, w, `${out} + ${j * inner * w}`, `${bytePtr(ctx, x!)} + ${k * inner * w}`))
    .join('\n');
}

function checkPadOrGather(node: Node): string | null {
  if (node.op === 'Pad') {
    if (intsOf(node.inputs[1]!).some((p) => p < 0)) return 'Pad with negative pads (cropping) is not supported on rvv';
    if (getAttr<string>(node, 'mode') !== 'constant' && shapeOf(node.inputs[0]!).some((n) => n === 0)) return `Pad mode ${getAttr<string>(node, 'mode')} of an empty tensor is not supported on rvv`;
    return null;
  }
  if (!node.inputs[1]!.data) return null;
  const indices = intsOf(node.inputs[1]!);
  const shape = shapeOf(node.inputs[0]!);
  const axisAttr = getAttr<number>(node, 'axis');
  const dim = shape[axisAttr < 0 ? axisAttr + shape.length : axisAttr]!;
  if (indices.some((i) => i < -dim || i >= dim)) return `Gather index out of range [${-dim}, ${dim})`;
  return indices.length > 1024 ? 'Gather with more than 1024 constant indices is not supported on rvv' : null;
}

function emitMovement(node: Node, ctx: CEmitContext): string {
  if (VIEWS.includes(node.op)) return emitView(node, ctx);
  // Size: the element count, known at compile time.
  if (node.op === 'Size') return `*(int64_t *)${bytePtr(ctx, node.outputs[0]!)} = ${product(shapeOf(node.inputs[0]!))};`;
  if (node.op === 'Pad') return emitPad(node, ctx);
  if (node.op === 'Gather') return node.inputs[1]!.data ? emitGather(node, ctx) : emitRuntimeGather(node, ctx);
  if (node.op === 'Concat' || node.op === 'Split') return emitConcatOrSplit(node, ctx);
  const [x, y] = [node.inputs[0]!, node.outputs[0]!];
  const w = dtypeBytes(x.type.dtype);
  switch (node.op) {
    case 'Transpose':
      return emitBox(transposeBox(node), w, bytePtr(ctx, y), bytePtr(ctx, x));
    case 'Expand':
      return emitBox(expandBox(node), w, bytePtr(ctx, y), bytePtr(ctx, x));
    case 'Tile':
      return emitBox(tileBox(node), w, bytePtr(ctx, y), bytePtr(ctx, x));
    default: {
      const { box, srcOffset } = sliceBox(node);
      return emitBox(box, w, bytePtr(ctx, y), `${bytePtr(ctx, x)} + ${srcOffset * w}`);
    }
  }
}

/** Operands that must be constant for the box to be known at compile time. */
const CONSTANT_OPERANDS: Readonly<Record<string, number[]>> = { Slice: [1, 2, 3, 4], Expand: [1], Tile: [1], Split: [1], Pad: [1, 3] };

export const movementKernels: RvvKernel = {
  ops: [...VIEWS, 'Transpose', 'Slice', 'Expand', 'Tile', 'Concat', 'Split', 'Pad', 'Gather', 'Size'],
  check(node) {
    const w = dtypeBytes((node.inputs[0] ?? node.outputs[0]!).type.dtype);
    if (!WIDTH_BITS[w]) return `elements of ${w} bytes cannot be moved on rvv`;
    for (const i of CONSTANT_OPERANDS[node.op] ?? []) {
      const v = node.inputs[i];
      if (v && !v.data) return `${node.op} needs a constant operand ${i} on rvv, but %${v.name} is computed at run time`;
    }
    return null;
  },
  checkDims(node) {
    if (VIEWS.includes(node.op)) return viewProblem(node, { fillsMask: true });
    return node.op === 'Pad' || node.op === 'Gather' ? checkPadOrGather(node) : null;
  },
  emit: emitMovement,
};
