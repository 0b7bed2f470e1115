import { getOpSchema, nodeActivation, registeredOps, type Attributes, type Node, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { isFloatType, producedBy, replaceKeepingName } from './fusion-util.js';

/**
 * Folds an activation into the Conv / Gemm before it: Conv -> FusedConv, Gemm -> FusedGemm (and an existing
 * FusedConv/FusedGemm without activation takes one). Also folds a residual Add of a same-shaped tensor into a
 * Conv as FusedConv's Z operand (y = act(conv + b + z)), so resnet's conv -> add -> relu becomes one op; the
 * option residual=0 turns that off.
 */

const PRODUCERS = ['Conv', 'Gemm', 'FusedConv', 'FusedGemm'];
const FUSED_OP: Record<string, string> = { Conv: 'FusedConv', Gemm: 'FusedGemm', FusedConv: 'FusedConv', FusedGemm: 'FusedGemm' };

/** Whether the producer can still take an activation (plain ops always; fused ones while they have none). */
function canTakeActivation(p: Node): boolean {
  return !p.op.startsWith('Fused') || (p.attrs.activation ?? 'None') === 'None';
}

/** The producer of `v` when it can absorb an activation and its output is read only by `readers`. */
function absorbingProducer(v: Value | null, readers: readonly Node[], rewriter: PatternRewriter): Node | undefined {
  const p = producedBy(v, PRODUCERS);
  if (!p || !canTakeActivation(p) || !isFloatType(v!.type.dtype) || rewriter.graph.outputs.includes(v!)) return undefined;
  const users = rewriter.users(v!);
  if (users.length !== readers.length || !readers.every((r) => users.includes(r))) return undefined;
  return p;
}

/** Replaces `root` by the fused form of `producer` with the activation (and, for FusedConv, operand Z). */
function fuse(root: Node, producer: Node, activation: string, params: number[], rewriter: PatternRewriter, z: Value | null = null): boolean {
  const attrs: Attributes = { ...producer.attrs, activation };
  if (params.length > 0) attrs.activation_params = params;
  else delete attrs.activation_params;
  if (activation === 'None') delete attrs.activation;
  const inputs = [...producer.inputs];
  if (z) {
    while (inputs.length < 3) inputs.push(null);
    inputs[3] = z;
  }
  const op = FUSED_OP[producer.op]!;
  const [out] = rewriter.create(op, inputs, attrs, { name: producer.name || undefined, outputs: [root.outputs[0]!.name] });
  replaceKeepingName(rewriter, root, out!);
  return true;
}

const unaryActivation: RewritePattern = {
  name: 'fuse-unary-activation',
  roots: registeredOps().filter((op) => getOpSchema(op)!.activation),
  rewrite(root, rewriter) {
    const producer = absorbingProducer(root.inputs[0]!, [root], rewriter);
    // The schema's activation, when this node has one (a Clip by tensor bounds has none).
    const act = producer && nodeActivation(root);
    if (!producer || !act) return false;
    return fuse(root, producer, act.name, act.params, rewriter);
  },
};

/** y * Sigmoid(y) (either order) with y read only by those two nodes -> SiLU. */
const silu: RewritePattern = {
  name: 'fuse-silu',
  roots: ['Mul'],
  rewrite(mul, rewriter) {
    for (const i of [0, 1]) {
      const y = mul.inputs[i]!;
      const s = mul.inputs[1 - i]!;
      const sigmoid = producedBy(s, ['Sigmoid']);
      if (!sigmoid || sigmoid.inputs[0] !== y || !rewriter.hasSingleUse(s, mul)) continue;
      const producer = absorbingProducer(y, [sigmoid, mul], rewriter);
      if (producer) return fuse(mul, producer, 'SiLU', [], rewriter);
    }
    return false;
  },
};

function sameShape(a: Value, b: Value): boolean {
  const [x, y] = [a.type, b.type];
  return x.dtype === y.dtype && x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i] && d !== '?');
}

/** conv(x) + z with z of the output's exact type -> FusedConv(x, W, B, z); the activation can follow later. */
const residualAdd: RewritePattern = {
  name: 'fuse-conv-residual-add',
  roots: ['Add'],
  rewrite(add, rewriter) {
    for (const i of [0, 1]) {
      const y = add.inputs[i]!;
      const z = add.inputs[1 - i]!;
      if (y === z) continue;
      const conv = absorbingProducer(y, [add], rewriter);
      if (!conv || (conv.op !== 'Conv' && conv.op !== 'FusedConv') || (conv.inputs[3] ?? null) !== null) continue;
      if (!sameShape(y, z) || !sameShape(y, add.outputs[0]!)) continue;
      return fuse(add, conv, 'None', [], rewriter, z);
    }
    return false;
  },
};

export const fuseActivation: Pass = {
  name: 'fuse-activation',
  description: 'fold Relu/Clip/Sigmoid/SiLU/HardSigmoid/HardSwish/LeakyRelu/Gelu (and residual Adds) into Conv/Gemm as FusedConv/FusedGemm',
  options: { residual: 'fold a same-shaped Add after a Conv into FusedConv operand Z (1, the default, or 0)' },
  run: (graph, options) => {
    const patterns = [unaryActivation, silu];
    if ((options.residual ?? '1') !== '0') patterns.push(residualAdd);
    return applyPatternsGreedily(graph, patterns);
  },
};
