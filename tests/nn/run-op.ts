import { GraphBuilder, makeTensor, type Attributes, type DType, type Tensor, type TensorType } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/interpreter.js';

/** A tensor from nested-free data: dtype, shape and values. */
export const t = (shape: number[], values: number[], dtype: DType = 'f32'): Tensor => makeTensor(dtype, shape, values);

/**
 * Runs one op on the reference interpreter: operand 0 is a graph input, the others are constants (so that
 * value-dependent shapes such as Resize's are static). Returns the outputs and their inferred types.
 */
export function runOp(
  op: string,
  operands: (Tensor | null)[],
  attrs: Attributes = {},
  outputs = 1,
): { values: Tensor[]; types: TensorType[] } {
  const b = new GraphBuilder(`${op}_test`);
  const [first, ...rest] = operands;
  const x = b.input('x', { dtype: first!.dtype, shape: [...first!.shape] });
  const args = [x, ...rest.map((r, i) => (r ? b.constant(`c${i}`, r) : null))];
  const outs = b.node(op, args, attrs, { outputNames: Array.from({ length: outputs }, (_, i) => `y${i}`) });
  b.output(...outs);
  const result = runGraph(b.build(), { x: first! });
  return { values: outs.map((v) => result[v.name]!), types: outs.map((v) => v.type) };
}

/** The single output's values as numbers. */
export function run1(op: string, operands: (Tensor | null)[], attrs: Attributes = {}): number[] {
  return Array.from(runOp(op, operands, attrs).values[0]!.data as ArrayLike<number>, Number);
}

/** Output types from shape inference alone (operand 0 and any constants as given). */
export function inferTypes(op: string, operands: (TensorType | Tensor | null)[], attrs: Attributes = {}, outputs = 1): TensorType[] {
  const b = new GraphBuilder(`${op}_infer`);
  const args = operands.map((o, i) => {
    if (o === null) return null;
    if ('data' in o) return b.constant(`c${i}`, o);
    return b.input(`in${i}`, o);
  });
  return b.node(op, args, attrs, { outputNames: Array.from({ length: outputs }, (_, i) => `y${i}`) }).map((v) => v.type);
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** A tensor's elements as numbers (i64 included). */
export const nums = (x: Tensor): number[] => Array.from(x.data as ArrayLike<number | bigint>, Number);
