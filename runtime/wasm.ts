import { EdgecRuntimeError, runtimeErrorOf } from './errors.js';
import { decodeWasmIoTable, PROFILE_IMPORTS, WASM_EXPORTS, WASM_IO_SECTION, type WasmIoEntry, type WasmIoTable } from './formats/wasm-io.js';
import { arrayTypeFor, checkFeed, elementCount, type ElementArray, type Feed, type TensorInfo } from './tensors.js';

/**
 * Runs a wasm artifact. Works in Node and browsers (standard WebAssembly API only). Memory is fixed at
 * compile time, so inputs, outputs and every intermediate live at known offsets: a run copies the feeds in,
 * calls `run`, and returns views of the outputs — the same objects every time, overwritten by the next run.
 */
export interface LoadedModel {
  readonly kind: 'wasm';
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Profiling builds: the nodes the profiler's indices refer to. */
  readonly nodes?: readonly { name: string; op: string }[];
  /** Runs the model. The returned arrays are views into the model's memory, valid until the next run. */
  run(feeds: Record<string, Feed>): Readonly<Record<string, ElementArray>>;
}

/** Receives the hooks of a profiling build (compiled with `profile`): node indices into `nodes`. */
export interface Profiler {
  begin(node: number): void;
  end(node: number): void;
}

export interface WasmLoadOptions {
  profiler?: Profiler;
}

function readIoTable(module: WebAssembly.Module): WasmIoTable {
  const sections = WebAssembly.Module.customSections(module, WASM_IO_SECTION);
  if (sections.length !== 1) throw new EdgecRuntimeError('ARTIFACT_INVALID', `the module has no '${WASM_IO_SECTION}' section: not an edgec artifact`);
  try {
    return decodeWasmIoTable(new Uint8Array(sections[0]!));
  } catch (e) {
    throw runtimeErrorOf(e);
  }
}

export async function loadWasm(bytes: Uint8Array, options: WasmLoadOptions = {}): Promise<LoadedModel> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as BufferSource);
  } catch (e) {
    throw new EdgecRuntimeError('ARTIFACT_INVALID', `not a valid WebAssembly module: ${(e as Error).message}`);
  }
  const io = readIoTable(module);
  const profiler = options.profiler ?? { begin: () => {}, end: () => {} };
  const wantsProfiler = WebAssembly.Module.imports(module).some((i) => i.module === PROFILE_IMPORTS.module);
  const imports: WebAssembly.Imports = wantsProfiler
    ? { [PROFILE_IMPORTS.module]: { [PROFILE_IMPORTS.begin]: (i: number) => profiler.begin(i), [PROFILE_IMPORTS.end]: (i: number) => profiler.end(i) } }
    : {};
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
  } catch (e) {
    throw new EdgecRuntimeError('ARTIFACT_INVALID', `cannot instantiate the module: ${(e as Error).message}`);
  }
  const memory = instance.exports[WASM_EXPORTS.memory];
  const run = instance.exports[WASM_EXPORTS.run];
  if (!(memory instanceof WebAssembly.Memory) || typeof run !== 'function') {
    throw new EdgecRuntimeError('ARTIFACT_INVALID', 'the module does not export memory and run');
  }
  const view = (e: WasmIoEntry): ElementArray => {
    const type = arrayTypeFor(e.dtype);
    const length = elementCount(e.shape);
    if (e.offset < 0 || e.offset + length * type.BYTES_PER_ELEMENT > memory.buffer.byteLength) {
      throw new EdgecRuntimeError('ARTIFACT_INVALID', `'${e.name}' lies outside the module's memory`);
    }
    return new type(memory.buffer, e.offset, length);
  };
  const inputViews = io.inputs.map(view);
  const outputs: Record<string, ElementArray> = {};
  io.outputs.forEach((e) => (outputs[e.name] = view(e)));
  Object.freeze(outputs);
  const inputNames = new Set(io.inputs.map((e) => e.name));
  const strip = ({ name, dtype, shape }: WasmIoEntry): TensorInfo => Object.freeze({ name, dtype, shape: Object.freeze([...shape]) });

  return {
    kind: 'wasm',
    inputs: io.inputs.map(strip),
    outputs: io.outputs.map(strip),
    nodes: io.nodes,
    run(feeds) {
      for (const name in feeds) {
        if (!inputNames.has(name)) {
          throw new EdgecRuntimeError('RUNTIME_INPUT', `unknown input '${name}'; the model takes ${io.inputs.map((e) => `'${e.name}'`).join(', ')}`);
        }
      }
      io.inputs.forEach((e, i) => inputViews[i]!.set(checkFeed(e, feeds[e.name]) as never));
      (run as () => void)();
      return outputs;
    },
  };
}
