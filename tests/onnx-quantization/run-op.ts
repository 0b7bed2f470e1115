import { GraphBuilder, makeTensor, type Attributes, type DType, type Tensor, type Value } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/interpreter.js';

/** Test helper: builds a one-node graph (every present operand a graph input), runs it on the reference kernels. */
export function runOp(op: string, operands: readonly (Tensor | null)[], attrs: Attributes = {}, outputs = 1): Tensor[] {
  const b = new GraphBuilder(`test_${op}`);
  const feeds: Record<string, Tensor> = {};
  const values: (Value | null)[] = operands.map((t, i) => {
    if (!t) return null;
    const v = b.input(`in${i}`, { dtype: t.dtype, shape: t.shape });
    feeds[v.name] = t;
    return v;
  });
  const names = Array.from({ length: outputs }, (_, i) => `out${i}`);
  const outs = b.node(op, values, attrs, { outputNames: names });
  b.output(...outs);
  const result = runGraph(b.build(), feeds);
  return outs.map((v) => result[v.name]!);
}

/** Shorthand tensor constructor: t('u8', [2], [1, 2]); a scalar when shape is []. */
export const t = (dtype: DType, shape: readonly number[], data: readonly number[]): Tensor => makeTensor(dtype, shape, data);

export const values = (x: Tensor): number[] => Array.from(x.data as ArrayLike<number>);
