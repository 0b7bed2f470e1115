import { makeTensor, numel, toNumbers, type DType, type Node, type Tensor, type Value } from '../ir/index.js';
import type { PatternRewriter } from './pattern.js';

/** Small matchers the fusion passes share: producers, constants, scalars, per-channel vectors. */

/** The node producing `v` when its op is one of `ops`. */
export function producedBy(v: Value | null | undefined, ops: readonly string[]): Node | undefined {
  const p = v?.producer;
  return p && ops.includes(p.op) ? p : undefined;
}

/** The node producing `v` when its op is one of `ops` and `user` is the only reader of `v` (not a graph output). */
export function singleUseProducer(v: Value | null | undefined, ops: readonly string[], user: Node, rewriter: PatternRewriter): Node | undefined {
  const p = producedBy(v, ops);
  return p && rewriter.hasSingleUse(v!, user) ? p : undefined;
}

/** The value of a one-element constant, or undefined. */
export function constantScalar(v: Value | null | undefined): number | undefined {
  if (!v?.data || v.data.data.length !== 1) return undefined;
  return Number(v.data.data[0]);
}

const FLOAT_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'f64'];

export function isFloatType(dtype: DType): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

/** Whether a and b agree to a relative tolerance (for matching constants like 1/sqrt(2) written as f32). */
export function near(a: number | undefined, b: number, rtol = 1e-5): boolean {
  return a !== undefined && Math.abs(a - b) <= rtol * Math.abs(b);
}

/** The elements of a constant as numbers. */
export function values(t: Tensor): number[] {
  return toNumbers(t);
}

/**
 * The per-channel vector of a constant that broadcasts against a [N, C, ...] output of the given rank and varies
 * at most along axis 1 (shapes [C,1,1], [1,C,1,1], [C] for rank 2, a scalar, ...), expanded to length C; else
 * undefined. The constant must not enlarge the output (its rank is at most the output's).
 */
export function perChannelVector(c: Tensor, outputRank: number, channels: number): number[] | undefined {
  const rank = c.shape.length;
  if (rank > outputRank) return undefined;
  const data = values(c);
  if (data.length === 1) return new Array<number>(channels).fill(data[0]!);
  const channelAxis = 1 - (outputRank - rank);
  for (let i = 0; i < rank; i++) {
    if (i === channelAxis) {
      if (c.shape[i] !== channels) return undefined;
    } else if (c.shape[i] !== 1) {
      return undefined;
    }
  }
  return channelAxis >= 0 && channelAxis < rank ? data : undefined;
}

/** A constant tensor of dtype from float64 values (rounded as the dtype stores them). */
export function tensorOf(dtype: DType, shape: readonly number[], data: ArrayLike<number>): Tensor {
  if (numel(shape) !== data.length) throw new Error(`tensorOf: ${data.length} values for shape [${shape.join(',')}]`);
  return makeTensor(dtype, shape, data);
}

/** The other operand of a binary node, given one of them. */
export function otherOperand(node: Node, v: Value): Value | null {
  return node.inputs[0] === v ? node.inputs[1]! : node.inputs[0]!;
}

/**
 * Replaces `root`'s single output by `value` and lets `value` take over the replaced value's name, so the fused
 * graph reads like the original (`%y = FusedConv(...)` where `%y = Relu(...)` was).
 */
export function replaceKeepingName(rewriter: PatternRewriter, root: Node, value: Value): void {
  const name = root.outputs[0]!.name;
  rewriter.replace(root, [value]);
  if (!rewriter.contains(root)) value.name = name;
}
