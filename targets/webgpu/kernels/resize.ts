import type { Node } from '../../../ir/index.js';
import { isSingleTapAxis, resizeConstantsProblem, resizePlanePlan, type AxisTaps, type ResizePlanePlan } from '../../../ir/ops/resize-taps.js';
import { at, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, f32Literal, u32Literal as u } from '../wgsl.js';
import { needsF32 } from './common.js';

/**
 * Resize of 4-D NCHW f32 over H and W, every mode (nearest with each nearest_mode, linear, cubic, antialias,
 * exclude_outside) and coordinate transformation (tf_crop_and_resize with its extrapolation value), as the wasm
 * and rvv kernels run it: one invocation per output element. The shapes are static, so each axis's taps (source
 * indices and weights, ir/ops/resize-taps.ts, the reference's own) are constant arrays in the shader, and
 *
 *   Y[oh, ow] = sum_kc colW[ow, kc] * (sum_kr rowW[oh, kr] * X[rowSrc[oh, kr] + colSrc[ow, kc]])
 *
 * the reference's row pass then column pass, per element. An index tf_crop_and_resize maps outside the input
 * has weights 0 and takes extrapolation_value instead (a row: for its inner sum; a column: for the element).
 * A single tap of weight 1 (nearest) reads without multiplying.
 */

interface AxisArrays {
  src: string;
  weight: string | null;
  outside: string | null;
}

/** WGSL constant arrays of one axis, in [o * count + k] order; `unit` scales the source index (W for rows). */
function axisArrays(name: string, t: AxisTaps, unit: number): { decls: string[]; arrays: AxisArrays } {
  const n = t.outLen * t.count;
  const inside = (i: number) => !t.outside[Math.floor(i / t.count)];
  const src = Array.from(t.index, (x, i) => u(inside(i) ? x * unit : 0));
  const decls = [`const ${name}_SRC = array<u32, ${n}>(${src.join(', ')});`];
  const arrays: AxisArrays = { src: `${name}_SRC`, weight: null, outside: null };
  if (!isSingleTapAxis(t)) {
    decls.push(`const ${name}_W = array<f32, ${n}>(${Array.from(t.weight, (w, i) => f32Literal(inside(i) ? w : 0)).join(', ')});`);
    arrays.weight = `${name}_W`;
  }
  if (t.outside.some((x) => x !== 0)) {
    decls.push(`const ${name}_OUTSIDE = array<u32, ${t.outLen}>(${Array.from(t.outside, (x) => u(x)).join(', ')});`);
    arrays.outside = `${name}_OUTSIDE`;
  }
  return { decls, arrays };
}

function emitResize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const p = resizePlanePlan(node) as ResizePlanePlan;
  const total = p.planes * p.OH * p.OW;
  const x = ctx.locate(node.inputs[0]!);
  const y = ctx.locate(node.outputs[0]!);
  const rows = axisArrays('ROW', p.rows, p.W);
  const cols = axisArrays('COL', p.cols, 1);
  const [rc, cc] = [p.rows.count, p.cols.count];
  const extrapolation = f32Literal(p.extrapolation);
  const tap = (a: AxisArrays, o: string, count: number, k: string) => (count === 1 ? `${a.src}[${o}]` : `${a.src}[${o} * ${u(count)} + ${k}]`);
  const weight = (a: AxisArrays, o: string, count: number, k: string) => (count === 1 ? `${a.weight}[${o}]` : `${a.weight}[${o} * ${u(count)} + ${k}]`);
  const term = (v: string, a: AxisArrays, o: string, count: number, k: string) => (a.weight ? `${weight(a, o, count, k)} * ${v}` : v);
  const read = at(x, `base + ${tap(rows.arrays, 'oh', rc, 'kr')} + ${tap(cols.arrays, 'ow', cc, 'kc')}`);
  const lines = [
    `  let ow = i % ${u(p.OW)};`,
    `  let oh = (i / ${u(p.OW)}) % ${u(p.OH)};`,
    `  let base = (i / ${u(p.OW * p.OH)}) * ${u(p.H * p.W)};`,
    '  var acc = 0.0;',
    `  for (var kc = 0u; kc < ${u(cc)}; kc = kc + 1u) {`,
    '    var r = 0.0;',
    `    for (var kr = 0u; kr < ${u(rc)}; kr = kr + 1u) {`,
    `      r = r + ${term(read, rows.arrays, 'oh', rc, 'kr')};`,
    '    }',
    rows.arrays.outside ? `    if (${rows.arrays.outside}[oh] != 0u) { r = ${extrapolation}; }` : '',
    `    acc = acc + ${term('r', cols.arrays, 'ow', cc, 'kc')};`,
    '  }',
    cols.arrays.outside ? `  if (${cols.arrays.outside}[ow] != 0u) { acc = ${extrapolation}; }` : '',
    `  ${at(y, 'i')} = acc;`,
  ];
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, lines.filter(Boolean).join('\n'));
  return [{ code: `${bindings('f32')}\n${[...rows.decls, ...cols.decls].join('\n')}\n${code}\n`, workgroups }];
}

export const resizeKernels: GpuKernel = {
  ops: ['Resize'],
  check: (node) => needsF32(node, [0]) ?? resizeConstantsProblem(node),
  checkDims(node) {
    const p = resizePlanePlan(node);
    return typeof p === 'string' ? p : null;
  },
  emit: emitResize,
};
