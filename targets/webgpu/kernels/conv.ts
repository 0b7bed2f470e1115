import { getAttr, type Node } from '../../../ir/index.js';
import { windowGeometry, type WindowGeometry } from '../../../ir/ops/nn.js';
import { convGeometry, type ConvGeometry } from '../../shared/conv-geometry.js';
import { activationProblem, applyActivation, EXPRESSION_PRELUDE } from '../expression.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, i32Literal, u32Literal as u } from '../wgsl.js';
import { gemmDispatch } from './gemm-core.js';
import { needsF32 } from './common.js';
import { CAST_PRELUDE } from './cast.js';
import { halfOperandsProblem, involvesHalf, narrowing, widening } from './half.js';
import { outputKernel } from './quantized-wgsl.js';

/**
 * Conv and FusedConv (1-D, 2-D and 3-D, any stride, dilation, padding and groups). Groups with enough output
 * channels run as an implicit GEMM per (image, group) on the tiled GEMM: A is the weights, [Mg, Cg*KH*KW] as
 * stored, and B's elements are gathered from the input on the fly (no im2col buffer; 1x1 stride-1 unpadded
 * convolutions read the input directly). Depthwise and other narrow groups run directly, one output per
 * invocation, as do 3-D convolutions (NCDHW) and f16 / bf16 ones (computed in f32). The epilogue adds the bias and the residual and applies the
 * activation.
 */

/** Output channels per group from which the tiled GEMM beats the direct loop (a 32-row tile is mostly idle below). */
const GEMM_MIN_CHANNELS = 8;

function activationOf(node: Node): { name: string; params: number[] } {
  if (node.op !== 'FusedConv') return { name: 'None', params: [] };
  return { name: getAttr<string>(node, 'activation'), params: getAttr<number[]>(node, 'activation_params') };
}

/** WGSL of the epilogue's value for output channel `oc` at flat output index `o`, from the sum `acc`. */
function epilogue(node: Node, ctx: GpuEmitContext, acc: string, oc: string, o: string): string[] {
  const lines = [`  var v = ${acc};`];
  const bias = node.inputs[2];
  const residual = node.inputs[3];
  if (bias) lines.push(`  v = v + ${at(ctx.locate(bias), oc)};`);
  if (residual) lines.push(`  v = v + ${at(ctx.locate(residual), o)};`);
  const { name, params } = activationOf(node);
  lines.push(`  ${at(ctx.locate(node.outputs[0]!), o)} = ${applyActivation(name, params, 'v')};`);
  return lines;
}

/** WGSL bounds check and index of input pixel (ih, iw) for output (oh, ow) and tap (kh, kw), as i32. */
function tapIndex(g: ConvGeometry): string[] {
  return [
    `  let ih = i32(oh * ${u(g.SH)} + kh * ${u(g.DH)}) - ${i32Literal(g.PT)};`,
    `  let iw = i32(ow * ${u(g.SW)} + kw * ${u(g.DW)}) - ${i32Literal(g.PL)};`,
    `  if (ih < 0 || ih >= ${i32Literal(g.H)} || iw < 0 || iw >= ${i32Literal(g.W)}) { return 0.0; }`,
  ];
}

function gemmConv(node: Node, ctx: GpuEmitContext, g: ConvGeometry): Dispatch {
  const x = ctx.locate(node.inputs[0]!);
  const w = ctx.locate(node.inputs[1]!);
  const taps = g.KH * g.KW;
  const pixels = g.OH * g.OW;
  const plane = g.H * g.W;
  const direct = taps === 1 && g.SH === 1 && g.SW === 1 && g.PT === 0 && g.PL === 0 && g.PB === 0 && g.PR === 0;
  // b = image * group + group index; the GEMM's k runs over the group's input channels and the taps.
  const columnSetup = [
    `let img = b / ${u(g.group)};`,
    `let gi = b % ${u(g.group)};`,
    `let xbase = (img * ${u(g.C)} + gi * ${u(g.Cg)}) * ${u(plane)};`,
    `let ih0 = i32((n / ${u(g.OW)}) * ${u(g.SH)}) - ${i32Literal(g.PT)};`,
    `let iw0 = i32((n % ${u(g.OW)}) * ${u(g.SW)}) - ${i32Literal(g.PL)};`,
  ];
  const loadB = direct
    ? `vb = ${at(x, `xbase + k * ${u(plane)} + n`)};`
    : [
        `let t = k % ${u(taps)};`,
        `let ih = ih0 + i32((t / ${u(g.KW)}) * ${u(g.DH)});`,
        `let iw = iw0 + i32((t % ${u(g.KW)}) * ${u(g.DW)});`,
        `if (ih >= 0i && ih < ${i32Literal(g.H)} && iw >= 0i && iw < ${i32Literal(g.W)}) {`,
        `  vb = ${at(x, `xbase + (k / ${u(taps)}) * ${u(plane)} + u32(ih) * ${u(g.W)} + u32(iw)`)};`,
        '}',
      ].join('\n');
  const store = [
    `  let img = b / ${u(g.group)}; let gi = b % ${u(g.group)};`,
    `  let oc = gi * ${u(g.Mg)} + m;`,
    `  let o = (img * ${u(g.M)} + oc) * ${u(pixels)} + n;`,
    ...epilogue(node, ctx, 'acc', 'oc', 'o'),
  ];
  return gemmDispatch({
    batch: g.batch * g.group,
    M: g.Mg,
    N: pixels,
    K: g.K,
    prelude: `${bindings('f32')}\n${EXPRESSION_PRELUDE}`,
    rowSetup: `let wrow = ((b % ${u(g.group)}) * ${u(g.Mg)} + m) * ${u(g.K)};`,
    loadA: `va = ${at(w, 'wrow + k')};`,
    columnSetup: columnSetup.join('\n'),
    loadB,
    store: store.join('\n'),
  });
}

/** One invocation per output element; loops over the group's input channels and the taps. */
function directConv(node: Node, ctx: GpuEmitContext, g: ConvGeometry): Dispatch {
  const x = ctx.locate(node.inputs[0]!);
  const w = ctx.locate(node.inputs[1]!);
  const pixels = g.OH * g.OW;
  const total = g.batch * g.M * pixels;
  const helper = `fn tap(img: u32, ic: u32, oh: u32, ow: u32, kh: u32, kw: u32) -> f32 {
${tapIndex(g).join('\n')}
  return ${at(x, `(img * ${u(g.C)} + ic) * ${u(g.H * g.W)} + u32(ih) * ${u(g.W)} + u32(iw)`)};
}`;
  const body = [
    `  let ow = i % ${u(g.OW)};`,
    `  let oh = (i / ${u(g.OW)}) % ${u(g.OH)};`,
    `  let oc = (i / ${u(pixels)}) % ${u(g.M)};`,
    `  let img = i / ${u(g.M * pixels)};`,
    `  let gi = oc / ${u(g.Mg)};`,
    '  var acc = 0.0;',
    `  for (var c = 0u; c < ${u(g.Cg)}; c = c + 1u) {`,
    `    for (var kh = 0u; kh < ${u(g.KH)}; kh = kh + 1u) {`,
    `      for (var kw = 0u; kw < ${u(g.KW)}; kw = kw + 1u) {`,
    `        let wv = ${at(w, `((oc * ${u(g.Cg)} + c) * ${u(g.KH)} + kh) * ${u(g.KW)} + kw`)};`,
    `        acc = fma(tap(img, gi * ${u(g.Cg)} + c, oh, ow, kh, kw), wv, acc);`,
    '      }',
    '    }',
    '  }',
    ...epilogue(node, ctx, 'acc', 'oc', 'i'),
  ];
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, body.join('\n'));
  return { code: `${bindings('f32')}\n${EXPRESSION_PRELUDE}\n${helper}\n${code}\n`, workgroups };
}

/** The window (kernel, strides, dilations, pads) of a convolution with any number of spatial axes, or why it has none. */
function windowOf(node: Node): WindowGeometry | string {
  let problem = '';
  const fail = (m: string): never => {
    problem = m;
    throw new Error(m);
  };
  try {
    const reader = { attr: <T,>(name: string) => getAttr(node, name) as T };
    return windowGeometry(reader as never, shapeOf(node.inputs[0]!).slice(2), fail, shapeOf(node.inputs[1]!).slice(2));
  } catch (e) {
    return problem || (e as Error).message;
  }
}

/** Spatial extents as (depth, height, width), leading axes of extent 1 for 1-D and 2-D maps. */
const to3 = (v: readonly number[], fill: number): [number, number, number] => {
  const out: [number, number, number] = [fill, fill, fill];
  v.forEach((x, i) => (out[3 - v.length + i] = x));
  return out;
};

/**
 * The direct convolution on (depth, height, width) maps, one invocation per output element (n, oc, od, oh, ow):
 * the sum over the group's input channels and the taps (kd, kh, kw) of W[oc, c, kd, kh, kw] * X[n, g*Cg + c,
 * id, ih, iw] with  i = o * stride + k * dilation - padBegin  per axis, taps outside the input read as 0.
 * `load(operand, index)` reads X (0) or W (1) as f32. The lines leave the sum in `acc`; `i` is the output index.
 */
function windowConvLines(node: Node, g: WindowGeometry, load: (operand: number, index: string) => string): string[] {
  const n = g.kernel.length;
  const C = shapeOf(node.inputs[0]!)[1]!;
  const [D, H, W] = to3(shapeOf(node.inputs[0]!).slice(2), 1);
  const M = shapeOf(node.outputs[0]!)[1]!;
  const [OD, OH, OW] = to3(shapeOf(node.outputs[0]!).slice(2), 1);
  const [KD, KH, KW] = to3(g.kernel, 1);
  const [strides, dilations, pads] = [to3(g.strides, 1), to3(g.dilations, 1), to3(g.pads.slice(0, n), 0)];
  const Mg = M / getAttr<number>(node, 'group');
  const Cg = shapeOf(node.inputs[1]!)[1]!;
  const axes = [
    ['d', 0, D],
    ['h', 1, H],
    ['w', 2, W],
  ] as const;
  const body = [
    `  let ow = i % ${u(OW)};`,
    `  let oh = (i / ${u(OW)}) % ${u(OH)};`,
    `  let od = (i / ${u(OW * OH)}) % ${u(OD)};`,
    `  let oc = (i / ${u(OW * OH * OD)}) % ${u(M)};`,
    `  let img = i / ${u(OW * OH * OD * M)};`,
    `  let xbase = (img * ${u(C)} + (oc / ${u(Mg)}) * ${u(Cg)}) * ${u(D * H * W)};`,
    `  let wbase = oc * ${u(Cg * KD * KH * KW)};`,
    '  var acc = 0.0;',
  ];
  for (const [a, k, size] of axes) {
    body.push(
      `  for (var k${a} = 0u; k${a} < ${u([KD, KH, KW][k])}; k${a} = k${a} + 1u) {`,
      `  let i${a} = i32(o${a} * ${u(strides[k])} + k${a} * ${u(dilations[k])}) - ${i32Literal(pads[k])};`,
      `  if (i${a} < 0i || i${a} >= ${i32Literal(size)}) { continue; }`,
    );
  }
  body.push(
    `    let xat = xbase + (u32(id) * ${u(H)} + u32(ih)) * ${u(W)} + u32(iw);`,
    `    let wat = wbase + (kd * ${u(KH)} + kh) * ${u(KW)} + kw;`,
    `    for (var c = 0u; c < ${u(Cg)}; c = c + 1u) {`,
    `      acc = fma(${load(0, `xat + c * ${u(D * H * W)}`)}, ${load(1, `wat + c * ${u(KD * KH * KW)}`)}, acc);`,
    '    }',
    '  }}}',
  );
  return body;
}

/** 3-D f32 convolution: the direct loop, then the epilogue. */
function conv3d(node: Node, ctx: GpuEmitContext, g: WindowGeometry): Dispatch {
  const operands = [ctx.locate(node.inputs[0]!), ctx.locate(node.inputs[1]!)];
  const body = [...windowConvLines(node, g, (k, index) => at(operands[k]!, index)), ...epilogue(node, ctx, 'acc', 'oc', 'i')];
  const total = product(shapeOf(node.outputs[0]!));
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, body.join('\n'));
  return { code: `${bindings('f32')}\n${EXPRESSION_PRELUDE}\n${code}\n`, workgroups };
}

/**
 * f16 / bf16 convolutions (any of X, W, B, Z a half), as the reference computes them: operands widened to f32,
 * the f32 direct loop and epilogue, the result rounded once (half.ts).
 */
function halfConv(node: Node, ctx: GpuEmitContext, g: WindowGeometry): Dispatch {
  const names = ['ld_x', 'ld_w', 'ld_b', 'ld_z'];
  const loads = node.inputs.map((v, k) => (v ? widening(ctx, names[k]!, v) : '')).filter(Boolean);
  const lines = [...windowConvLines(node, g, (k, index) => `${names[k]}(${index})`), '  var v = acc;'];
  if (node.inputs[2]) lines.push('  v = v + ld_b(oc);');
  if (node.inputs[3]) lines.push('  v = v + ld_z(i);');
  const { name, params } = activationOf(node);
  const out = node.outputs[0]!;
  const fn = `${EXPRESSION_PRELUDE}
${CAST_PRELUDE}
${loads.join('\n')}
fn element(o: u32) -> ${out.type.dtype === 'f32' ? 'f32' : 'u32'} {
  let i = o;
${lines.join('\n')}
  return ${narrowing(out.type.dtype, applyActivation(name, params, 'v'))};
}`;
  return outputKernel(ctx, out, product(shapeOf(out)), fn);
}

const is3d = (node: Node) => node.inputs[0]!.type.shape.length === 5;
const isHalfConv = (node: Node) => involvesHalf(node);

export const convKernels: GpuKernel = {
  ops: ['Conv', 'FusedConv'],
  check: (node) => (isHalfConv(node) ? halfOperandsProblem(node) : needsF32(node)),
  checkDims(node) {
    if (is3d(node) || isHalfConv(node)) {
      if (node.inputs[0]!.type.shape.length > 5) return `only 1-D, 2-D and 3-D convolutions are supported (X has rank ${node.inputs[0]!.type.shape.length})`;
      const g = windowOf(node);
      if (typeof g === 'string') return g;
      return activationProblem(node, () => activationOf(node));
    }
    const g = convGeometry(node);
    if (typeof g === 'string') return g;
    return activationProblem(node, () => activationOf(node));
  },
  emit(node, ctx) {
    if (product(shapeOf(node.outputs[0]!)) === 0) return [];
    if (isHalfConv(node)) return [halfConv(node, ctx, windowOf(node) as WindowGeometry)];
    if (is3d(node)) return [conv3d(node, ctx, windowOf(node) as WindowGeometry)];
    const g = convGeometry(node) as ConvGeometry;
    if (g.batch * g.M * g.OH * g.OW === 0) return [];
    return [g.Mg >= GEMM_MIN_CHANNELS ? gemmConv(node, ctx, g) : directConv(node, ctx, g)];
  },
};
