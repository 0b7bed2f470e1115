import { dtypeBytes, getAttr, type Node, type Value } from '../../../ir/index.js';
import { rowMajorStrides } from '../../shared/box.js';
import { product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';

/**
 * Gathers whose indices are read at run time: Gather (movement.ts sends it here when its indices are not
 * constant) and GatherElements. An index i counts from the end when negative; an index outside [-dim, dim)
 * traps (__builtin_trap, as the wasm target's `unreachable`), so no kernel reads outside its tensors.
 *
 * Elements are fetched with indexed loads (vluxei64): a strip of indices is loaded (i32 ones sign-extended),
 * resolved and range-checked as vectors, scaled to byte offsets and added to the strip's own offsets; the
 * strip is stored contiguously. Gather of rows longer than one element copies each row with the vector copy.
 */

/** Element width in bytes -> the unsigned vector suffix of the indexed load beside u64m8 offsets. */
const DATA_SUFFIX: Readonly<Record<number, string>> = { 1: 'u8m1', 2: 'u16m2', 4: 'u32m4', 8: 'u64m8' };

/** C declaring `vuint64m8_t off`: the strip's indices at `q + j`, resolved, checked, times `scale` bytes. */
function stripOffsets(indexWidth: number, dim: number, scale: number): string[] {
  const load = indexWidth === 8 ? '__riscv_vle64_v_i64m8(q + j, vl)' : '__riscv_vsext_vf2_i64m8(__riscv_vle32_v_i32m4(q + j, vl), vl)';
  return [
    `vint64m8_t k = ${load};`,
    `k = __riscv_vadd_vx_i64m8_mu(__riscv_vmslt_vx_i64m8_b8(k, 0, vl), k, k, ${dim}, vl);`,
    `vuint64m8_t off = __riscv_vreinterpret_v_i64m8_u64m8(k);`,
    `if (__riscv_vcpop_m_b8(__riscv_vmsgeu_vx_u64m8_b8(off, ${dim}, vl), vl) != 0) __builtin_trap();`,
    `off = __riscv_vmul_vx_u64m8(off, ${scale}, vl);`,
  ];
}

/** C of a strip loop over `n` elements: indexed loads from `base` at `off` (plus extra lines), stored at `out + j`. */
function gatherStrips(width: number, n: number, offsets: string[]): string[] {
  const s = DATA_SUFFIX[width]!;
  const bits = width * 8;
  return [
    `for (long j = 0; j < ${n};) {`,
    `  size_t vl = __riscv_vsetvl_e64m8((size_t)(${n} - j));`,
    ...offsets.map((l) => `  ${l}`),
    `  __riscv_vse${bits}_v_${s}((uint${bits}_t *)out + j, __riscv_vluxei64_v_${s}((const uint${bits}_t *)base, off, vl), vl);`,
    '  j += (long)vl;',
    '}',
  ];
}

const bytes = (ctx: CEmitContext, v: Value) => `((uint8_t *)(${ctx.ptr(v)}))`;
const axisOf = (node: Node, rank: number) => (a => (a < 0 ? a + rank : a))(getAttr<number>(node, 'axis'));

/** Gather along an axis with run-time indices: out[o, t, i] = data[o, idx[t], i]. */
export function emitRuntimeGather(node: Node, ctx: CEmitContext): string {
  const [x, indices] = node.inputs as [Value, Value];
  const shape = shapeOf(x);
  const axis = axisOf(node, shape.length);
  const [outer, dim, inner] = [product(shape.slice(0, axis)), shape[axis]!, product(shape.slice(axis + 1))];
  const count = product(shapeOf(indices));
  const w = dtypeBytes(x.type.dtype);
  const iw = dtypeBytes(indices.type.dtype);
  if (outer === 0 || count === 0 || inner === 0) return '';
  const head = [`const ${iw === 8 ? 'int64_t' : 'int32_t'} *q = ${ctx.ptr(indices)};`, `for (long o = 0; o < ${outer}; o++) {`];
  if (inner === 1) {
    return [
      ...head,
      `  const uint8_t *base = ${bytes(ctx, x)} + o * ${dim * w};`,
      `  uint8_t *out = ${bytes(ctx, node.outputs[0]!)} + o * ${count * w};`,
      ...gatherStrips(w, count, stripOffsets(iw, dim, w)).map((l) => `  ${l}`),
      '}',
    ].join('\n');
  }
  const bits = w * 8;
  return [
    ...head,
    `  for (long t = 0; t < ${count}; t++) {`,
    '    int64_t k = q[t];',
    `    if (k < 0) k += ${dim};`,
    `    if ((uint64_t)k >= ${dim}u) __builtin_trap();`,
    `    edgec_copy${bits}((uint${bits}_t *)(${bytes(ctx, node.outputs[0]!)} + (o * ${count} + t) * ${inner * w}), 1, (const uint${bits}_t *)(${bytes(ctx, x)} + (o * ${dim} + k) * ${inner * w}), 1, ${inner});`,
    '  }',
    '}',
  ].join('\n');
}

/** GatherElements: out[c] = data[c with c[axis] replaced by indices[c]], strips along the innermost axis. */
function emitGatherElements(node: Node, ctx: CEmitContext): string {
  const [x, indices] = node.inputs as [Value, Value];
  const shape = shapeOf(x);
  const idxShape = shapeOf(indices);
  const rank = shape.length;
  const axis = axisOf(node, rank);
  if (product(idxShape) === 0) return '';
  const w = dtypeBytes(x.type.dtype);
  const iw = dtypeBytes(indices.type.dtype);
  const dataStrides = rowMajorStrides(shape);
  const outStrides = rowMajorStrides(idxShape);
  const last = rank - 1;
  const lines = [`const ${iw === 8 ? 'int64_t' : 'int32_t'} *q0 = ${ctx.ptr(indices)};`];
  let indent = '';
  for (let a = 0; a < last; a++) {
    lines.push(`${indent}for (long i${a} = 0; i${a} < ${idxShape[a]}; i${a}++) {`);
    indent += '  ';
  }
  const sum = (strides: number[], skip: number) => Array.from({ length: last }, (_, a) => (a === skip || !strides[a] ? '' : `i${a} * ${strides[a]}`)).filter(Boolean).join(' + ') || '0';
  const offsets = stripOffsets(iw, shape[axis]!, dataStrides[axis]! * w);
  // Along a last axis that is not the gather axis, each element also moves by its own position.
  if (axis !== last) offsets.push(`off = __riscv_vadd_vv_u64m8(off, __riscv_vmul_vx_u64m8(__riscv_vadd_vx_u64m8(__riscv_vid_v_u64m8(vl), (uint64_t)j, vl), ${w}, vl), vl);`);
  lines.push(
    `${indent}const uint8_t *base = ${bytes(ctx, x)} + (${sum(dataStrides, axis)}) * ${w};`,
    `${indent}uint8_t *out = ${bytes(ctx, node.outputs[0]!)} + (${sum(outStrides, -1)}) * ${w};`,
    `${indent}const ${iw === 8 ? 'int64_t' : 'int32_t'} *q = q0 + ${sum(outStrides, -1)};`,
    ...gatherStrips(w, idxShape[last]!, offsets).map((l) => `${indent}${l}`),
  );
  for (let a = last - 1; a >= 0; a--) lines.push(`${'  '.repeat(a)}}`);
  return lines.join('\n');
}

export const gatherElementsKernels: RvvKernel = {
  ops: ['GatherElements'],
  check(node) {
    const w = dtypeBytes(node.inputs[0]!.type.dtype);
    return DATA_SUFFIX[w] ? null : `elements of ${w} bytes cannot be gathered on rvv`;
  },
  checkDims: (node) => (shapeOf(node.inputs[0]!).length === 0 ? 'GatherElements of a scalar is not supported' : null),
  emit: emitGatherElements,
};
