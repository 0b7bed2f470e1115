import type { Node } from '../../../ir/index.js';
import { convTransposePlan, type ConvTransposePlan } from '../../shared/conv-transpose-geometry.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, i32Literal as i, u32Literal as u } from '../wgsl.js';
import { needsF32 } from './common.js';

/**
 * ConvTranspose (f32, 1 to 3 spatial axes, every attribute) as a gather: one invocation per output element
 * (n, oc, od, oh, ow) sums W[ic, m, kd, kh, kw] * X[n, ic, pd, ph, pw] over its group's input channels and the
 * taps whose input position is whole and inside, per axis
 *   t = o + padBegin - k * dilation,  t >= 0,  t % stride == 0,  p = t / stride < size,
 * taps outermost so a tap that misses is skipped once for all channels; then adds the bias.
 */
function gatherBody(node: Node, ctx: GpuEmitContext, p: ConvTransposePlan): string {
  const x = ctx.locate(node.inputs[0]!);
  const w = ctx.locate(node.inputs[1]!);
  const bias = node.inputs[2];
  const [D, H, W] = p.dims;
  const [OD, OH, OW] = p.out;
  const [KD, KH, KW] = p.kernel;
  const axes = [
    ['d', 'od', 0],
    ['h', 'oh', 1],
    ['w', 'ow', 2],
  ] as const;
  const lines = [
    `  let ow = i % ${u(OW)};`,
    `  let oh = (i / ${u(OW)}) % ${u(OH)};`,
    `  let od = (i / ${u(OW * OH)}) % ${u(OD)};`,
    `  let oc = (i / ${u(OW * OH * OD)}) % ${u(p.M)};`,
    `  let img = i / ${u(OW * OH * OD * p.M)};`,
    `  let gi = oc / ${u(p.Mg)};`,
    `  let m = oc % ${u(p.Mg)};`,
    `  let xbase = (img * ${u(p.C)} + gi * ${u(p.Cg)}) * ${u(D * H * W)};`,
    `  let wbase = (gi * ${u(p.Cg)} * ${u(p.Mg)} + m) * ${u(KD * KH * KW)};`,
    '  var acc = 0.0;',
  ];
  for (const [a, o, k] of axes) {
    const size = p.dims[k];
    lines.push(
      `  for (var k${a} = 0u; k${a} < ${u(p.kernel[k])}; k${a} = k${a} + 1u) {`,
      `  let t${a} = i32(${o}) + ${i(p.padBegin[k])} - i32(k${a} * ${u(p.dilations[k])});`,
      p.strides[k] === 1 ? `  if (t${a} < 0i || t${a} >= ${i(size)}) { continue; }` : `  if (t${a} < 0i || t${a} % ${i(p.strides[k])} != 0i || t${a} / ${i(p.strides[k])} >= ${i(size)}) { continue; }`,
      `  let p${a} = u32(t${a}) / ${u(p.strides[k])};`,
    );
  }
  lines.push(
    `    let xat = xbase + (pd * ${u(H)} + ph) * ${u(W)} + pw;`,
    `    let wat = wbase + (kd * ${u(KH)} + kh) * ${u(KW)} + kw;`,
    `    for (var c = 0u; c < ${u(p.Cg)}; c = c + 1u) {`,
    `      acc = fma(${at(x, `xat + c * ${u(D * H * W)}`)}, ${at(w, `wat + c * ${u(p.Mg * KD * KH * KW)}`)}, acc);`,
    '    }',
    '  }}}',
  );
  lines.push(`  ${at(ctx.locate(node.outputs[0]!), 'i')} = ${bias ? `acc + ${at(ctx.locate(bias), 'oc')}` : 'acc'};`);
  return lines.join('\n');
}

export const convTransposeKernels: GpuKernel = {
  ops: ['ConvTranspose'],
  check: (node) => needsF32(node),
  checkDims(node) {
    const p = convTransposePlan(node);
    return typeof p === 'string' ? p : null;
  },
  emit(node, ctx): Dispatch[] {
    const p = convTransposePlan(node) as ConvTransposePlan;
    const total = product(shapeOf(node.outputs[0]!));
    if (total === 0) return [];
    const kernel = elementKernel(total, ctx.options.workgroupSize, gatherBody(node, ctx, p));
    return [{ code: `${bindings('f32')}\n${kernel.code}\n`, workgroups: kernel.workgroups }];
  },
};
