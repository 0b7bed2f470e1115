import { GraphBuilder, makeTensor, type Attributes, type DType, type Tensor, type TensorType, type Value } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';

/** Builds a one-node graph from tensors (constants where asked) and runs it on the reference interpreter. */

export interface Operand {
  tensor: Tensor | null;
  /** Make it a graph constant (so shape inference can read it) instead of a fed input. */
  constant?: boolean;
}

export const t = (dtype: DType, shape: number[], data?: ArrayLike<number> | ArrayLike<bigint>): Tensor => makeTensor(dtype, shape, data);
export const i64 = (...values: number[]): Tensor => makeTensor('i64', [values.length], values);
export const c = (tensor: Tensor): Operand => ({ tensor, constant: true });
export const fed = (tensor: Tensor): Operand => ({ tensor });
export const none: Operand = { tensor: null };

/** Runs `op` and returns its output tensors plus the types shape inference gave them. */
export function runOp(op: string, operands: Operand[], attrs: Attributes = {}, outputs = 1): { out: Tensor[]; types: TensorType[] } {
  const b = new GraphBuilder('test');
  const feeds: Record<string, Tensor> = {};
  const values: (Value | null)[] = operands.map((o, i) => {
    if (!o.tensor) return null;
    if (o.constant) return b.constant(`c${i}`, o.tensor);
    feeds[`x${i}`] = o.tensor;
    return b.input(`x${i}`, { dtype: o.tensor.dtype, shape: o.tensor.shape });
  });
  const names = Array.from({ length: outputs }, (_, i) => `y${i}`);
  const outs = b.node(op, values, attrs, { outputNames: names });
  b.output(...outs);
  const result = runGraph(b.build(), feeds);
  return { out: outs.map((v) => result[v.name]!), types: outs.map((v) => v.type) };
}

/** Infers the output types of `op` over operand types (constants given as tensors), without running it. */
export function inferOp(op: string, operands: (TensorType | Tensor | null)[], attrs: Attributes = {}, outputs = 1): TensorType[] {
  const b = new GraphBuilder('infer');
  const values = operands.map((o, i) => {
    if (o === null) return null;
    if ('data' in o) return b.constant(`c${i}`, o);
    return b.input(`x${i}`, o);
  });
  return b.node(op, values, attrs, { outputNames: Array.from({ length: outputs }, (_, i) => `y${i}`) }).map((v) => v.type);
}

/** Elements as plain numbers (compare int64 data directly as bigints when exactness matters). */
export const values = (x: Tensor): number[] => Array.from(x.data as ArrayLike<number | bigint>, (v) => Number(v));
