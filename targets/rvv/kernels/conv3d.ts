import { getAttr, type Node } from '../../../ir/index.js';
import { windowGeometry, type WindowGeometry } from '../../../ir/ops/nn.js';
import { product, shapeOf, type CEmitContext } from '../kernel.js';
import { activationArgs } from './gemm-core.js';

/**
 * 3-D Conv and FusedConv (X of rank 5, any groups) on the GEMM microkernel, as conv.ts does 2-D: per image and
 * group, Y[m][(od*OH + oh)*OW + ow] = W[m][k] x cols[k][...] with k = (c*KD + kd)*KH*KW + kh*KW + kw. The group's
 * input is copied into a zero-padded volume in scratch and unfolded (im2col, one vector copy per output row)
 * beside it; constant weights are packed into MR-row panels at compile time, run-time weights read in place.
 */

/** Sizes (channels per group Cg, Mg; GEMM depth K), the window, and [D, H, W] of input, output, padded volume. */
export type Conv3dGeometry = { readonly window: WindowGeometry; readonly dims: number[]; readonly out: number[]; readonly padded: number[] } & Readonly<
  Record<'batch' | 'C' | 'M' | 'group' | 'Cg' | 'Mg' | 'K', number>
>;

export function conv3dGeometry(node: Node): Conv3dGeometry | string {
  const [x, w] = node.inputs;
  const xs = shapeOf(x!);
  const ws = shapeOf(w!);
  let problem: string | null = null;
  const fail = (m: string): never => {
    problem = m;
    throw new Error(m);
  };
  try {
    const g = windowGeometry({ attr: (name) => getAttr(node, name) }, xs.slice(2), fail, ws.slice(2));
    const out = shapeOf(node.outputs[0]!).slice(2);
    const group = getAttr<number>(node, 'group');
    const padded = xs.slice(2).map((d, a) => Math.max(d + g.pads[a]! + g.pads[a + 3]!, (out[a]! - 1) * g.strides[a]! + (g.kernel[a]! - 1) * g.dilations[a]! + 1));
    const Cg = xs[1]! / group;
    return { batch: xs[0]!, C: xs[1]!, M: ws[0]!, group, Cg, Mg: ws[0]! / group, K: Cg * product(g.kernel), window: g, dims: xs.slice(2), out, padded };
  } catch (e) {
    return problem ?? (e as Error).message;
  }
}

export const conv3dScratchFloats = (g: Conv3dGeometry): number => g.Cg * product(g.padded) + g.K * product(g.out);

const IM2COL_3D = `
/* cols[((c*KD + kd)*KH + kh)*KW + kw][(od*OH + oh)*OW + ow] = V[c][od*SD + kd*DD][oh*SH + kh*DH][ow*SW + kw*DW]
   over a padded volume V of C x PD x PH x PW; g: KD KH KW SD SH SW DD DH DW OD OH OW PD PH PW */
static void edgec_im2col3d(float *cols, const float *V, long C, const long *g) {
  long KD = g[0], KH = g[1], KW = g[2], SD = g[3], SH = g[4], SW = g[5], DD = g[6], DH = g[7], DW = g[8];
  long OD = g[9], OH = g[10], OW = g[11], PD = g[12], PH = g[13], PW = g[14];
  for (long c = 0; c < C; c++)
    for (long kd = 0; kd < KD; kd++)
      for (long kh = 0; kh < KH; kh++)
        for (long kw = 0; kw < KW; kw++) {
          float *row = cols + (((c * KD + kd) * KH + kh) * KW + kw) * OD * OH * OW;
          for (long od = 0; od < OD; od++)
            for (long oh = 0; oh < OH; oh++) {
              const float *src = V + ((c * PD + od * SD + kd * DD) * PH + oh * SH + kh * DH) * PW + kw * DW;
              edgec_copy32((uint32_t *)(row + (od * OH + oh) * OW), 1, (const uint32_t *)src, SW, (size_t)OW);
            }
        }
}
`;

/** The GEMM a conv runs and its weights: the C name, the weights (panels) and the floats per group. */
export interface ConvWeights {
  gemm: string;
  panels: string;
  panelFloats: number;
}

export function emitConv3d(node: Node, g: Conv3dGeometry, { gemm, panels, panelFloats }: ConvWeights, ctx: CEmitContext): string {
  ctx.helper('edgec_im2col3d', () => IM2COL_3D);
  const [x, , b, z] = node.inputs;
  const [D, H, W] = g.dims as [number, number, number];
  const [PD, PH, PW] = g.padded as [number, number, number];
  const [pf, pt, pl] = g.window.pads as [number, number, number];
  const N = product(g.out);
  const volume = g.Cg * PD * PH * PW;
  const params = [...g.window.kernel, ...g.window.strides, ...g.window.dilations, ...g.out, ...g.padded];
  const outOffset = `(n * ${g.M} + grp * ${g.Mg}) * ${N}`;
  return [
    `static const long g[15] = { ${params.join(', ')} };`,
    `const float *X = ${ctx.ptr(x!)};`,
    `float *Y = ${ctx.ptr(node.outputs[0]!)};`,
    `const float *bias = ${b ? ctx.ptr(b) : 'NULL'};`,
    `const float *Zr = ${z ? ctx.ptr(z) : 'NULL'};`,
    `float *vol = ${ctx.scratch(conv3dScratchFloats(g) * 4)}, *cols = vol + ${volume};`,
    `for (long n = 0; n < ${g.batch}; n++) {`,
    `  for (long grp = 0; grp < ${g.group}; grp++) {`,
    `    const float *xg = X + (n * ${g.C} + grp * ${g.Cg}) * ${D * H * W};`,
    `    edgec_fill_f32(vol, 0.0f, ${volume});`,
    `    for (long c = 0; c < ${g.Cg}; c++)`,
    `      for (long d = 0; d < ${D}; d++)`,
    `        edgec_pad_planes(vol + (c * ${PD} + d + ${pf}) * ${PH * PW}, xg + (c * ${D} + d) * ${H * W}, 1, ${H}, ${W}, ${pt}, ${pl}, ${PH}, ${PW}, 0.0f);`,
    `    edgec_im2col3d(cols, vol, ${g.Cg}, g);`,
    `    ${gemm}(${g.Mg}, ${N}, ${g.K}, ${panels} + grp * ${panelFloats}, ${g.K}, 1, cols, ${N}, Y + ${outOffset}, ${N},`,
    `        bias ? bias + grp * ${g.Mg} : NULL, bias ? 1 : 0, Zr ? Zr + ${outOffset} : NULL, ${activationArgs(node)});`,
    '  }',
    '}',
  ].join('\n');
}
