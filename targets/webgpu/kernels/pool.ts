import { getAttr, type Node } from '../../../ir/index.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { everyWindowHoldsATap, poolNdPlan, type PoolNdPlan } from '../../shared/pool-geometry.js';
import { loader, outputKernel } from './quantized-wgsl.js';
import { bindings, elementKernel, i32Literal as i, u32Literal as u } from '../wgsl.js';
import { needsF32, onlyFirstOutput } from './common.js';

/**
 * MaxPool / AveragePool over 1 to 3 spatial axes (seen as 3-D by poolNdPlan, as for wasm) and the global
 * pools: one invocation per output element loops over its window. MaxPool takes the first valid tap, then
 * larger values (-inf for a window wholly in padding); AveragePool divides by the taps inside the input, or
 * inside the padded input with count_include_pad, as the reference does.
 */

/** With `indices`, MaxPool also writes its Indices; the buffers are then u32 words (`x` reads bits as f32, results are stored as bits). */
function windowed(node: Node, p: PoolNdPlan, workgroupSize: number, x: string, y: (index: string) => string, indices?: (index: string) => string): { code: string; workgroups: [number, number, number] } {
  const max = node.op === 'MaxPool';
  const includePad = node.op === 'AveragePool' && getAttr<number>(node, 'count_include_pad') !== 0;
  const [D, H, W] = p.dims as [number, number, number];
  const [OD, OH, OW] = p.out as [number, number, number];
  const axes = ['d', 'h', 'w'] as const;
  const lines = [
    `  let ow = i % ${u(OW)};`,
    `  let oh = (i / ${u(OW)}) % ${u(OH)};`,
    `  let od = (i / ${u(OW * OH)}) % ${u(OD)};`,
    `  let plane = i / ${u(OW * OH * OD)};`,
    `  let base = plane * ${u(D * H * W)};`,
    `  var acc = ${max ? '-f32_inf()' : '0.0'};`,
    '  var found = false;',
    '  var count = 0u;',
    indices ? '  var best_at = -1i;' : '',
  ];
  axes.forEach((a, k) => {
    lines.push(`  let ${a}0 = i32(o${a} * ${u(p.strides[k]!)}) - ${i(p.padBegin[k]!)};`);
  });
  const inside = (a: string, k: number, lo: number, hi: number) => `${a}0 + i32(k${a} * ${u(p.dilations[k]!)}) >= ${i(lo)} && ${a}0 + i32(k${a} * ${u(p.dilations[k]!)}) < ${i(hi)}`;
  lines.push(
    `  for (var kd = 0u; kd < ${u(p.kernel[0]!)}; kd = kd + 1u) {`,
    `  for (var kh = 0u; kh < ${u(p.kernel[1]!)}; kh = kh + 1u) {`,
    `  for (var kw = 0u; kw < ${u(p.kernel[2]!)}; kw = kw + 1u) {`,
  );
  if (includePad) {
    const padded = axes.map((a, k) => inside(a, k, -p.padBegin[k]!, p.dims[k]! + p.padEnd[k]!)).join(' && ');
    lines.push(`    if (${padded}) { count = count + 1u; }`);
  }
  const valid = axes.map((a, k) => inside(a, k, 0, p.dims[k]!)).join(' && ');
  lines.push(
    `    if (${valid}) {`,
    `      let at = u32((d0 + i32(kd * ${u(p.dilations[0]!)})) * ${i(H * W)} + (h0 + i32(kh * ${u(p.dilations[1]!)})) * ${i(W)} + w0 + i32(kw * ${u(p.dilations[2]!)}));`,
    `      let v = ${x.replace('INDEX', 'base + at')};`,
    max ? `      if (!found || v > acc) { acc = v;${indices ? ` best_at = ${bestAt(node, p)};` : ''} }` : '      acc = acc + v;',
    includePad ? '' : '      count = count + 1u;',
    '      found = true;',
    '    }',
    '  }}}',
  );
  lines.push(max ? `  ${y('i')} = ${indices ? 'bitcast<u32>(acc)' : 'acc'};` : `  ${y('i')} = select(0.0, acc / f32(count), count > 0u);`);
  if (indices) {
    // Flat positions in the whole input, batch and channel included (a window wholly in padding gives base - 1).
    lines.push(`  let flat = i32(base) + best_at;`, `  ${indices('2u * i')} = bitcast<u32>(flat);`, `  ${indices('2u * i + 1u')} = select(0u, 0xffffffffu, flat < 0i);`);
  }
  return elementKernel(p.planes * OD * OH * OW, workgroupSize, lines.filter(Boolean).join('\n'));
}

/** MaxPool's Indices position of the current tap within its plane: row-major, or column-major with storage_order 1. */
function bestAt(node: Node, p: PoolNdPlan): string {
  const [D, H] = p.dims as [number, number, number];
  const tap = (a: string, k: number) => `(${a}0 + i32(k${a} * ${u(p.dilations[k]!)}))`;
  return getAttr<number>(node, 'storage_order') === 1 ? `${tap('d', 0)} + ${tap('h', 1)} * ${i(D)} + ${tap('w', 2)} * ${i(D * H)}` : 'i32(at)';
}

/**
 * MaxPool of u8 / i8 maps (the quantized graphs' pools: the max of quantized values is the quantized max), as
 * the int8 kernels do it: one invocation per output word, each element the max of its window's valid taps.
 * Windows wholly in padding have no value of the dtype to give, so check() refuses them on 8-bit maps.
 */
function int8MaxPool(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const p = poolNdPlan(node);
  const total = product(shapeOf(node.outputs[0]!));
  if (total === 0) return [];
  const [D, H, W] = p.dims as [number, number, number];
  const [OD, OH, OW] = p.out as [number, number, number];
  const start = (k: number, index: string) => `i32(${index} * ${u(p.strides[k]!)}) - ${i(p.padBegin[k]!)}`;
  const tap = (a: string, k: number) => `${a}0 + i32(k${a} * ${u(p.dilations[k]!)})`;
  const inside = ['d', 'h', 'w'].map((a, k) => `${tap(a, k)} >= 0i && ${tap(a, k)} < ${i(p.dims[k]!)}`).join(' && ');
  const fn = `${loader(ctx, 'ld_x', node.inputs[0]!)}
fn element(o: u32) -> i32 {
  let ow = o % ${u(OW)};
  let oh = (o / ${u(OW)}) % ${u(OH)};
  let od = (o / ${u(OW * OH)}) % ${u(OD)};
  let base = (o / ${u(OW * OH * OD)}) * ${u(D * H * W)};
  let d0 = ${start(0, 'od')};
  let h0 = ${start(1, 'oh')};
  let w0 = ${start(2, 'ow')};
  var acc = -256i;
  for (var kd = 0u; kd < ${u(p.kernel[0]!)}; kd = kd + 1u) {
  for (var kh = 0u; kh < ${u(p.kernel[1]!)}; kh = kh + 1u) {
  for (var kw = 0u; kw < ${u(p.kernel[2]!)}; kw = kw + 1u) {
    if (${inside}) {
      acc = max(acc, ld_x(base + u32((${tap('d', 0)}) * ${i(H * W)} + (${tap('h', 1)}) * ${i(W)} + ${tap('w', 2)})));
    }
  }}}
  return acc;
}`;
  return [outputKernel(ctx, node.outputs[0]!, total, fn)];
}

const isInt8MaxPool = (node: Node) => node.op === 'MaxPool' && ['u8', 'i8'].includes(node.inputs[0]!.type.dtype);

export const poolKernels: GpuKernel = {
  ops: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'],
  check(node) {
    if (isInt8MaxPool(node)) return onlyFirstOutput(node);
    // MaxPool's Indices (i64) are computed beside the values.
    if (node.op !== 'MaxPool') return needsF32(node) ?? onlyFirstOutput(node);
    const [x, y] = [node.inputs[0]!, node.outputs[0]!];
    return x.type.dtype === 'f32' && y.type.dtype === 'f32' ? null : `the webgpu MaxPool kernel handles f32 only (%${x.name} is ${x.type.dtype})`;
  },
  checkDims(node) {
    if (isInt8MaxPool(node)) {
      const rank = node.inputs[0]!.type.shape.length;
      if (rank < 3 || rank > 5) return `pools over ${rank - 2} spatial axes are not supported (1 to 3)`;
      const p = poolNdPlan(node);
      const covered = p.out.every((size, k) => everyWindowHoldsATap(size, p.kernel[k]!, p.dilations[k]!, p.strides[k]!, p.padBegin[k]!, p.dims[k]!));
      return covered ? null : 'windows wholly in padding are not supported on 8-bit maps';
    }
    const rank = node.inputs[0]!.type.shape.length;
    if (rank < 3 || rank > 5) return `pools over ${rank - 2} spatial axes are not supported (1 to 3)`;
    if (node.op === 'MaxPool' || node.op === 'AveragePool') {
      try {
        poolNdPlan(node);
      } catch (e) {
        return (e as Error).message;
      }
    }
    return null;
  },
  emit(node, ctx) {
    if (isInt8MaxPool(node)) return int8MaxPool(node, ctx);
    const x = ctx.locate(node.inputs[0]!);
    const yLoc = ctx.locate(node.outputs[0]!);
    const shape = shapeOf(node.inputs[0]!);
    let kernel: { code: string; workgroups: [number, number, number] };
    if (node.op === 'GlobalAveragePool' || node.op === 'GlobalMaxPool') {
      const planes = shape[0]! * shape[1]!;
      const vol = product(shape.slice(2));
      if (planes === 0) return [];
      const max = node.op === 'GlobalMaxPool';
      kernel = elementKernel(planes, ctx.options.workgroupSize, [
        `  let base = i * ${u(vol)};`,
        `  var acc = ${at(x, 'base')};`,
        `  for (var k = 1u; k < ${u(vol)}; k = k + 1u) {`,
        `    let v = ${at(x, 'base + k')};`,
        max ? '    acc = max(acc, v);' : '    acc = acc + v;',
        '  }',
        `  ${at(yLoc, 'i')} = ${max ? 'acc' : `acc / f32(${vol})`};`,
      ].join('\n'));
    } else {
      const p = poolNdPlan(node);
      if (product(shapeOf(node.outputs[0]!)) === 0) return [];
      const indices = node.op === 'MaxPool' ? node.outputs[1] : undefined;
      if (indices) {
        const iLoc = ctx.locate(indices);
        kernel = windowed(node, p, ctx.options.workgroupSize, `bitcast<f32>(${at(x, 'INDEX')})`, (index) => at(yLoc, index), (index) => at(iLoc, index));
        return [{ code: `${bindings('u32')}\n${kernel.code}\n`, workgroups: kernel.workgroups }];
      }
      kernel = windowed(node, p, ctx.options.workgroupSize, at(x, 'INDEX'), (index) => at(yLoc, index));
    }
    return [{ code: `${bindings('f32')}\n${kernel.code}\n`, workgroups: kernel.workgroups }];
  },
};
