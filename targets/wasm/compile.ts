import binaryen from 'binaryen';
import { arrayToBytes, dtypeBytes, EdgecError, type Graph, type Node, type Value } from '../../ir/index.js';
import { encodeWasmIoTable, PROFILE_IMPORTS, WASM_EXPORTS, WASM_IO_FORMAT, WASM_IO_SECTION, type WasmIoEntry, type WasmIoTable } from '../../runtime/formats/wasm-io.js';
import { checkCompilable, unsupportedBy } from '../shared/compilable.js';
import { ConstantPool } from '../shared/constant-pool.js';
import { planKey } from '../shared/plan-key.js';
import { concatBytes, wasmDataSection } from './binary.js';
import { FunctionBuilder, MEMORY } from './dsl.js';
import { DEFAULT_WASM_OPTIONS, type EmitContext, type WasmKernel, type WasmOptions } from './kernel.js';
import { kernelFor, WASM_KERNELS } from './kernels/index.js';

/**
 * Code generation for WebAssembly SIMD128. The module is self-contained: one exported memory laid out as
 *
 *   [ guard | arena (from plan-memory) | scratch | read-only data (weights, packed panels, tables) ]
 *
 * one exported function `run` executing the graph's nodes in order, and a custom section `edgec.io` describing
 * inputs and outputs (name, dtype, shape, byte offset), so a runtime needs nothing else to use it (its layout:
 * runtime/formats/wasm-io.ts).
 */
const WASM_PASSES = ['optimize-instructions', 'precompute', 'simplify-locals', 'vacuum', 'coalesce-locals', 'reorder-locals'];
const GUARD_BYTES = 64; // address 0 stays unused so a zero pointer is never valid data
const PAGE = 65536;

export interface WasmArtifact {
  bytes: Uint8Array;
  io: WasmIoTable;
  layout: { arenaBytes: number; scratchBytes: number; dataBytes: number; memoryBytes: number };
  /** Kernel function count after deduplication, for reports. */
  functions: number;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** The reason a node cannot be compiled for wasm, or null. */
const checkWasm = (node: Node): string | null => WASM_KERNELS.check(node);

/** Every node the wasm target cannot compile, with the reason, reported together before any code is made. */
export function unsupportedByWasm(graph: Graph): { node: Node; reason: string }[] {
  return unsupportedBy(graph, checkWasm);
}

export function compileWasm(graph: Graph, options: Partial<WasmOptions> = {}): WasmArtifact {
  const opts: WasmOptions = { ...DEFAULT_WASM_OPTIONS, ...options };
  checkCompilable(graph, 'wasm', checkWasm);
  const arenaBytes = Number(graph.metadata['edgec.arena_bytes'] ?? 0);
  const arenaBase = GUARD_BYTES;
  const scratchBase = align(arenaBase + arenaBytes, 64);
  const kernels = graph.nodes.map((n) => kernelFor(n.op)!);
  const scratchBytes = align(Math.max(0, ...graph.nodes.map((n, i) => kernels[i]!.scratchBytes?.(n, opts) ?? 0)), 64);
  const dataBase = scratchBase + scratchBytes;

  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt | binaryen.Features.MutableGlobals);
  const pool = new ConstantPool(dataBase, 16);
  const functions = new Map<string, string>();

  const ctx: EmitContext & { scratchBytesUsed: number } = {
    m,
    options: opts,
    scratchBytesUsed: 0,
    addressOf(v) {
      if (v.arenaOffset !== undefined) return arenaBase + v.arenaOffset;
      if (!v.data) throw new EdgecError('VERIFY', `%${v.name} is neither placed in the arena nor a constant`);
      return pool.place(`const:${v.name}`, arrayToBytes(v.data.dtype, v.data.data), Math.max(16, dtypeBytes(v.data.dtype)));
    },
    placeData: (key, bytes, alignment) => pool.place(key, bytes, alignment),
    scratch(bytes) {
      if (bytes > scratchBytes) throw new EdgecError('VERIFY', `a kernel asked for ${bytes} scratch bytes but declared ${scratchBytes}`);
      return scratchBase;
    },
    defineFunction(kind, plan, params, build) {
      const key = planKey(kind, plan);
      const known = functions.get(key);
      if (known) return known;
      const name = `k${functions.size}`;
      functions.set(key, name);
      const fn = new FunctionBuilder(m, params);
      const body = build(fn, plan);
      m.addFunction(name, binaryen.createType(new Array(params).fill(binaryen.i32)), binaryen.none, [...fn.localTypes], body);
      return name;
    },
    call(name, args) {
      return m.call(name, args.map((a) => m.i32.const(a | 0)), binaryen.none);
    },
  };

  let statements = graph.nodes.map((node, i) => kernels[i]!.emit(node, ctx));
  if (opts.profile) {
    for (const hook of [PROFILE_IMPORTS.begin, PROFILE_IMPORTS.end]) {
      m.addFunctionImport(hook, PROFILE_IMPORTS.module, hook, binaryen.i32, binaryen.none);
    }
    statements = statements.map((s, i) => m.block(null, [
      m.call(PROFILE_IMPORTS.begin, [m.i32.const(i)], binaryen.none),
      s,
      m.call(PROFILE_IMPORTS.end, [m.i32.const(i)], binaryen.none),
    ]));
  }
  // Graph outputs that are constants (a folded model) are read straight from the data region.
  const ioEntry = (v: Value): WasmIoEntry => ({ name: v.name, dtype: v.type.dtype, shape: v.type.shape as number[], offset: ctx.addressOf(v) });
  const io: WasmIoTable = { format: WASM_IO_FORMAT, inputs: graph.inputs.map(ioEntry), outputs: graph.outputs.map(ioEntry) };
  if (opts.profile) io.nodes = graph.nodes.map((n) => ({ name: n.label, op: n.op }));

  m.addFunction('run', binaryen.none, binaryen.none, [], m.block(null, statements.length ? statements : [m.nop()], binaryen.none));
  m.addFunctionExport('run', WASM_EXPORTS.run);
  const memoryBytes = align(pool.end, PAGE);
  // The read-only data (tens of MB of weights) does not go through binaryen, which would copy and re-emit it
  // several times: it is appended afterwards as the module's data section (see appendDataSection).
  m.setMemory(memoryBytes / PAGE, memoryBytes / PAGE, WASM_EXPORTS.memory, [], false, false, MEMORY);
  m.addCustomSection(WASM_IO_SECTION, encodeWasmIoTable(io));
  if (!m.validate()) {
    m.dispose();
    throw new EdgecError('VERIFY', 'binaryen rejected the generated module (a code generator bug)');
  }
  // Not binaryen's full -O2: the kernels are already specialized and folded, and V8 optimizes the rest, so
  // these passes (cleanup of the DSL's locals and constant arithmetic) run as fast at a third of the compile
  // time on the shared models (measured with bench/models.ts).
  m.runPasses(WASM_PASSES);
  const code = m.emitBinary();
  m.dispose();
  const bytes = appendDataSection(code, dataBase, pool.chunks(), pool.size);
  return {
    bytes,
    io,
    layout: { arenaBytes, scratchBytes, dataBytes: pool.size, memoryBytes },
    functions: functions.size,
  };
}

/**
 * Appends the data section (one active segment at `offset`) to a module that has none. Sections must keep
 * their order, but custom sections may stand anywhere, so the data section can follow binaryen's last section.
 */
export function appendDataSection(module: Uint8Array, offset: number, parts: readonly Uint8Array[], total: number): Uint8Array {
  return total === 0 ? module : concatBytes([module, wasmDataSection(offset, parts)]);
}
