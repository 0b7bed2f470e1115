import { isFloat, isInteger, type DType } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { formatType, UNKNOWN_DIM, type Dim, type TensorType } from '../types.js';
import type { InferContext, OpSchema, OperandSpec } from './registry.js';

/** Helpers shared by the op schema files: operand specs and the common dtype and shape rules. */

export const operand = (name: string): OperandSpec => ({ name });
export const optional = (name: string): OperandSpec => ({ name, optional: true });
export const variadic = (name: string, opts: { optional?: boolean } = {}): OperandSpec => ({ name, variadic: true, ...opts });

export const FLOAT_TYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'f64'];
export const NUMERIC_TYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'f64', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64'];
export const SIGNED_NUMERIC_TYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'f64', 'i8', 'i16', 'i32', 'i64'];
export const INDEX_TYPES: readonly DType[] = ['i32', 'i64'];

/** Fails unless the operand's dtype is one of `allowed`. */
export function expectDType(ctx: InferContext, index: number, allowed: readonly DType[]): TensorType {
  const t = ctx.input(index);
  if (!allowed.includes(t.dtype)) {
    const name = ctx.node.op;
    ctx.fail(`${name} operand ${index} has type ${formatType(t)}; expected one of ${allowed.join(', ')}`);
  }
  return t;
}

export function expectFloat(ctx: InferContext, index: number): TensorType {
  const t = ctx.input(index);
  if (!isFloat(t.dtype)) ctx.fail(`${ctx.node.op} operand ${index} must be floating point, got ${formatType(t)}`);
  return t;
}

export function expectInteger(ctx: InferContext, index: number): TensorType {
  const t = ctx.input(index);
  if (!isInteger(t.dtype)) ctx.fail(`${ctx.node.op} operand ${index} must be an integer tensor, got ${formatType(t)}`);
  return t;
}

/** Fails unless all present operands share one dtype; returns it. */
export function expectSameDType(ctx: InferContext, indices?: number[]): DType {
  const idx = indices ?? ctx.inputs.map((_, i) => i);
  let dtype: DType | undefined;
  for (const i of idx) {
    const t = ctx.inputs[i];
    if (!t) continue;
    if (dtype === undefined) dtype = t.dtype;
    else if (t.dtype !== dtype) ctx.fail(`${ctx.node.op} operands must share one dtype, got ${ctx.inputs.map((x) => (x ? x.dtype : '_')).join(', ')}`);
  }
  return dtype ?? ctx.fail(`${ctx.node.op} has no typed operands`);
}

export function expectRank(ctx: InferContext, index: number, rank: number | ((r: number) => boolean), what = `rank ${String(rank)}`): TensorType {
  const t = ctx.input(index);
  const ok = typeof rank === 'number' ? t.shape.length === rank : rank(t.shape.length);
  if (!ok) ctx.fail(`${ctx.node.op} operand ${index} must have ${what}, got ${formatType(t)}`, 'BAD_SHAPE');
  return t;
}

/** The broadcast of the present operands' shapes; fails naming the shapes when they do not broadcast. */
export function broadcastOperands(ctx: InferContext, indices?: number[]): Dim[] {
  const idx = indices ?? ctx.inputs.map((_, i) => i);
  const shapes = idx.map((i) => ctx.inputs[i]).filter((t): t is TensorType => t !== null).map((t) => t.shape);
  const out = broadcastShapes(shapes);
  if (!out) ctx.fail(`${ctx.node.op} operand shapes do not broadcast: ${shapes.map((s) => `[${s.join(',')}]`).join(' vs ')}`, 'BAD_SHAPE');
  return out!;
}

/** The values of a constant integer operand (e.g. Reshape's shape), or undefined if it is not constant. */
export function constantInts(ctx: InferContext, index: number): number[] | undefined {
  const t = ctx.constant(index);
  if (!t) return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/** A shape of `rank` unknown dims. */
export function unknownShape(rank: number): Dim[] {
  return new Array<Dim>(rank).fill(UNKNOWN_DIM);
}

type SchemaInit = Omit<OpSchema, 'attrs' | 'outputs'> & Partial<Pick<OpSchema, 'attrs' | 'outputs'>>;

/** Schema with defaults for the common case of one output named Y and no attributes. */
export function schema(init: SchemaInit): OpSchema {
  return { attrs: {}, outputs: [operand('Y')], ...init };
}
