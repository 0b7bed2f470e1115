import type binaryen from 'binaryen';
import type { Node, Value } from '../../ir/index.js';
import type { Kernel } from '../shared/kernel.js';
import { parseOptions } from '../shared/options.js';
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
   * Defines a function of `params` i32 parameters once per plan and returns its name; `build` returns the
   * body from the plan. The dedup key is the kind and the plan (planKey), so nodes with equal plans share the
   * function, and `build` must read nothing but the plan (what it reads is what the key holds).
   */
  defineFunction<P>(kind: string, plan: P, params: number, build: (fn: FunctionBuilder, plan: P) => binaryen.ExpressionRef): string;
  /** A call of a defined function with constant i32 arguments (addresses). */
  call(name: string, args: number[]): binaryen.ExpressionRef;
}

/** A wasm kernel family: emits a binaryen statement per node; its scratch may depend on the options (Winograd). */
export type WasmKernel = Kernel<EmitContext, binaryen.ExpressionRef, WasmOptions>;

/**
 * The wasm code generator's options. There is no relaxed-SIMD option: no kernel emits a relaxed instruction
 * (the modules are plain SIMD128, so results do not depend on the engine), and Node 20 runs relaxed SIMD only
 * behind --experimental-wasm-relaxed-simd.
 */
export interface WasmOptions {
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

export const DEFAULT_WASM_OPTIONS: WasmOptions = { winograd: true, winograd4: true, profile: false };

/** The wasm options from an untyped record (the CLI, the bench engine): unknown keys and wrong types are refused. */
export const parseWasmOptions = (raw: Readonly<Record<string, unknown>>): WasmOptions => parseOptions('wasm', raw, DEFAULT_WASM_OPTIONS);
