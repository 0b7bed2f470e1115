import { isDType, type DType } from './dtype.js';

/**
 * A dimension is a static size or a symbol. Symbols with the same name are the same size; '?' is an unknown
 * size that equals nothing, not even another '?'.
 */
export type Dim = number | string;
export const UNKNOWN_DIM = '?';

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export function tensorType(dtype: DType, shape: readonly Dim[]): TensorType {
  return { dtype, shape: [...shape] };
}

export function isStaticShape(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function staticShape(type: TensorType): number[] | undefined {
  return isStaticShape(type.shape) ? [...type.shape] : undefined;
}

export function sameDim(a: Dim, b: Dim): boolean {
  return a === b && a !== UNKNOWN_DIM;
}

export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

const SIMPLE_SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatDim(d: Dim): string {
  if (typeof d === 'number' || d === UNKNOWN_DIM || SIMPLE_SYMBOL.test(d)) return String(d);
  return JSON.stringify(d);
}

/** `f32[1,3,224,224]`, `f32[batch,32,64]`, `i64[]` for a scalar. */
export function formatType(t: TensorType): string {
  return `${t.dtype}[${t.shape.map(formatDim).join(',')}]`;
}

export function parseDType(s: string): DType | undefined {
  return isDType(s) ? s : undefined;
}
