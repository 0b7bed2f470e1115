/**
 * The rvv artifact's I/O signature, so tools can run the ELF without its sources: an ELF section `.edgec.io`
 * holding one NUL-terminated C string of UTF-8 JSON (written by the generated C source, targets/rvv/compile.ts)
 *
 *   { "format": "edgec.rvv.io/1", "inputs": [entry], "outputs": [entry] }
 *   entry = { "name", "dtype" (edgec dtype name), "shape", "bytes" (row-major size) }
 *
 * Inputs and outputs travel in this order as the pointer arrays of edgec_model_run().
 */
export const RVV_IO_SECTION = '.edgec.io';
export const RVV_IO_FORMAT = 'edgec.rvv.io/1';

export interface RvvIoEntry {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
}

export interface RvvIoTable {
  format: typeof RVV_IO_FORMAT;
  inputs: RvvIoEntry[];
  outputs: RvvIoEntry[];
}

/** The JSON text of the table (the C source embeds it as a string literal). */
export const encodeRvvIoTable = (inputs: RvvIoEntry[], outputs: RvvIoEntry[]): string => JSON.stringify({ format: RVV_IO_FORMAT, inputs, outputs } satisfies RvvIoTable);

/** The table in the bytes of a `.edgec.io` section (its trailing NULs dropped); throws when they are not JSON. */
export const decodeRvvIoTable = (section: Uint8Array): RvvIoTable => JSON.parse(new TextDecoder().decode(section).replace(/\0+$/, '')) as RvvIoTable;
