import type { Node } from '../../../ir/index.js';
import { convGeometry, type ConvGeometry } from '../../shared/conv-geometry.js';
import { checkF32, type CEmitContext, type RvvKernel } from '../kernel.js';
import { activationArgs, checkActivation, defineGemm, MAX_MR, packPanels } from './gemm-core.js';
import { conv3dGeometry, conv3dScratchFloats, emitConv3d, type Conv3dGeometry, type ConvWeights } from './conv3d.js';
import { emitDepthwise, paddedH, paddedW } from './depthwise.js';

/**
 * Conv and FusedConv (1-D and 2-D, any groups) on the GEMM microkernel: per image and group,
 * Y[m][oh*OW + ow] = W[m][k] x cols[k][oh*OW + ow] with constant weights packed into MR-row panels at compile
 * time (weights computed at run time are read in place, row by row).
 * A 1x1 stride-1 unpadded conv multiplies the input itself; others first copy the input into a zero-padded
 * plane stack (when padded) and unfold it (im2col) into scratch. Bias, the residual Z and the activation are
 * applied in the microkernel's store. Depthwise convs (one input channel per group) have their own kernel.
 */

const isDepthwise = (g: ConvGeometry): boolean => g.Cg === 1 && g.group > 1;
const isPointwise = (g: ConvGeometry): boolean =>
  g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PT + g.PL + g.PB + g.PR === 0;
const isPadded = (g: ConvGeometry): boolean => g.PT + g.PL + g.PB + g.PR > 0;

function geometry(node: Node): ConvGeometry {
  return convGeometry(node) as ConvGeometry;
}

/** The convolution's reasons read from the (static) dims and the fused activation. */
function checkConvDims(node: Node): string | null {
  if (is3d(node)) {
    const g3 = conv3dGeometry(node);
    return typeof g3 === 'string' ? g3 : checkActivation(node);
  }
  const g = convGeometry(node);
  if (typeof g === 'string') return g;
  if (node.inputs[0]!.type.shape.length !== 4 && node.inputs[0]!.type.shape.length !== 3) return 'only 1-D and 2-D convolutions are supported on rvv';
  return checkActivation(node);
}

function scratchFloats(g: ConvGeometry): number {
  if (isDepthwise(g)) return isPadded(g) ? paddedH(g) * paddedW(g) : 0;
  const padded = isPadded(g) ? g.Cg * paddedH(g) * paddedW(g) : 0;
  const cols = isPointwise(g) ? 0 : g.K * g.OH * g.OW;
  return padded + cols;
}

const is3d = (node: Node): boolean => node.inputs[0]!.type.shape.length === 5;

/** The weights of every group packed into MR-row panels, placed in the weights blob. */
function packedWeights(weights: ArrayLike<number>, g: Pick<ConvGeometry, 'Mg' | 'K' | 'group'>, mr: number, ctx: CEmitContext, name: string): string {
  const perGroup = g.Mg * g.K;
  const panelFloats = Math.ceil(g.Mg / mr) * g.K * mr;
  const packed = new Float32Array(g.group * panelFloats);
  for (let grp = 0; grp < g.group; grp++) {
    packed.set(packPanels(Array.from({ length: perGroup }, (_, i) => weights[grp * perGroup + i]!), g.Mg, g.K, mr), grp * panelFloats);
  }
  return ctx.weightsF32(`conv-panels:${name}:${mr}`, packed);
}

/** The GEMM and weights of a conv: constant weights packed into panels at compile time, others read in place. */
function convWeights(node: Node, g: Pick<ConvGeometry, 'Mg' | 'K' | 'group'>, ctx: CEmitContext): ConvWeights {
  const w = node.inputs[1]!;
  const mr = Math.min(MAX_MR, g.Mg);
  const constant = !!w.data;
  const gemm = defineGemm(ctx, constant ? 'packed' : 'strided', mr);
  const panelFloats = constant ? Math.ceil(g.Mg / mr) * g.K * mr : g.Mg * g.K;
  const panels = constant ? packedWeights(w.data!.data as ArrayLike<number>, g, mr, ctx, w.name) : ctx.ptr(w);
  return { gemm, panels, panelFloats };
}

function emitGemmConv(node: Node, g: ConvGeometry, ctx: CEmitContext): string {
  const [x, , b, z] = node.inputs;
  const { gemm, panels, panelFloats } = convWeights(node, g, ctx);
  const HW = g.H * g.W;
  const N = g.OH * g.OW;
  const PH = paddedH(g);
  const PW = paddedW(g);
  const scratch = scratchFloats(g) > 0 ? ctx.scratch(scratchFloats(g) * 4) : 'NULL';
  const padded = isPadded(g) ? `scratch` : null;
  const cols = isPointwise(g) ? null : padded ? `scratch + ${g.Cg * PH * PW}` : 'scratch';
  const src = padded ?? `xg`;
  const srcH = padded ? PH : g.H;
  const srcW = padded ? PW : g.W;
  const lines = [
    `const float *X = ${ctx.ptr(x!)};`,
    `float *Y = ${ctx.ptr(node.outputs[0]!)};`,
    `const float *bias = ${b ? ctx.ptr(b) : 'NULL'};`,
    `const float *Zr = ${z ? ctx.ptr(z) : 'NULL'};`,
    `float *scratch = ${scratch};`,
    `(void)scratch;`,
    `for (long n = 0; n < ${g.batch}; n++) {`,
    `  for (long grp = 0; grp < ${g.group}; grp++) {`,
    `    const float *xg = X + (n * ${g.C} + grp * ${g.Cg}) * ${HW};`,
    `    (void)xg;`,
  ];
  if (padded) lines.push(`    edgec_pad_planes(${padded}, xg, ${g.Cg}, ${g.H}, ${g.W}, ${g.PT}, ${g.PL}, ${PH}, ${PW}, 0.0f);`);
  if (cols) lines.push(`    ${defineIm2col(ctx, 32)}(${cols}, ${src}, ${g.Cg}, ${srcH}, ${srcW}, ${g.KH}, ${g.KW}, ${g.SH}, ${g.SW}, ${g.DH}, ${g.DW}, ${g.OH}, ${g.OW});`);
  const B = cols ?? 'xg';
  const outOffset = `(n * ${g.M} + grp * ${g.Mg}) * ${N}`;
  lines.push(
    `    ${gemm}(${g.Mg}, ${N}, ${g.K}, ${panels} + grp * ${panelFloats}, ${g.K}, 1, ${B}, ${N}, Y + ${outOffset}, ${N},`,
    `        bias ? bias + grp * ${g.Mg} : NULL, bias ? 1 : 0, Zr ? Zr + ${outOffset} : NULL, ${activationArgs(node)});`,
    `  }`,
    `}`,
  );
  return lines.join('\n');
}

/**
 * Defines the im2col of `bits`-bit elements over an already padded input and returns its name:
 * cols[(c*KH + kh)*KW + kw][oh*OW + ow] = P[c][oh*SH + kh*DH][ow*SW + kw*DW].
 */
export function defineIm2col(ctx: CEmitContext, bits: 16 | 32): string {
  return ctx.planHelper('im2col', { bits }, (p) => `edgec_im2col${p.bits}`, (name, { bits }) => {
    const t = `uint${bits}_t`;
    return `
static void ${name}(void *cols_out, const void *P_in, long C, long PH, long PW, long KH, long KW, long SH, long SW,
                    long DH, long DW, long OH, long OW) {
  ${t} *cols = (${t} *)cols_out;
  const ${t} *P = (const ${t} *)P_in;
  for (long c = 0; c < C; c++)
    for (long kh = 0; kh < KH; kh++)
      for (long kw = 0; kw < KW; kw++) {
        ${t} *row = cols + ((c * KH + kh) * KW + kw) * OH * OW;
        const ${t} *plane = P + c * PH * PW + kh * DH * PW + kw * DW;
        for (long oh = 0; oh < OH; oh++) edgec_copy${bits}(row + oh * OW, 1, plane + oh * SH * PW, SW, (size_t)OW);
      }
}
`;
  });
}

export const convKernels: RvvKernel = {
  ops: ['Conv', 'FusedConv'],
  check: checkF32,
  checkDims: checkConvDims,
  scratchBytes: (node) => (is3d(node) ? conv3dScratchFloats(conv3dGeometry(node) as Conv3dGeometry) : scratchFloats(geometry(node))) * 4,
  emit(node, ctx) {
    if (is3d(node)) {
      const g3 = conv3dGeometry(node) as Conv3dGeometry;
      return emitConv3d(node, g3, convWeights(node, g3, ctx), ctx);
    }
    const g = geometry(node);
    return isDepthwise(g) ? emitDepthwise(node, g, ctx) : emitGemmConv(node, g, ctx);
  },
};
