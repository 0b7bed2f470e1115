import { getAttr, type Node } from '../../ir/index.js';
import { convTransposeGeometry } from '../../ir/ops/nn.js';

/**
 * A ConvTranspose node's static geometry with 1-D and 2-D problems seen as 3-D ones (leading axes of extent 1),
 * for the rvv and webgpu kernels. Input position i along an axis with kernel tap k lands at output position
 *   o = i * stride - padBegin + k * dilation,
 * kept when 0 <= o < out; pads at the end, output_padding, output_shape and auto_pad enter only through `out`
 * and `padBegin` as convTransposeGeometry (the schema's inference) resolves them.
 */
export interface ConvTransposePlan {
  batch: number;
  C: number;
  group: number;
  /** Input channels per group, output channels per group (W is [C, Mg, k...]), output channels. */
  Cg: number;
  Mg: number;
  M: number;
  /** Per axis, depth / height / width. */
  dims: [number, number, number];
  out: [number, number, number];
  kernel: [number, number, number];
  strides: [number, number, number];
  dilations: [number, number, number];
  padBegin: [number, number, number];
}

const to3 = (v: readonly number[], fill: number): [number, number, number] => {
  const out: [number, number, number] = [fill, fill, fill];
  v.forEach((x, i) => (out[3 - v.length + i] = x));
  return out;
};

/** The plan, or why the node has none (1 to 3 spatial axes, static shapes, a consistent geometry). */
export function convTransposePlan(node: Node): ConvTransposePlan | string {
  const x = node.inputs[0]!.type.shape as number[];
  const w = node.inputs[1]!.type.shape as number[];
  const n = x.length - 2;
  if (n < 1 || n > 3) return `ConvTranspose with ${n} spatial dims is not supported (1 to 3)`;
  let problem = '';
  const fail = (m: string): never => {
    problem = m;
    throw new Error(m);
  };
  try {
    const g = convTransposeGeometry({ attr: (name) => getAttr(node, name) }, x.slice(2), w.slice(2), fail);
    const group = getAttr<number>(node, 'group');
    return {
      batch: x[0]!,
      C: x[1]!,
      group,
      Cg: x[1]! / group,
      Mg: w[1]!,
      M: w[1]! * group,
      dims: to3(x.slice(2), 1),
      out: to3(g.output as number[], 1),
      kernel: to3(g.kernel, 1),
      strides: to3(g.strides, 1),
      dilations: to3(g.dilations, 1),
      padBegin: to3(g.pads.slice(0, n), 0),
    };
  } catch (e) {
    return `ConvTranspose geometry: ${problem || (e as Error).message}`;
  }
}

/** Kernel taps per output channel and input channel: KD * KH * KW. */
export const tapsOf = (p: ConvTransposePlan): number => p.kernel[0] * p.kernel[1] * p.kernel[2];
