import type binaryen from 'binaryen';
import { arrayToBytes, dtypeBytes, getAttr, getOpSchema, numel, shapeOperands, type Node, type Tensor, type Value } from '../../../../ir/index.js';
import { padSourceIndex, rangeValues, shapeWindow } from '../../../../ir/ops/tensor-ops.js';
import type { EmitContext, WasmKernel } from '../../kernel.js';
import { emitBox, emitConstantBytes, emitFill, rowMajorStrides, uniformByteOf, type Box } from './movement-copy.js';
import { expandBox, sliceBox, tileBox, transposeBox } from '../../../shared/box.js';
import { emitGatherElements, emitRuntimeGather } from './movement-gather.js';

/**
 * Data movement: Transpose, Concat, Split, Slice, Gather, GatherElements, Expand, Tile, Pad, plus the ops whose
 * results depend only on static shapes or constants (Shape, Size, ConstantOfShape, Range). Everything is
 * dtype-agnostic (elements are moved as 1, 2, 4 or 8 bytes) and specialized at compile time to strided
 * boxes (movement-copy.ts). Gather with run-time indices traps on an index outside [-dim, dim), as the
 * reference interpreter fails on it; it never reads outside the data.
 */

type Expr = binaryen.ExpressionRef;

const shapeOf = (v: Value): number[] => v.type.shape as number[];
const widthOf = (v: Value): number => dtypeBytes(v.type.dtype);
const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
const intsOf = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
const axisOf = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** Gathers with at most this many affine index runs become boxes; more use the run-time index loop. */
const MAX_GATHER_BOXES = 8;

function block(ctx: EmitContext, statements: Expr[]): Expr {
  if (statements.length === 0) return ctx.m.nop();
  return statements.length === 1 ? statements[0]! : ctx.m.block(null, statements);
}

/**
 * The first operand whose values decide the output shape (the op schema's shapeOperands: Slice's starts..steps,
 * Pad's pads and axes, Range's bounds, Expand's shape...) that is not a constant, named. The kernels read those
 * values at compile time; and one computed at run time is what leaves a shape unknown, so it is the reason given.
 */
function computedShapeOperand(node: Node): string | null {
  const specs = getOpSchema(node.op)!.inputs;
  for (const i of shapeOperands(node.op)) {
    const v = node.inputs[i];
    if (v && !v.data) return `${node.op} needs a constant ${specs[Math.min(i, specs.length - 1)]!.name} operand, but %${v.name} is computed at run time`;
  }
  return null;
}

// --- Transpose, Expand, Tile, Slice: one box each ------------------------------------------------------------

function emitSingleBox(node: Node, ctx: EmitContext, box: Box, srcOffset = 0): Expr {
  const w = widthOf(node.outputs[0]!);
  return emitBox(ctx, w, box, ctx.addressOf(node.outputs[0]!), ctx.addressOf(node.inputs[0]!) + srcOffset * w);
}

// --- Concat and Split: one box per part ----------------------------------------------------------------------

function emitConcat(node: Node, ctx: EmitContext): Expr {
  const out = node.outputs[0]!;
  const shape = shapeOf(out);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const w = widthOf(out);
  const dst = ctx.addressOf(out);
  let at = 0;
  const statements: Expr[] = [];
  for (const v of node.inputs) {
    if (!v) continue;
    const d = shapeOf(v)[axis]!;
    const box = { dims: [outer, d * inner], src: [d * inner, 1], dst: [shape[axis]! * inner, 1] };
    if (d > 0 && outer > 0 && inner > 0) statements.push(emitBox(ctx, w, box, dst + at * inner * w, ctx.addressOf(v)));
    at += d;
  }
  return block(ctx, statements);
}

function emitSplit(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const shape = shapeOf(x);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const w = widthOf(x);
  const src = ctx.addressOf(x);
  let at = 0;
  const statements: Expr[] = [];
  for (const v of node.outputs) {
    const d = shapeOf(v)[axis]!;
    const box = { dims: [outer, d * inner], src: [shape[axis]! * inner, 1], dst: [d * inner, 1] };
    if (d > 0 && outer > 0 && inner > 0) statements.push(emitBox(ctx, w, box, ctx.addressOf(v), src + at * inner * w));
    at += d;
  }
  return block(ctx, statements);
}

// --- Pad: per-axis affine segments, fills for the constant border ---------------------------------------------

/** A run of output positions along one axis reading source index src + step * i (src -1: constant fill). */
interface Segment {
  start: number;
  len: number;
  src: number;
  step: number;
}

/** Splits per-position source indices into maximal affine runs. */
export function affineSegments(index: readonly number[]): Segment[] {
  const out: Segment[] = [];
  for (let k = 0; k < index.length; ) {
    const src = index[k]!;
    let len = 1;
    let step = 1;
    if (src < 0) {
      while (k + len < index.length && index[k + len]! < 0) len++;
    } else if (k + 1 < index.length && index[k + 1]! >= 0) {
      step = index[k + 1]! - src;
      while (k + len < index.length && index[k + len]! >= 0 && index[k + len]! - index[k + len - 1]! === step) len++;
    }
    out.push({ start: k, len, src, step });
    k += len;
  }
  return out;
}

interface PadPlan {
  begin: number[];
  segments: Segment[][];
}

function padPlan(node: Node): PadPlan {
  const inShape = shapeOf(node.inputs[0]!);
  const out = shapeOf(node.outputs[0]!);
  const rank = inShape.length;
  const mode = getAttr<string>(node, 'mode');
  const axes = node.inputs[3] ? intsOf(node.inputs[3].data!).map((a) => axisOf(a, rank)) : inShape.map((_, i) => i);
  const pads = intsOf(node.inputs[1]!.data!);
  const begin = new Array<number>(rank).fill(0);
  axes.forEach((a, k) => (begin[a] = pads[k]!));
  const segments = out.map((d, a) => affineSegments(Array.from({ length: d }, (_, o) => (inShape[a] === 0 ? -1 : padSourceIndex(mode, o, begin[a]!, inShape[a]!)))));
  return { begin, segments };
}

function emitPad(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const out = node.outputs[0]!;
  const inShape = shapeOf(x);
  const outShape = shapeOf(out);
  const w = widthOf(x);
  const rank = inShape.length;
  const inStrides = rowMajorStrides(inShape);
  const outStrides = rowMajorStrides(outShape);
  const [src, dst] = [ctx.addressOf(x), ctx.addressOf(out)];
  if (rank === 0) return emitBox(ctx, w, { dims: [], src: [], dst: [] }, dst, src);
  const { segments } = padPlan(node);
  const cv = node.inputs[2];
  let valueAddr: number;
  let uniform: number | undefined;
  if (!cv) {
    valueAddr = ctx.placeData('movement:zeros', new Uint8Array(16), 16);
    uniform = 0;
  } else {
    valueAddr = ctx.addressOf(cv);
    if (cv.data) uniform = uniformByteOf(arrayToBytes(cv.data.dtype, cv.data.data));
  }
  const statements: Expr[] = [];
  // Walk the axes: a fill segment covers everything below it; a copy segment recurses into the next axis.
  const walk = (axis: number, chosen: Segment[]) => {
    if (axis === rank) {
      const box: Box = { dims: chosen.map((s) => s.len), src: chosen.map((s, a) => s.step * inStrides[a]!), dst: outStrides };
      const from = chosen.reduce((n, s, a) => n + s.src * inStrides[a]!, 0);
      const to = chosen.reduce((n, s, a) => n + s.start * outStrides[a]!, 0);
      statements.push(emitBox(ctx, w, box, dst + to * w, src + from * w));
      return;
    }
    for (const seg of segments[axis]!) {
      if (seg.src < 0) {
        const dims = [...chosen.map((s) => s.len), seg.len, ...outShape.slice(axis + 1)];
        const to = chosen.reduce((n, s, a) => n + s.start * outStrides[a]!, 0) + seg.start * outStrides[axis]!;
        statements.push(emitFill(ctx, w, dims, outStrides, dst + to * w, valueAddr, uniform));
      } else {
        walk(axis + 1, [...chosen, seg]);
      }
    }
  };
  walk(0, []);
  return block(ctx, statements);
}

// --- Gather ----------------------------------------------------------------------------------------------------

function gatherGeometry(node: Node): { outer: number; dim: number; inner: number; count: number } {
  const shape = shapeOf(node.inputs[0]!);
  const axis = axisOf(getAttr<number>(node, 'axis'), shape.length);
  return { outer: product(shape.slice(0, axis)), dim: shape[axis]!, inner: product(shape.slice(axis + 1)), count: numel(shapeOf(node.inputs[1]!)) };
}

/** Affine runs of constant indices (negative ones resolved), or null when indices are not constant. */
function constantGatherSegments(node: Node): Segment[] | null {
  const idx = node.inputs[1]!;
  if (!idx.data) return null;
  const { dim } = gatherGeometry(node);
  return affineSegments(intsOf(idx.data).map((i) => (i < 0 ? i + dim : i)));
}

function emitGather(node: Node, ctx: EmitContext): Expr {
  const [x, idx] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const { outer, dim, inner, count } = gatherGeometry(node);
  const w = widthOf(x);
  const segments = constantGatherSegments(node);
  if (segments && segments.length <= MAX_GATHER_BOXES) {
    const [src, dst] = [ctx.addressOf(x), ctx.addressOf(out)];
    return block(
      ctx,
      segments.map((s) =>
        emitBox(ctx, w, { dims: [outer, s.len, inner], src: [dim * inner, s.step * inner, 1], dst: [count * inner, inner, 1] }, dst + s.start * inner * w, src + s.src * inner * w),
      ),
    );
  }
  return emitRuntimeGather(ctx, { outer, dim, inner, count, width: w, indexWidth: widthOf(idx) }, ctx.addressOf(out), ctx.addressOf(x), ctx.addressOf(idx));
}

function checkConstantIndices(node: Node, dim: number | ((i: number) => number)): string | null {
  const idx = node.inputs[1]!;
  if (!idx.data) return null;
  const values = intsOf(idx.data);
  for (let i = 0; i < values.length; i++) {
    const d = typeof dim === 'number' ? dim : dim(i);
    if (values[i]! < -d || values[i]! >= d) return `${node.op} index ${values[i]} is out of range for a dim of ${d}`;
  }
  return null;
}

// --- ops whose result is known at compile time -------------------------------------------------------------

function shapeBytes(node: Node): Uint8Array {
  const x = shapeOf(node.inputs[0]!);
  if (node.op === 'Size') return new Uint8Array(BigInt64Array.of(BigInt(numel(x))).buffer);
  const [start, end] = shapeWindow(x.length, getAttr<number>(node, 'start'), node.attrs.end !== undefined ? getAttr<number>(node, 'end') : undefined);
  return new Uint8Array(BigInt64Array.from(x.slice(start, Math.max(start, end)), (d) => BigInt(d)).buffer);
}

function emitConstantOfShape(node: Node, ctx: EmitContext): Expr {
  const out = node.outputs[0]!;
  const value = getAttr<Tensor>(node, 'value');
  const bytes = arrayToBytes(value.dtype, value.data);
  const n = numel(shapeOf(out));
  const dst = ctx.addressOf(out);
  const valueAddr = ctx.placeData(`movement:value:${value.dtype}:${Array.from(bytes).join(',')}`, bytes, Math.max(16, bytes.length));
  return emitFill(ctx, bytes.length, [n], [1], dst, valueAddr, uniformByteOf(bytes));
}

// --- the family ----------------------------------------------------------------------------------------------

export const movementKernels: WasmKernel = {
  ops: ['Transpose', 'Concat', 'Split', 'Slice', 'Gather', 'GatherElements', 'Expand', 'Tile', 'Pad', 'Shape', 'Size', 'ConstantOfShape', 'Range'],

  check: computedShapeOperand,

  checkDims(node) {
    switch (node.op) {
      case 'Pad': {
        const mode = getAttr<string>(node, 'mode');
        if (mode !== 'constant' && numel(shapeOf(node.inputs[0]!)) === 0 && numel(shapeOf(node.outputs[0]!)) > 0) return `${mode} padding of an empty tensor`;
        return null;
      }
      case 'Gather':
        return checkConstantIndices(node, gatherGeometry(node).dim);
      case 'GatherElements': {
        const shape = shapeOf(node.inputs[0]!);
        return checkConstantIndices(node, shape[axisOf(getAttr<number>(node, 'axis'), shape.length)]!);
      }
      case 'Range': {
        const dtype = node.outputs[0]!.type.dtype;
        return dtype === 'f16' || dtype === 'bf16' ? `Range of ${dtype} is not supported` : null;
      }
      default:
        return null;
    }
  },

  emit(node, ctx) {
    switch (node.op) {
      case 'Transpose':
        return emitSingleBox(node, ctx, transposeBox(node));
      case 'Expand':
        return emitSingleBox(node, ctx, expandBox(node));
      case 'Tile':
        return emitSingleBox(node, ctx, tileBox(node));
      case 'Slice': {
        const { box, srcOffset } = sliceBox(node);
        return emitSingleBox(node, ctx, box, srcOffset);
      }
      case 'Concat':
        return emitConcat(node, ctx);
      case 'Split':
        return emitSplit(node, ctx);
      case 'Pad':
        return emitPad(node, ctx);
      case 'Gather':
        return emitGather(node, ctx);
      case 'GatherElements':
        return emitGatherElements(ctx, node, ctx.addressOf(node.outputs[0]!), ctx.addressOf(node.inputs[0]!), ctx.addressOf(node.inputs[1]!));
      case 'Shape':
      case 'Size':
        return emitConstantBytes(ctx, `movement:${node.op}:${node.outputs[0]!.name}`, shapeBytes(node), ctx.addressOf(node.outputs[0]!));
      case 'ConstantOfShape':
        return emitConstantOfShape(node, ctx);
      case 'Range': {
        const [start, limit, delta] = node.inputs.map((v) => v!.data!) as [Tensor, Tensor, Tensor];
        const t = rangeValues(start, limit, delta);
        const bytes = arrayToBytes(t.dtype, t.data);
        return emitConstantBytes(ctx, `movement:range:${node.outputs[0]!.name}`, bytes, ctx.addressOf(node.outputs[0]!));
      }
      default:
        throw new Error(`movement kernels do not handle ${node.op}`);
    }
  },
};
