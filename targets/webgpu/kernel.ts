import type { Node, Value } from '../../ir/index.js';
import type { Kernel } from '../shared/kernel.js';
import { parseOptions } from '../shared/options.js';

/**
 * What a WebGPU kernel family sees while generating shaders for one node: where each operand lives (an
 * element offset in the arena or in the weights buffer, both addressed in 4-byte words) and the options.
 * Shapes are static, so every shader is specialized to its node: offsets, extents and strides are constants
 * in the shader text.
 */
export interface GpuEmitContext {
  readonly options: WebGpuOptions;
  /** Where a value's data starts: `buffer[offset + i]` is its i-th 4-byte word. */
  locate(v: Value): ValueLocation;
}

export interface ValueLocation {
  buffer: 'arena' | 'weights';
  /** In 4-byte words. */
  offset: number;
}

/** One compute dispatch: a complete WGSL module (entry point `main`) and its workgroup counts. */
export interface Dispatch {
  code: string;
  workgroups: [number, number, number];
  /** A WGSL language feature `code` needs, and the shader the runtime runs instead when the adapter lacks it. */
  languageFeature?: string;
  fallback?: string;
}

/** A WebGPU kernel family: the dispatches that compute a node, in order; [] when it costs nothing (a view in place). */
export type GpuKernel = Kernel<GpuEmitContext, Dispatch[]>;

export interface WebGpuOptions {
  /** Invocations per workgroup of the one-item-per-invocation kernels (elementwise, movement, pooling). */
  workgroupSize: number;
  /** Also generate dot4I8Packed variants of the i8 x i8 QConv / QMatMul shaders (used where the adapter has the feature). */
  packedInt8Dot: boolean;
}

export const DEFAULT_WEBGPU_OPTIONS: WebGpuOptions = { workgroupSize: 64, packedInt8Dot: true };

/** The webgpu options from an untyped record: unknown keys and wrong types are refused. */
export const parseWebGpuOptions = (raw: Readonly<Record<string, unknown>>): WebGpuOptions => parseOptions('webgpu', raw, DEFAULT_WEBGPU_OPTIONS);

/** `buffer[offset + index]` for a located value. */
export function at(loc: ValueLocation, index: string): string {
  return loc.offset === 0 ? `${loc.buffer}[${index}]` : `${loc.buffer}[${loc.offset}u + ${index}]`;
}

/** Static shape of a value (check() has made sure shapes are static). */
export const shapeOf = (v: Value): number[] => v.type.shape as number[];
export const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
