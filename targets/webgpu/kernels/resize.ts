import { makeTensor, Value, type Node } from '../../../ir/index.js';
import { isSingleTapAxis, resizeConstantsProblem, resizePlanePlan, type AxisTaps, type ResizePlanePlan } from '../../../ir/ops/resize-taps.js';
import { at, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, f32Literal, u32Literal as u } from '../wgsl.js';
import { needsF32 } from './common.js';

/**
 * Resize of 4-D NCHW f32 over H and W, every mode (nearest with each nearest_mode, linear, cubic, antialias,
 * exclude_outside) and coordinate transformation (tf_crop_and_resize with its extrapolation value), as the wasm
 * and rvv kernels run it: one invocation per output element. The shapes are static, so each axis's taps (source
 * indices and weights, ir/ops/resize-taps.ts, the reference's own) are a table computed at compile time, and
 *
 *   Y[oh, ow] = sum_kc colW[ow, kc] * (sum_kr rowW[oh, kr] * X[rowSrc[oh, kr] + colSrc[ow, kc]])
 *
 * the reference's row pass then column pass, per element. An index tf_crop_and_resize maps outside the input
 * has weights 0 and takes extrapolation_value instead (a row: for its inner sum; a column: for the element).
 * A single tap of weight 1 (nearest) reads without multiplying. When N or C is resized too, output plane
 * (n, c) is the sum over its batch and channel taps of weight * (the above on input plane (n', c')): the terms
 * are in the table too (plane offset, weight), with extrapolation_value for planes tf_crop_and_resize maps outside.
 *
 * The table is a constant of the node, placed in the weights buffer like any other (indices as u32 bits):
 * constant arrays in the shader would do too, but WGSL compilers copy a constant array into each invocation's
 * memory to index it at run time: a 3 x 320 x 320 to 640 x 640 bilinear took 7 s per run on SwiftShader that way,
 * 0.16 s with these loads.
 */

/** Where one axis's parts start in the table (in words), null for parts it does not need. */
interface AxisLayout {
  src: number;
  weight: number | null;
  outside: number | null;
}

/** Appends an axis's parts to `words`: [o * count + k] source offsets (times `unit`), weights, outside flags. */
function appendAxis(words: number[], kinds: ('u32' | 'f32')[], t: AxisTaps, unit: number): AxisLayout {
  const inside = (i: number) => !t.outside[Math.floor(i / t.count)];
  const push = (kind: 'u32' | 'f32', values: ArrayLike<number>) => {
    const start = words.length;
    for (let i = 0; i < values.length; i++) {
      words.push(values[i]!);
      kinds.push(kind);
    }
    return start;
  };
  const src = push('u32', Array.from(t.index, (x, i) => (inside(i) ? x * unit : 0)));
  const weight = isSingleTapAxis(t) ? null : push('f32', Array.from(t.weight, (w, i) => (inside(i) ? w : 0)));
  const outside = t.outside.some((x) => x !== 0) ? push('u32', t.outside) : null;
  return { src, weight, outside };
}

/** The node's tap table as a constant value: f32 words, u32 entries stored by their bits. */
function tapTable(node: Node, p: ResizePlanePlan): { value: Value; rows: AxisLayout; cols: AxisLayout; planes: AxisLayout | null } {
  const words: number[] = [];
  const kinds: ('u32' | 'f32')[] = [];
  const rows = appendAxis(words, kinds, p.rows, p.W);
  const cols = appendAxis(words, kinds, p.cols, 1);
  const planes = p.outer ? appendAxis(words, kinds, planeTaps(p.outer), p.H * p.W) : null;
  const bits = new Uint32Array(words.length);
  const floats = new Float32Array(bits.buffer);
  words.forEach((w, i) => (kinds[i] === 'u32' ? (bits[i] = w) : (floats[i] = w)));
  const value = new Value(`${node.label}:resize_taps`, { dtype: 'f32', shape: [words.length] }, makeTensor('f32', [words.length], floats));
  return { value, rows, cols, planes };
}

/**
 * The N and C taps as one axis over output planes (n * outC + c): per plane, every (batch tap, channel tap)
 * pair's input plane and weight product (f32, as the wasm kernel rounds it); outside when either axis is.
 */
function planeTaps(outer: NonNullable<ResizePlanePlan['outer']>): AxisTaps {
  const { C, batch, channels } = outer;
  const outLen = batch.outLen * channels.outLen;
  const count = batch.count * channels.count;
  const t: AxisTaps = { outLen, count, index: new Int32Array(outLen * count), weight: new Float64Array(outLen * count), outside: new Uint8Array(outLen) };
  for (let n = 0; n < batch.outLen; n++) {
    for (let c = 0; c < channels.outLen; c++) {
      const o = n * channels.outLen + c;
      t.outside[o] = batch.outside[n]! | channels.outside[c]!;
      for (let kn = 0; kn < batch.count; kn++) {
        for (let kc = 0; kc < channels.count; kc++) {
          const k = o * count + kn * channels.count + kc;
          t.index[k] = batch.index[n * batch.count + kn]! * C + channels.index[c * channels.count + kc]!;
          t.weight[k] = Math.fround(batch.weight[n * batch.count + kn]! * channels.weight[c * channels.count + kc]!);
        }
      }
    }
  }
  return t;
}

/** N and C taps come from the table, so the number of output planes is not limited by code size. */
const PLAN_OPTIONS = { maxOuterPlanes: 1 << 20 };

function emitResize(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const p = resizePlanePlan(node, PLAN_OPTIONS) as ResizePlanePlan;
  const total = (p.outer ? p.outer.batch.outLen * p.outer.channels.outLen : p.planes) * p.OH * p.OW;
  const x = ctx.locate(node.inputs[0]!);
  const y = ctx.locate(node.outputs[0]!);
  const table = tapTable(node, p);
  const base = ctx.locate(table.value);
  const word = (start: number, index: string) => at(base, start === 0 ? index : `${u(start)} + ${index}`);
  const [rc, cc] = [p.rows.count, p.cols.count];
  const entry = (o: string, count: number, k: string) => (count === 1 ? o : `${o} * ${u(count)} + ${k}`);
  const src = (a: AxisLayout, o: string, count: number, k: string) => `bitcast<u32>(${word(a.src, entry(o, count, k))})`;
  const weighted = (a: AxisLayout, o: string, count: number, k: string, v: string) => (a.weight === null ? v : `${word(a.weight, entry(o, count, k))} * ${v}`);
  const outside = (a: AxisLayout, o: string) => `bitcast<u32>(${word(a.outside!, o)}) != 0u`;
  const extrapolation = f32Literal(p.extrapolation);
  const planes = table.planes;
  const lines = [
    `  let ow = i % ${u(p.OW)};`,
    `  let oh = (i / ${u(p.OW)}) % ${u(p.OH)};`,
    planes ? `  let po = i / ${u(p.OW * p.OH)};` : `  let base = (i / ${u(p.OW * p.OH)}) * ${u(p.H * p.W)};`,
    '  var acc = 0.0;',
  ];
  // Taps unrolled when few (2 for linear, 4 for cubic), WGSL loops for wide antialiasing filters.
  const unrolled = rc * cc <= 16;
  const taps = (count: number, name: string, body: (k: string) => string[]): string[] =>
    unrolled ? Array.from({ length: count }, (_, k) => ['{', ...body(u(k)), '}']).flat() : [`for (var ${name} = 0u; ${name} < ${u(count)}; ${name} = ${name} + 1u) {`, ...body(name), '}'];
  const column = (kc: string) => [
    `let c = base + ${src(table.cols, 'ow', cc, kc)};`,
    'var r = 0.0;',
    ...taps(rc, 'kr', (kr) => [`r = r + ${weighted(table.rows, 'oh', rc, kr, at(x, `c + ${src(table.rows, 'oh', rc, kr)}`))};`]),
    ...(table.rows.outside !== null ? [`if (${outside(table.rows, 'oh')}) { r = ${extrapolation}; }`] : []),
    `acc = acc + ${weighted(table.cols, 'ow', cc, kc, 'r')};`,
  ];
  const plane = [...taps(cc, 'kc', column)];
  if (table.cols.outside !== null) plane.push(`if (${outside(table.cols, 'ow')}) { acc = ${extrapolation}; }`);
  if (planes) {
    // acc is one input plane's value; the plane terms' weighted sum goes to sum.
    const pc = p.outer!.batch.count * p.outer!.channels.count;
    lines.push('  var sum = 0.0;');
    lines.push(`  for (var kp = 0u; kp < ${u(pc)}; kp = kp + 1u) {`, `  let base = ${src(planes, 'po', pc, 'kp')};`, '  acc = 0.0;');
    lines.push(...plane.map((l) => `  ${l}`), `  sum = sum + ${weighted(planes, 'po', pc, 'kp', 'acc')};`, '  }');
    if (planes.outside !== null) lines.push(`  if (${outside(planes, 'po')}) { sum = ${extrapolation}; }`);
    lines.push(`  ${at(y, 'i')} = sum;`);
  } else {
    lines.push(...plane.map((l) => `  ${l}`));
    lines.push(`  ${at(y, 'i')} = acc;`);
  }
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, lines.join('\n'));
  return [{ code: `${bindings('f32')}\n${code}\n`, workgroups }];
}

export const resizeKernels: GpuKernel = {
  ops: ['Resize'],
  check: (node) => needsF32(node, [0]) ?? resizeConstantsProblem(node),
  checkDims(node) {
    const p = resizePlanePlan(node, PLAN_OPTIONS);
    return typeof p === 'string' ? p : null;
  },
  emit: emitResize,
};
