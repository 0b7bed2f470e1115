import type binaryen from 'binaryen';
import type { Node } from '../../../../ir/index.js';
import type { FunctionBuilder } from '../../dsl.js';
import type { EmitContext, WasmKernel, WasmOptions } from '../../kernel.js';
import { activationUnsupported } from '../activation.js';
import { convGeometry, type ConvGeometry } from '../../../shared/conv-geometry.js';
import { emitIm2col } from './conv-im2col.js';
import { emitGemm, packedALayout, type GemmLayout } from '../gemm/gemm-core.js';
import { activationOf, CONV_MR, CONV_NR, convOperands, convTerms, convWeightsAddress, P, type ConvActivation, type ConvTerms } from './conv-operands.js';
import { depthwiseScratchBytes, emitDepthwise, isDepthwise } from './depthwise.js';
import { emitWinograd, useWinograd, winogradScratchBytes } from './winograd.js';
import { conv3dGeometry, conv3dScratchBytes, emitConv3d, type Conv3dGeometry } from './conv-3d.js';

type Expr = binaryen.ExpressionRef;

/**
 * Conv and FusedConv (y = act(conv(X, W) + B + Z)) on NCHW f32 tensors, 1-D and 2-D, any stride, dilation,
 * padding and group (3-D ones: conv-3d.ts, im2col + the same GEMM). Three strategies:
 *   - depthwise (group = C = M): direct SIMD loops (depthwise.ts);
 *   - 3×3 stride-1 convolutions with enough channels and constant weights: Winograd F(4×4, 3×3) on larger
 *     maps, F(2×2, 3×3) on small ones (winograd.ts);
 *   - everything else: per group, the GEMM W[Mg × Cg·KH·KW] · cols[Cg·KH·KW × OH·OW], where cols is the input
 *     itself for 1×1 stride-1 unpadded convolutions and an im2col of a band of output rows otherwise (in scratch,
 *     sized so the band stays in L2 while the GEMM sweeps it).
 * Bias, residual and activation are applied as the GEMM stores its tiles, so the output is written once.
 */

/** Bytes of im2col columns per band. */
const BAND_BYTES = 256 * 1024;

function isPointwise(g: ConvGeometry): boolean {
  return g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PT + g.PL + g.PB + g.PR === 0;
}

/** Output rows per im2col band. */
function bandRows(g: ConvGeometry): number {
  return Math.max(1, Math.min(g.OH, Math.floor(BAND_BYTES / (g.K * g.OW * 4))));
}

function bandStride(g: ConvGeometry, rows: number): number {
  return Math.ceil((rows * g.OW) / CONV_NR) * CONV_NR;
}

function gemmScratchBytes(g: ConvGeometry): number {
  if (isPointwise(g)) return 0;
  return g.K * bandStride(g, bandRows(g)) * 4 + 64;
}

type Strategy = 'depthwise' | 'winograd' | 'gemm';

function strategyOf(node: Node, g: ConvGeometry, options: Pick<WasmOptions, 'winograd'>): Strategy {
  if (isDepthwise(g)) return 'depthwise';
  // Winograd transforms the weights at compile time, so they must be constant.
  if (options.winograd && useWinograd(g) && node.inputs[1]!.data) return 'winograd';
  return 'gemm';
}

const is3d = (node: Node) => node.inputs[0]?.type.shape.length === 5;

export const convKernels: WasmKernel = {
  ops: ['Conv', 'FusedConv'],
  // The geometry functions check the element types too; they read dims, so all of it waits for static shapes.
  check: () => null,
  checkDims(node) {
    const g = is3d(node) ? conv3dGeometry(node) : convGeometry(node);
    if (typeof g === 'string') return g;
    const act = activationOf(node);
    return activationUnsupported(act.name, act.params);
  },
  scratchBytes(node, options) {
    if (is3d(node)) return conv3dScratchBytes(conv3dGeometry(node) as Conv3dGeometry);
    const g = convGeometry(node) as ConvGeometry;
    const s = strategyOf(node, g, options);
    if (s === 'depthwise') return depthwiseScratchBytes(g);
    if (s === 'winograd') return winogradScratchBytes(g);
    return gemmScratchBytes(g);
  },
  emit(node, ctx) {
    if (is3d(node)) return emitConv3d(node, conv3dGeometry(node) as Conv3dGeometry, ctx);
    const g = convGeometry(node) as ConvGeometry;
    const s = strategyOf(node, g, ctx.options);
    if (s === 'depthwise') return emitDepthwise(node, g, ctx);
    if (s === 'winograd') return emitWinograd(node, g, ctx);
    return emitGemmConv(node, g, ctx);
  },
};

function emitGemmConv(node: Node, g: ConvGeometry, ctx: EmitContext): Expr {
  const w = node.inputs[1]!;
  const act = activationOf(node);
  const packed = !!w.data;
  const wAddr = convWeightsAddress(w, g, ctx);
  const scratch = gemmScratchBytes(g);
  const call = convOperands(node, ctx, wAddr, scratch);
  const plan = { g, act, packed, hasBias: call.hasBias, hasZ: call.hasZ };
  const name = ctx.defineFunction('conv-gemm', plan, 6, (fn, p) => gemmConvBody(fn, p.g, p, p.act, p.packed));
  return ctx.call(name, call.args);
}

function gemmConvBody(fn: FunctionBuilder, g: ConvGeometry, call: ConvTerms, act: ConvActivation, packed: boolean): Expr {
  const n = fn.i32Local();
  const grp = fn.i32Local();
  const plane = g.H * g.W;
  const outPlane = g.OH * g.OW;
  const panelRows = Math.ceil(g.Mg / CONV_MR) * CONV_MR;
  const xG = () => fn.m.i32.add(fn.param(P.x), fn.m.i32.add(fn.mulConst(n.get(), g.C * plane * 4), fn.mulConst(grp.get(), g.Cg * plane * 4)));
  const yOffset = () => fn.m.i32.add(fn.mulConst(n.get(), g.M * outPlane * 4), fn.mulConst(grp.get(), g.Mg * outPlane * 4));
  const aG = () => fn.m.i32.add(fn.param(P.w), fn.mulConst(grp.get(), (packed ? panelRows : g.Mg) * g.K * 4));
  const biasG = () => fn.m.i32.add(fn.param(P.bias), fn.mulConst(grp.get(), g.Mg * 4));
  const aLayout = packed ? packedALayout(g.K, CONV_MR) : { mr: CONV_MR, aPanel: g.K * 4, aRow: g.K * 4, aK: 4 };
  const base = { M: g.Mg, K: g.K, ...aLayout, nr: CONV_NR, cRow: outPlane * 4 };

  let inner: Expr;
  if (isPointwise(g)) {
    const layout: GemmLayout = { ...base, N: outPlane, bTile: CONV_NR * 4, bK: plane * 4, bPadded: false };
    const y = () => fn.m.i32.add(fn.param(P.y), yOffset());
    const z = () => fn.m.i32.add(fn.param(P.z), yOffset());
    inner = emitGemm(fn, layout, { a: aG, b: xG, c: y }, { alpha: 1, terms: convTerms(fn, call, biasG, z, outPlane * 4), activation: act });
  } else {
    const rows = bandRows(g);
    const bands = Math.ceil(g.OH / rows);
    const lastRows = g.OH - (bands - 1) * rows;
    const stride = bandStride(g, rows);
    const band = fn.i32Local();
    const cols = () => fn.param(P.scratch);
    const bandBody = (oh0: () => Expr, nRows: number) => {
      const at = () => fn.m.i32.add(yOffset(), fn.mulConst(oh0(), g.OW * 4));
      const layout: GemmLayout = { ...base, N: nRows * g.OW, bTile: CONV_NR * 4, bK: stride * 4, bPadded: true };
      return fn.block([
        emitIm2col(fn, g, xG, cols, oh0, nRows, stride),
        emitGemm(fn, layout, { a: aG, b: cols, c: () => fn.m.i32.add(fn.param(P.y), at()) }, {
          alpha: 1,
          terms: convTerms(fn, call, biasG, () => fn.m.i32.add(fn.param(P.z), at()), outPlane * 4),
          activation: act,
        }),
      ]);
    };
    const parts: Expr[] = [];
    if (bands > 1) parts.push(fn.for(band, 0, (bands - 1) * rows, rows, [bandBody(() => band.get(), rows)]));
    parts.push(bandBody(() => fn.i32((bands - 1) * rows), lastRows));
    inner = fn.block(parts);
  }
  return fn.for(n, 0, g.batch, 1, [fn.for(grp, 0, g.group, 1, [inner])]);
}
