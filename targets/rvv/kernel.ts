import type { Node, Value } from '../../ir/index.js';
import type { Kernel } from '../shared/kernel.js';

/**
 * What a kernel family sees while writing the C code of one node: C expressions for its operands and
 * results, a place for derived read-only data (packed weights) in the weights blob, scratch space, and a way
 * to define shared helper functions once. Shapes are static, so the code is specialized to them.
 */
export interface CEmitContext {
  /** A C expression of type `T *` (T the C element type of the value's dtype) addressing the value. */
  ptr(v: Value): string;
  /** A C expression `float *` into the weights blob for derived data placed once per key. */
  weightsF32(key: string, data: Float32Array): string;
  /** A C expression `uint8_t *` into the weights blob for derived bytes placed once per key. */
  weightsBytes(key: string, bytes: Uint8Array): string;
  /** A C expression `float *` to scratch space shared by all nodes (at least `bytes` long). */
  scratch(bytes: number): string;
  /** Defines a C helper (a function, a table) once per key; later calls with the same key are no-ops. */
  helper(key: string, code: () => string): void;
  /**
   * Defines a helper built from a plan (plain data) once per plan, keyed by planKey(kind, plan), so the key holds
   * every parameter the builder reads; returns its C name, `name(plan)`. Two plans given one C name throw.
   */
  planHelper<P>(kind: string, plan: P, name: (plan: P) => string, code: (name: string, plan: P) => string): string;
}

/** An rvv kernel family: emits the C statements of a node's function (the body). */
export type RvvKernel = Kernel<CEmitContext, string>;

/** C element type of an IR dtype. */
export const C_TYPES: Readonly<Record<string, string>> = {
  f32: 'float',
  f64: 'double',
  i8: 'int8_t',
  u8: 'uint8_t',
  i16: 'int16_t',
  u16: 'uint16_t',
  i32: 'int32_t',
  u32: 'uint32_t',
  i64: 'int64_t',
  u64: 'uint64_t',
  bool: 'uint8_t',
  f16: 'uint16_t',
  bf16: 'uint16_t',
};

/** A float literal C parses back to the same f32 (inf and nan spelled with math.h macros). */
export function cFloat(x: number): string {
  if (Number.isNaN(x)) return 'NAN';
  if (x === Infinity) return 'INFINITY';
  if (x === -Infinity) return '(-INFINITY)';
  const f = Math.fround(x);
  if (Object.is(f, -0)) return '-0.0f';
  let text = String(f);
  if (!/[.eE]/.test(text)) text += '.0';
  return `${text}f`;
}

export const shapeOf = (v: Value): number[] => v.type.shape as number[];
export const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Reason a node's first operand or a result is not f32, or null (the kernel table checks the shapes). */
export function checkF32(node: Node): string | null {
  for (const v of [node.inputs[0], ...node.outputs]) {
    if (v && v.type.dtype !== 'f32') return `only f32 is supported for ${node.op} on rvv, %${v.name} is ${v.type.dtype}`;
  }
  return null;
}
