import type { Attributes } from '../../../ir/index.js';
import type { KernelCase } from '../case.js';

/** Small case makers shared by the families: one op over f32 inputs of the given shapes. */

/** `op` over f32 graph inputs a, b, c... of these shapes. */
export function nary(name: string, op: string, shapes: number[][], attrs: Attributes = {}, options: Partial<KernelCase> = {}): KernelCase {
  return { name, ...options, build: (b) => b.output(b.op(op, shapes.map((s, i) => b.input('abcdefgh'[i]!, s)), attrs, 'y')) };
}

export const unary = (name: string, op: string, shape: number[], attrs: Attributes = {}, options: Partial<KernelCase> = {}): KernelCase => nary(name, op, [shape], attrs, options);
