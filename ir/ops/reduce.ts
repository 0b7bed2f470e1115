import { registerOp, type InferContext } from './registry.js';
import { constantInts, expectDType, NUMERIC_TYPES, operand, optional, schema, unknownShape } from './common.js';
import type { DType } from '../dtype.js';
import { formatType, tensorType, type Dim, type TensorType } from '../types.js';

/**
 * Reductions over axes (ReduceSum and friends, axes as an optional i64 operand) and ArgMax/ArgMin (one axis
 * attribute, i64 indices out).
 */

function resolveAxis(ctx: InferContext, axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) ctx.fail(`${ctx.node.op} axis ${axis} is out of range for rank ${rank}`, 'BAD_SHAPE');
  return axis < 0 ? axis + rank : axis;
}

/**
 * The reduced axes of a ReduceX node, or undefined when its axes operand is not constant. Empty axes mean all
 * axes, unless noop_with_empty_axes makes the node an identity (then []).
 */
export function reducedAxes(ctx: InferContext, rank: number): number[] | undefined {
  let values: number[] = [];
  if (ctx.inputs[1]) {
    const t = ctx.input(1);
    if (t.dtype !== 'i64' || t.shape.length !== 1) ctx.fail(`${ctx.node.op} axes must be a 1-D i64 tensor, got ${formatType(t)}`);
    const c = constantInts(ctx, 1);
    if (!c) return undefined;
    values = c;
  }
  if (values.length === 0) return ctx.attr<number>('noop_with_empty_axes') ? [] : Array.from({ length: rank }, (_, i) => i);
  const axes = values.map((a) => resolveAxis(ctx, a, rank));
  if (new Set(axes).size !== axes.length) ctx.fail(`${ctx.node.op} axes [${values.join(',')}] repeat an axis`, 'BAD_SHAPE');
  return axes;
}

function inferReduce(allowed: readonly DType[]) {
  return (ctx: InferContext): TensorType[] => {
    const x = expectDType(ctx, 0, allowed);
    const rank = x.shape.length;
    const keep = ctx.attr<number>('keepdims') !== 0;
    const axes = reducedAxes(ctx, rank);
    if (!axes) {
      if (keep) return [tensorType(x.dtype, unknownShape(rank))];
      const len = ctx.input(1).shape[0];
      if (typeof len !== 'number') ctx.fail(`${ctx.node.op} with keepdims=0 needs constant axes or an axes operand of static length`, 'BAD_SHAPE');
      return [tensorType(x.dtype, unknownShape(rank - (len as number)))];
    }
    const out: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!axes.includes(i)) out.push(d);
      else if (keep) out.push(1);
    });
    return [tensorType(x.dtype, out)];
  };
}

const REDUCE_ATTRS = {
  keepdims: { type: 'int' as const, default: 1 },
  noop_with_empty_axes: { type: 'int' as const, default: 0 },
};

function reduceOp(name: string, doc: string, allowed: readonly DType[]): void {
  registerOp(
    schema({
      name,
      doc: `${doc} over axes (all axes when omitted, unless noop_with_empty_axes)`,
      inputs: [operand('data'), optional('axes')],
      shapeOperands: [1],
      outputs: [operand('reduced')],
      attrs: REDUCE_ATTRS,
      infer: inferReduce(allowed),
    }),
  );
}

reduceOp('ReduceSum', 'sum', NUMERIC_TYPES);
reduceOp('ReduceMean', 'mean', NUMERIC_TYPES);
reduceOp('ReduceMax', 'maximum', [...NUMERIC_TYPES, 'bool']);
reduceOp('ReduceMin', 'minimum', [...NUMERIC_TYPES, 'bool']);
reduceOp('ReduceProd', 'product', NUMERIC_TYPES);
reduceOp('ReduceL1', 'sum of |x|', NUMERIC_TYPES);
reduceOp('ReduceL2', 'sqrt of the sum of x^2', NUMERIC_TYPES);
reduceOp('ReduceLogSum', 'log of the sum', NUMERIC_TYPES);
reduceOp('ReduceLogSumExp', 'log of the sum of e^x', NUMERIC_TYPES);
reduceOp('ReduceSumSquare', 'sum of x^2', NUMERIC_TYPES);

function argOp(name: string, doc: string): void {
  registerOp(
    schema({
      name,
      doc,
      inputs: [operand('data')],
      outputs: [operand('reduced')],
      attrs: {
        axis: { type: 'int', default: 0 },
        keepdims: { type: 'int', default: 1 },
        select_last_index: { type: 'int', default: 0 },
      },
      infer: (ctx) => {
        const x = expectDType(ctx, 0, NUMERIC_TYPES);
        if (x.shape.length === 0) ctx.fail(`${name} data must have rank >= 1`, 'BAD_SHAPE');
        const axis = resolveAxis(ctx, ctx.attr<number>('axis'), x.shape.length);
        if (x.shape[axis] === 0) ctx.fail(`${name} over the empty axis ${axis} of ${formatType(x)} has no answer`, 'BAD_SHAPE');
        const keep = ctx.attr<number>('keepdims') !== 0;
        const out = keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
        return [tensorType('i64', out)];
      },
    }),
  );
}

argOp('ArgMax', 'index of the largest element along axis (the first, or the last with select_last_index)');
argOp('ArgMin', 'index of the smallest element along axis (the first, or the last with select_last_index)');
