import { getAttr, type Node } from '../../../ir/index.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel, type ValueLocation } from '../kernel.js';
import { bindings, broadcastIndex, elementKernel, f32Literal, grid1d, u32Literal as u } from '../wgsl.js';
import { needsF32, onlyFirstOutput } from './common.js';

/**
 * Row-wise ops with workgroup reductions: Softmax / LogSoftmax along one axis, LayerNormalization over the
 * trailing axes (and its Mean / InvStdDev results) and InstanceNormalization over each (n, c) plane. One
 * workgroup of 64 invocations per row: each reduces a strided part of the row, then a tree reduction in
 * workgroup memory combines the 64 partial results (max and sum for softmax, mean and variance — two passes,
 * as the reference computes them — for the normalizations). BatchNormalization (inference) needs no
 * reduction: y = x * a + (B - mean * a) with a = scale / sqrt(var + eps), one invocation per element.
 */
const THREADS = 64;

/** A workgroup tree reduction of `value` with `op` (a WGSL function name or 'add'); all invocations get the result. */
function reduceBlock(result: string, value: string, op: 'add' | 'max'): string {
  const combine = op === 'add' ? 'red[lid] + red[lid + s]' : 'max(red[lid], red[lid + s])';
  return `  red[lid] = ${value};
  workgroupBarrier();
  for (var s = ${u(THREADS / 2)}; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = ${combine}; }
    workgroupBarrier();
  }
  let ${result} = red[0];
  workgroupBarrier();`;
}

function rowShader(rows: number, body: string): Dispatch {
  const workgroups = grid1d(rows);
  const code = `${bindings('f32')}
var<workgroup> red: array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * ${u(workgroups[0])} + wid.x;
  if (row >= ${u(rows)}) { return; }
${body}
}
`;
  return { code, workgroups };
}

const each = (count: number, body: string) => `  for (var j = lid; j < ${u(count)}; j = j + ${u(THREADS)}) {\n${body}\n  }`;

function emitSoftmax(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const shape = shapeOf(node.inputs[0]!);
  const axis = normalized(getAttr<number>(node, 'axis'), shape.length);
  const D = shape[axis]!;
  const inner = product(shape.slice(axis + 1));
  const rows = product(shape.slice(0, axis)) * inner;
  if (rows * D === 0) return [];
  const x = ctx.locate(node.inputs[0]!);
  const y = ctx.locate(node.outputs[0]!);
  const el = `base + j * ${u(inner)}`;
  const log = node.op === 'LogSoftmax';
  const body = [
    `  let base = (row / ${u(inner)}) * ${u(D * inner)} + row % ${u(inner)};`,
    '  var m = -f32_inf();',
    each(D, `    m = max(m, ${at(x, el)});`),
    reduceBlock('top', 'm', 'max'),
    '  var sum = 0.0;',
    each(D, `    sum = sum + exp(${at(x, el)} - top);`),
    reduceBlock('total', 'sum', 'add'),
    log
      ? each(D, `    ${at(y, el)} = ${at(x, el)} - top - log(total);`)
      : each(D, `    ${at(y, el)} = exp(${at(x, el)} - top) / total;`),
  ];
  return [rowShader(rows, body.join('\n'))];
}

const normalized = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** WGSL index into a LayerNormalization Scale / B operand for element j of the normalized block. */
function blockIndex(node: Node, k: number, block: readonly number[], lines: string[]): string {
  const v = node.inputs[k]!;
  const shape = shapeOf(v);
  if (product(shape) === product(block)) return 'j';
  if (product(shape) === 1) return '0u';
  lines.push(`    ${broadcastIndex(`p${k}`, 'j', shape, block)}`);
  return `p${k}`;
}

function emitLayerNorm(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const shape = shapeOf(node.inputs[0]!);
  const axis = normalized(getAttr<number>(node, 'axis'), shape.length);
  const block = shape.slice(axis);
  const D = product(block);
  const rows = product(shape.slice(0, axis));
  if (rows * D === 0) return [];
  const epsilon = getAttr<number>(node, 'epsilon');
  const [x, y] = [ctx.locate(node.inputs[0]!), ctx.locate(node.outputs[0]!)];
  const el = 'base + j';
  const write: string[] = [];
  const scale = at(ctx.locate(node.inputs[1]!), blockIndex(node, 1, block, write));
  const biasTerm = node.inputs[2] ? ` + ${at(ctx.locate(node.inputs[2]), blockIndex(node, 2, block, write))}` : '';
  write.push(`    ${at(y, el)} = (${at(x, el)} - mean) * inv * ${scale}${biasTerm};`);
  const body = [`  let base = row * ${u(D)};`, ...moments(x, el, D, epsilon), each(D, write.join('\n'))];
  // Mean and InvStdDev (shape [rows, 1, ...]): one word per row, written by the first invocation.
  const stats = node.outputs.slice(1).map((v, k) => `  if (lid == 0u) { ${at(ctx.locate(v), 'row')} = ${k === 0 ? 'mean' : 'inv'}; }`);
  return [rowShader(rows, [...body, ...stats].join('\n'))];
}

/** WGSL computing `mean` and `inv` = 1 / sqrt(variance + epsilon) of the D elements `el` (over j) of a row. */
function moments(x: ValueLocation, el: string, D: number, epsilon: number): string[] {
  return [
    '  var s = 0.0;',
    each(D, `    s = s + ${at(x, el)};`),
    reduceBlock('total', 's', 'add'),
    `  let mean = total / f32(${D});`,
    '  var q = 0.0;',
    each(D, `    let d = ${at(x, el)} - mean;\n    q = q + d * d;`),
    reduceBlock('squares', 'q', 'add'),
    `  let inv = 1.0 / sqrt(squares / f32(${D}) + ${f32Literal(epsilon)});`,
  ];
}

/** InstanceNormalization: a row per (n, c) plane; Scale and B are read at channel row % C. */
function emitInstanceNorm(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const shape = shapeOf(node.inputs[0]!);
  const C = shape[1]!;
  const D = product(shape.slice(2));
  const rows = shape[0]! * C;
  if (rows * D === 0) return [];
  const [x, y] = [ctx.locate(node.inputs[0]!), ctx.locate(node.outputs[0]!)];
  const [scale, bias] = [ctx.locate(node.inputs[1]!), ctx.locate(node.inputs[2]!)];
  const el = 'base + j';
  const body = [
    `  let base = row * ${u(D)};`,
    ...moments(x, el, D, getAttr<number>(node, 'epsilon')),
    `  let c = row % ${u(C)};`,
    `  let a = ${at(scale, 'c')} * inv;`,
    `  let shift = ${at(bias, 'c')} - mean * a;`,
    each(D, `    ${at(y, el)} = ${at(x, el)} * a + shift;`),
  ];
  return [rowShader(rows, body.join('\n'))];
}

/** BatchNormalization in inference mode: channel (i / spatial) % C of each element. */
function emitBatchNorm(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const shape = shapeOf(node.inputs[0]!);
  const total = product(shape);
  if (total === 0) return [];
  const C = shape[1] ?? 1;
  const spatial = product(shape.slice(2));
  const [x, scale, bias, mean, variance] = node.inputs.map((v) => ctx.locate(v!));
  const body = [
    `  let c = (i / ${u(spatial)}) % ${u(C)};`,
    `  let a = ${at(scale!, 'c')} / sqrt(${at(variance!, 'c')} + ${f32Literal(getAttr<number>(node, 'epsilon'))});`,
    `  ${at(ctx.locate(node.outputs[0]!), 'i')} = ${at(x!, 'i')} * a + (${at(bias!, 'c')} - ${at(mean!, 'c')} * a);`,
  ];
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, body.join('\n'));
  return [{ code: `${bindings('f32')}\n${code}\n`, workgroups }];
}

const EMITTERS: Record<string, (node: Node, ctx: GpuEmitContext) => Dispatch[]> = {
  Softmax: emitSoftmax,
  LogSoftmax: emitSoftmax,
  LayerNormalization: emitLayerNorm,
  InstanceNormalization: emitInstanceNorm,
  BatchNormalization: emitBatchNorm,
};

export const rowKernels: GpuKernel = {
  ops: Object.keys(EMITTERS),
  check(node) {
    // LayerNormalization's Mean / InvStdDev are computed too; BatchNormalization's training outputs the schema refuses.
    return needsF32(node) ?? (node.op === 'LayerNormalization' ? null : onlyFirstOutput(node));
  },
  emit(node, ctx) {
    return EMITTERS[node.op]!(node, ctx);
  },
};
