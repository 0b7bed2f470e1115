import { FormatError } from './errors.js';

/**
 * The wasm artifact's interface: it exports `memory` (fixed size) and `run()` (runs the graph once, no
 * arguments), and describes its inputs and outputs in an I/O table, a custom section named `edgec.io` whose
 * payload is UTF-8 JSON
 *
 *   { "format": "edgec.io/1", "inputs": [entry], "outputs": [entry], "nodes"?: [{ "name", "op" }] }
 *   entry = { "name", "dtype" (edgec dtype name), "shape" (static dims), "offset" (byte address in the exported memory) }
 *
 * so a runtime needs nothing else to feed and read the module. `nodes` appears only in profiling builds, which
 * import `edgec.profile_begin(i32)` and `edgec.profile_end(i32)` and call them around node i.
 */
export const WASM_IO_SECTION = 'edgec.io';
export const WASM_IO_FORMAT = 'edgec.io/1';

export interface WasmIoEntry {
  name: string;
  dtype: string;
  shape: number[];
  offset: number;
}

export interface WasmIoTable {
  format: typeof WASM_IO_FORMAT;
  inputs: WasmIoEntry[];
  outputs: WasmIoEntry[];
  /** Profiling builds only: the node each profile index stands for. */
  nodes?: { name: string; op: string }[];
}

/** Export names of the module's memory and of the function that runs the graph. */
export const WASM_EXPORTS = { memory: 'memory', run: 'run' } as const;

/** Module and field names of the profiling hooks a profiling build imports. */
export const PROFILE_IMPORTS = { module: 'edgec', begin: 'profile_begin', end: 'profile_end' } as const;

export const encodeWasmIoTable = (table: WasmIoTable): Uint8Array => new TextEncoder().encode(JSON.stringify(table));

/** The table in an `edgec.io` payload; a FormatError when it is not JSON (malformed) or not format edgec.io/1 (unsupported). */
export function decodeWasmIoTable(payload: Uint8Array): WasmIoTable {
  let table: Partial<WasmIoTable> | null;
  try {
    table = JSON.parse(new TextDecoder().decode(payload)) as Partial<WasmIoTable> | null;
  } catch {
    throw new FormatError('malformed', `the '${WASM_IO_SECTION}' section is not valid JSON`);
  }
  if (table?.format !== WASM_IO_FORMAT || !Array.isArray(table.inputs) || !Array.isArray(table.outputs)) {
    throw new FormatError('unsupported', `unknown I/O table format '${String(table?.format)}'`);
  }
  return table as WasmIoTable;
}
