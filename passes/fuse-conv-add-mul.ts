import type { Node, Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { perChannelVector, singleUseProducer, tensorOf, values, replaceKeepingName } from './fusion-util.js';

/**
 * Folds a per-output-channel constant Mul (or Div) and Add (or Sub) after a Conv into its weights and bias:
 * conv(x, W, B) * k = conv(x, W * k, B * k) and conv(x, W, B) + k = conv(x, W, B + k), for k of shape [C,1,1],
 * [1,C,1,1], a scalar, ... (anything that varies only along the channel axis and does not enlarge the output).
 * This is what an exported affine "frozen BatchNorm" or a scaling layer looks like after constant folding.
 */

interface Match {
  conv: Node;
  k: number[];
}

function matchConvAndChannelConstant(node: Node, rewriter: PatternRewriter, commutative: boolean): Match | undefined {
  const order = commutative ? [0, 1] : [0];
  for (const i of order) {
    const v = node.inputs[i];
    const c = node.inputs[1 - i];
    const conv = singleUseProducer(v, ['Conv'], node, rewriter);
    if (!conv || !c?.data || c === v) continue;
    const [w, b] = [conv.inputs[1], conv.inputs[2]];
    if (!w?.data || (b && !b.data)) continue;
    const out = conv.outputs[0]!;
    const channels = w.data.shape[0]!;
    const k = perChannelVector(c.data, out.type.shape.length, channels);
    if (k) return { conv, k };
  }
  return undefined;
}

function rebuild(node: Node, conv: Node, w: Value, b: Value, rewriter: PatternRewriter): boolean {
  const [out] = rewriter.create('Conv', [conv.inputs[0]!, w, b], conv.attrs, { name: conv.name || undefined, outputs: [node.outputs[0]!.name] });
  replaceKeepingName(rewriter, node, out!);
  return true;
}

const foldScale: RewritePattern = {
  name: 'fold-channel-scale-into-conv',
  roots: ['Mul', 'Div'],
  rewrite(node, rewriter) {
    const m = matchConvAndChannelConstant(node, rewriter, node.op === 'Mul');
    if (!m) return false;
    const k = node.op === 'Div' ? m.k.map((x) => 1 / x) : m.k;
    const [w, b] = [m.conv.inputs[1]!, m.conv.inputs[2]];
    const wData = w.data!;
    const perChannel = wData.data.length / k.length;
    const newW = rewriter.constant(`${w.name}_scaled`, tensorOf(wData.dtype, wData.shape, values(wData).map((x, i) => x * k[Math.floor(i / perChannel)]!)));
    const bias = b?.data ? values(b.data) : new Array<number>(k.length).fill(0);
    const newB = rewriter.constant(`${b?.name ?? `${w.name}_bias`}_scaled`, tensorOf(wData.dtype, [k.length], bias.map((x, c) => x * k[c]!)));
    return rebuild(node, m.conv, newW, newB, rewriter);
  },
};

const foldShift: RewritePattern = {
  name: 'fold-channel-shift-into-conv',
  roots: ['Add', 'Sub'],
  rewrite(node, rewriter) {
    const m = matchConvAndChannelConstant(node, rewriter, node.op === 'Add');
    if (!m) return false;
    const k = node.op === 'Sub' ? m.k.map((x) => -x) : m.k;
    const [w, b] = [m.conv.inputs[1]!, m.conv.inputs[2]];
    const bias = b?.data ? values(b.data) : new Array<number>(k.length).fill(0);
    const newB = rewriter.constant(`${b?.name ?? `${w.name}_bias`}_shifted`, tensorOf(w.data!.dtype, [k.length], bias.map((x, c) => x + k[c]!)));
    return rebuild(node, m.conv, w, newB, rewriter);
  },
};

export const fuseConvAddMul: Pass = {
  name: 'fuse-conv-add-mul',
  description: 'fold per-channel constant Mul/Div and Add/Sub after a Conv into its weights and bias',
  run: (graph) => applyPatternsGreedily(graph, [foldScale, foldShift]),
};
