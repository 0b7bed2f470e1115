import { getAttr, type Attributes, type Node, type Tensor, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { singleUseProducer, tensorOf, values, replaceKeepingName } from './fusion-util.js';

/**
 * Folds an inference BatchNormalization into the Conv, ConvTranspose or Gemm that feeds it:
 * bn(y) = y * s + t with s = scale / sqrt(var + eps), t = B - mean * s, so scaling the producer's weights per
 * output channel by s and setting its bias to b * s + t gives the same result with one op fewer. Only when the
 * producer's output feeds nothing but the BatchNormalization, and weights, bias and statistics are constants.
 */

interface ChannelAffine {
  scale: number[];
  shift: number[];
}

function batchNormAffine(bn: Node): ChannelAffine | undefined {
  const [, scale, bias, mean, variance] = bn.inputs;
  if (!scale?.data || !bias?.data || !mean?.data || !variance?.data) return undefined;
  const eps = getAttr<number>(bn, 'epsilon');
  const [g, b, m, v] = [values(scale.data), values(bias.data), values(mean.data), values(variance.data)];
  const s = g.map((gi, c) => gi / Math.sqrt(v[c]! + eps));
  return { scale: s, shift: b.map((bi, c) => bi - m[c]! * s[c]!) };
}

/** W with every element multiplied by the scale of its output channel (`channelOf` maps flat index -> channel). */
function scaledWeights(w: Tensor, channelOf: (i: number) => number, s: readonly number[]): Tensor {
  const data = values(w).map((x, i) => x * s[channelOf(i)]!);
  return tensorOf(w.dtype, w.shape, data);
}

function foldedBias(bias: Value | null, { scale, shift }: ChannelAffine, dtype: Tensor['dtype']): Tensor {
  const b = bias?.data ? values(bias.data) : new Array<number>(scale.length).fill(0);
  return tensorOf(dtype, [scale.length], b.map((x, c) => x * scale[c]! + shift[c]!));
}

function replaceWith(rewriter: PatternRewriter, bn: Node, producer: Node, op: string, inputs: (Value | null)[], attrs: Attributes): boolean {
  const [out] = rewriter.create(op, inputs, attrs, { name: producer.name || undefined, outputs: [bn.outputs[0]!.name] });
  replaceKeepingName(rewriter, bn, out!);
  return true;
}

function foldIntoConv(conv: Node, bn: Node, affine: ChannelAffine, rewriter: PatternRewriter): boolean {
  const [x, w, b] = conv.inputs;
  if (!w?.data || (b && !b.data)) return false;
  const channels = w.data.shape[0]!;
  if (affine.scale.length !== channels) return false;
  const perChannel = w.data.data.length / channels;
  const newW = rewriter.constant(`${w.name}_bn`, scaledWeights(w.data, (i) => Math.floor(i / perChannel), affine.scale));
  const newB = rewriter.constant(`${b?.name ?? `${w.name}_bias`}_bn`, foldedBias(b ?? null, affine, w.data.dtype));
  return replaceWith(rewriter, bn, conv, conv.op, [x!, newW, newB], conv.attrs);
}

/** ConvTranspose's W is [C, M/group, k...]: output channel of element (c, m) is group(c) * M/group + m. */
function foldIntoConvTranspose(conv: Node, bn: Node, affine: ChannelAffine, rewriter: PatternRewriter): boolean {
  const [x, w, b] = conv.inputs;
  if (!w?.data || (b && !b.data)) return false;
  const group = getAttr<number>(conv, 'group');
  const [inChannels, perGroupOut] = [w.data.shape[0]!, w.data.shape[1]!];
  if (affine.scale.length !== perGroupOut * group) return false;
  const kvol = w.data.data.length / (inChannels * perGroupOut);
  const inPerGroup = inChannels / group;
  const channelOf = (i: number) => {
    const m = Math.floor(i / kvol) % perGroupOut;
    const c = Math.floor(i / (kvol * perGroupOut));
    return Math.floor(c / inPerGroup) * perGroupOut + m;
  };
  const newW = rewriter.constant(`${w.name}_bn`, scaledWeights(w.data, channelOf, affine.scale));
  const newB = rewriter.constant(`${b?.name ?? `${w.name}_bias`}_bn`, foldedBias(b ?? null, affine, w.data.dtype));
  return replaceWith(rewriter, bn, conv, conv.op, [x!, newW, newB], conv.attrs);
}

/**
 * Gemm's output is [M, N] and the BatchNormalization channel axis is N: B's columns (rows with transB) scale,
 * and C folds into a fresh per-column bias when it is per-column itself (absent, scalar, [N] or [1, N]).
 */
function foldIntoGemm(gemm: Node, bn: Node, affine: ChannelAffine, rewriter: PatternRewriter): boolean {
  const [a, b, c] = gemm.inputs;
  if (!b?.data || (c && !c.data)) return false;
  const transB = getAttr<number>(gemm, 'transB') !== 0;
  const n = transB ? b.data.shape[0]! : b.data.shape[1]!;
  if (affine.scale.length !== n) return false;
  let bias = new Array<number>(n).fill(0);
  if (c?.data) {
    const cs = c.data.shape;
    const cv = values(c.data);
    if (cv.length === 1) bias.fill(cv[0]!);
    else if ((cs.length === 1 || (cs.length === 2 && cs[0] === 1)) && cv.length === n) bias = cv;
    else return false;
    const beta = getAttr<number>(gemm, 'beta');
    bias = bias.map((x) => x * beta);
  }
  const newB = rewriter.constant(`${b.name}_bn`, scaledWeights(b.data, transB ? (i) => Math.floor(i / b.data!.shape[1]!) : (i) => i % n, affine.scale));
  const newC = rewriter.constant(`${c?.name ?? `${b.name}_bias`}_bn`, tensorOf(b.data.dtype, [n], bias.map((x, j) => x * affine.scale[j]! + affine.shift[j]!)));
  const attrs = { ...gemm.attrs };
  delete attrs.beta;
  return replaceWith(rewriter, bn, gemm, 'Gemm', [a!, newB, newC], attrs);
}

const foldBatchNorm: RewritePattern = {
  name: 'fold-batchnorm-into-producer',
  roots: ['BatchNormalization'],
  rewrite(bn, rewriter) {
    if (bn.outputs.length !== 1 || getAttr<number>(bn, 'training_mode') !== 0) return false;
    const producer = singleUseProducer(bn.inputs[0], ['Conv', 'ConvTranspose', 'Gemm'], bn, rewriter);
    if (!producer) return false;
    const affine = batchNormAffine(bn);
    if (!affine) return false;
    if (producer.op === 'Conv') return foldIntoConv(producer, bn, affine, rewriter);
    if (producer.op === 'ConvTranspose') return foldIntoConvTranspose(producer, bn, affine, rewriter);
    return foldIntoGemm(producer, bn, affine, rewriter);
  },
};

export const fuseConvBn: Pass = {
  name: 'fuse-conv-bn',
  description: 'fold inference BatchNormalization into the weights and bias of the Conv/ConvTranspose/Gemm before it',
  run: (graph) => applyPatternsGreedily(graph, [foldBatchNorm]),
};
