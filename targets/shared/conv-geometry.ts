import { getAttr, type Node } from '../../ir/index.js';
import { windowGeometry, windowOutputDim } from '../../ir/ops/nn.js';

/**
 * A Conv / FusedConv node's static geometry with 1-D convolutions seen as 2-D ones of height 1, so every conv
 * kernel (wasm and rvv) deals with one shape of problem.
 */
export interface ConvGeometry {
  batch: number;
  C: number;
  H: number;
  W: number;
  M: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  DH: number;
  DW: number;
  /** Pads: top, left, bottom, right. */
  PT: number;
  PL: number;
  PB: number;
  PR: number;
  group: number;
  /** Channels per group (input, output) and the GEMM depth per group. */
  Cg: number;
  Mg: number;
  K: number;
}

/** The geometry (of Conv, FusedConv or the integer QConv), or a reason the conv kernels of the code-generating targets cannot handle the node. */
export function convGeometry(node: Node): ConvGeometry | string {
  const x = node.inputs[0]?.type;
  if (node.op !== 'QConv') {
    if (x && x.dtype !== 'f32') return `only f32 convolutions are supported, got ${x.dtype}`;
    for (const extra of node.inputs.slice(2)) {
      if (extra && extra.type.dtype !== 'f32') return `operand %${extra.name} must be f32`;
    }
  }
  return windowedGeometry(node);
}

/**
 * The geometry of any convolution-shaped node (Conv, FusedConv, QConv: X, W and the window attributes) with
 * static 1-D or 2-D maps (the kernel table has checked the shapes), whatever its element types; or why not.
 */
function windowedGeometry(node: Node): ConvGeometry | string {
  const x = node.inputs[0]?.type;
  const w = node.inputs[1]?.type;
  if (!x || !w) return `${node.op} needs X and W`;
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) return `only 1-D, 2-D and 3-D convolutions are supported (X has rank ${rank})`;
  const xs = x.shape as number[];
  const ws = w.shape as number[];
  let fail: string | null = null;
  const onFail = (m: string): never => {
    fail = m;
    throw new Error(m);
  };
  const reader = { attr: <T,>(name: string) => getAttr(node, name) as T };
  try {
    const g = windowGeometry(reader as never, xs.slice(2), onFail, ws.slice(2));
    const out = xs.slice(2).map((d, i) => windowOutputDim(d, g, i, false, onFail) as number);
    const two = rank === 4;
    const group = getAttr<number>(node, 'group');
    const [batch, C] = [xs[0]!, xs[1]!];
    const M = ws[0]!;
    const n = g.kernel.length;
    const geo: ConvGeometry = {
      batch,
      C,
      H: two ? xs[2]! : 1,
      W: xs[rank - 1]!,
      M,
      OH: two ? out[0]! : 1,
      OW: out[n - 1]!,
      KH: two ? g.kernel[0]! : 1,
      KW: g.kernel[n - 1]!,
      SH: two ? g.strides[0]! : 1,
      SW: g.strides[n - 1]!,
      DH: two ? g.dilations[0]! : 1,
      DW: g.dilations[n - 1]!,
      PT: two ? g.pads[0]! : 0,
      PL: g.pads[n - 1]!,
      PB: two ? g.pads[n]! : 0,
      PR: g.pads[2 * n - 1]!,
      group,
      Cg: C / group,
      Mg: M / group,
      K: (C / group) * g.kernel.reduce((a, b) => a * b, 1),
    };
    if (!Number.isInteger(geo.Cg) || !Number.isInteger(geo.Mg)) return `group ${group} does not divide the channels`;
    return geo;
  } catch (e) {
    return fail ?? (e as Error).message;
  }
}

/** [lo, hi): output positions o in [0, outSize) whose input o·stride + offset lies in [0, inSize). */
export function validRange(outSize: number, stride: number, offset: number, inSize: number): [number, number] {
  const lo = Math.min(outSize, Math.max(0, Math.ceil(-offset / stride)));
  const hi = Math.max(lo, Math.min(outSize, Math.ceil((inSize - offset) / stride)));
  return [lo, hi];
}
