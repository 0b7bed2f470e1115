import { arrayFromBytes, arrayToBytes, EdgecError, isDType, makeTensor, type DType, type Tensor } from '../../ir/index.js';
import { elfSectionBytes, isElf } from '../../runtime/formats/elf.js';
import { decodeRvvIoTable, RVV_IO_SECTION, type RvvIoEntry } from '../../runtime/formats/rvv-io.js';
import { runOnQemu } from '../../targets/rvv/qemu.js';

/** The I/O signature an rvv ELF carries in its `.edgec.io` section. */
export function rvvIoTable(elf: Uint8Array, file?: string): { inputs: RvvIoEntry[]; outputs: RvvIoEntry[] } {
  const where = file ? { file } : {};
  if (!isElf(elf)) throw new EdgecError('IO', 'not an ELF file', where);
  let table: { inputs: RvvIoEntry[]; outputs: RvvIoEntry[] };
  try {
    table = decodeRvvIoTable(elfSectionBytes(elf, (s) => s.name === RVV_IO_SECTION));
  } catch (e) {
    throw new EdgecError('IO', `the ELF has no readable ${RVV_IO_SECTION} section (not an edgec rvv artifact?): ${(e as Error).message}`, where);
  }
  for (const e of [...table.inputs, ...table.outputs]) {
    if (!isDType(e.dtype)) throw new EdgecError('UNSUPPORTED_DTYPE', `ELF I/O '${e.name}' has element type ${e.dtype}`, where);
  }
  return table;
}

/** Runs an rvv ELF under qemu at one VLEN on tensors (by the ELF's I/O names). */
export function runRvvElf(elf: Uint8Array, feeds: Record<string, Tensor>, vlen: number): { outputs: Record<string, Tensor>; ms: number } {
  const io = rvvIoTable(elf);
  const inputs = io.inputs.map((e) => {
    const t = feeds[e.name];
    if (!t) throw new EdgecError('RUNTIME_INPUT', `missing input '${e.name}'`);
    return arrayToBytes(e.dtype as DType, t.data);
  });
  const run = runOnQemu(elf, inputs, io.outputs.map((e) => e.bytes), vlen);
  const outputs = Object.fromEntries(io.outputs.map((e, i) => [e.name, makeTensor(e.dtype as DType, e.shape, arrayFromBytes(e.dtype as DType, run.outputs[i]!))]));
  return { outputs, ms: run.ms };
}
