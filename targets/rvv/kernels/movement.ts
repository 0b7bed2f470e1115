import { dtypeBytes, getAttr, type Node, type Value } from '../../../ir/index.js';
import { expandBox, simplifyBox, sliceBox, tileBox, transposeBox, type Box } from '../../shared/box.js';
import { product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Data movement as strided box copies (targets/shared/box.ts), dtype-agnostic by element width: Transpose,
 * Slice, Expand, Tile, Concat and Split are one box per operand or result. The innermost box axis is one
 * vector copy (unit-stride or strided loads and stores, LMUL=8); outer axes are counted loops. Reshaping ops
 * (Reshape, Flatten, Squeeze, Unsqueeze, Identity) are views: plan-memory gives the result the operand's
 * bytes when it can, and otherwise the kernel copies.
 */

const VIEWS = ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity'];
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
  return `if ((const void *)${bytePtr(ctx, y)} != (const void *)${bytePtr(ctx, x)}) memmove(${bytePtr(ctx, y)}, ${bytePtr(ctx, x)}, ${bytes});`;
}

function emitMovement(node: Node, ctx: CEmitContext): string {
  if (VIEWS.includes(node.op)) return emitView(node, ctx);
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
const CONSTANT_OPERANDS: Readonly<Record<string, number[]>> = { Slice: [1, 2, 3, 4], Expand: [1], Tile: [1], Split: [1] };

export const movementKernels: RvvKernel = {
  ops: [...VIEWS, 'Transpose', 'Slice', 'Expand', 'Tile', 'Concat', 'Split'],
  check(node) {
    for (const v of [...node.inputs, ...node.outputs]) {
      if (v && v.type.shape.some((d) => typeof d !== 'number')) return `%${v.name} has a symbolic shape; the rvv target needs static shapes`;
    }
    const w = dtypeBytes((node.inputs[0] ?? node.outputs[0]!).type.dtype);
    if (!WIDTH_BITS[w]) return `elements of ${w} bytes cannot be moved on rvv`;
    for (const i of CONSTANT_OPERANDS[node.op] ?? []) {
      const v = node.inputs[i];
      if (v && !v.data) return `${node.op} needs a constant operand ${i} on rvv, but %${v.name} is computed at run time`;
    }
    return null;
  },
  emit: emitMovement,
};
