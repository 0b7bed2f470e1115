import type binaryen from 'binaryen';
import type { Node, Value } from '../../ir/index.js';
import type { FunctionBuilder } from './dsl.js';

/**
 * What a kernel family sees while emitting code for one node: addresses of its operands and results in the
 * module's memory, places for derived constant data (e.g. packed weights) and scratch space, and a way to
 * define (deduplicated) functions. Shapes are static, so kernels are specialized to them.
 */
export interface EmitContext {
  readonly m: binaryen.Module;
  readonly options: WasmOptions;
  /** Byte address of a value: an arena slot, or a constant in its plain row-major layout (placed on demand). */
  addressOf(v: Value): number;
  /** Places derived read-only data once per key and returns its address (aligned to `align`, default 16). */
  placeData(key: string, bytes: Uint8Array, align?: number): number;
  /** Byte address of scratch space the node may use while it runs (shared by all nodes). */
  scratch(bytes: number): number;
  /**
   * Defines a function of `params` i32 parameters once per key (kernels with equal keys have equal code) and
   * returns its name; `build` returns the body.
   */
  defineFunction(key: string, params: number, build: (fn: FunctionBuilder) => binaryen.ExpressionRef): string;
  /** A call of a defined function with constant i32 arguments (addresses). */
  call(name: string, args: number[]): binaryen.ExpressionRef;
}

export interface WasmKernel {
  /** IR ops this family handles. */
  readonly ops: readonly string[];
  /** null when the node is supported, else the reason it is not (shown to the user with the node name). */
  check(node: Node): string | null;
  /** Scratch bytes the node needs while it runs (im2col buffers, transformed tiles); default none. */
  scratchBytes?(node: Node, options: WasmOptions): number;
  /** Code for the node, as the statement run() executes for it. */
  emit(node: Node, ctx: EmitContext): binaryen.ExpressionRef;
}

export interface WasmOptions {
  /** Allow relaxed-simd (f32x4.relaxed_madd): faster, but results may differ between engines. */
  relaxedSimd: boolean;
  /** Use Winograd for 3x3 stride-1 convolutions where it pays. */
  winograd: boolean;
  /**
   * Integer Winograd F(4x4, 3x3) for 8-bit 3x3 stride-1 QConv where it pays and is exact (else F(2x2));
   * off to compare the two.
   */
  winograd4: boolean;
  /**
   * Profiling build: the module imports `edgec.profile_begin(node)` / `edgec.profile_end(node)` and calls
   * them around every node, and the I/O table lists the nodes; for per-kernel time breakdowns in bench/.
   */
  profile: boolean;
}

export const DEFAULT_WASM_OPTIONS: WasmOptions = { relaxedSimd: false, winograd: true, winograd4: true, profile: false };
