import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgecError } from '../../ir/index.js';

/**
 * Runs a built model.elf under qemu user mode with the vector extension at a chosen VLEN. The static qemu
 * needs no riscv64 sysroot; the dynamic one (package qemu-user) is the one that loads TCG plugins.
 */
export const QEMU_STATIC = 'qemu-riscv64-static';
export const QEMU_DYNAMIC = 'qemu-riscv64';
export const VLENS = [128, 256, 512] as const;

export interface QemuRun {
  outputs: Uint8Array[];
  ms: number;
  stderr: string;
}

export function qemuCpu(vlen: number): string {
  if (![64, 128, 256, 512, 1024].includes(vlen)) throw new EdgecError('USAGE', `VLEN ${vlen} is not one of 128, 256, 512 (or 64, 1024)`);
  return `rv64,v=true,vlen=${vlen},vext_spec=v1.0`;
}

/** Whether a tool answers --version (for tests that skip without it outside CI). */
export function hasTool(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/**
 * Runs the ELF with the given input files' bytes and returns the outputs' bytes (`outputBytes` gives their
 * expected sizes, checked). `extraArgs` go before the ELF (e.g. a -plugin for instruction counts).
 */
export function runOnQemu(
  elf: Uint8Array,
  inputs: readonly Uint8Array[],
  outputBytes: readonly number[],
  vlen: number,
  options: { qemu?: string; extraArgs?: string[] } = {},
): QemuRun {
  const qemu = options.qemu ?? QEMU_STATIC;
  if (!hasTool(qemu)) throw new EdgecError('TOOL_MISSING', `running rvv artifacts needs ${qemu} (Debian package ${qemu === QEMU_STATIC ? 'qemu-user-static' : 'qemu-user'}); run scripts/setup.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'edgec-qemu-'));
  try {
    writeFileSync(join(dir, 'model.elf'), elf, { mode: 0o755 });
    const inNames = inputs.map((bytes, i) => {
      const name = join(dir, `input${i}.bin`);
      writeFileSync(name, bytes);
      return name;
    });
    const outNames = outputBytes.map((_, i) => join(dir, `output${i}.bin`));
    const started = performance.now();
    const r = spawnSync(qemu, ['-cpu', qemuCpu(vlen), ...(options.extraArgs ?? []), join(dir, 'model.elf'), ...inNames, ...outNames], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const ms = performance.now() - started;
    if (r.error) throw new EdgecError('TOOL_MISSING', `cannot run ${qemu}: ${r.error.message}`);
    if (r.status !== 0) throw new EdgecError('RUNTIME', `model.elf failed under ${qemu} at VLEN ${vlen} (exit ${String(r.status ?? r.signal)}): ${r.stderr.trim()}`);
    const outputs = outNames.map((name, i) => {
      const bytes = new Uint8Array(readFileSync(name));
      if (bytes.length !== outputBytes[i]) throw new EdgecError('RUNTIME', `output ${i} has ${bytes.length} bytes, expected ${outputBytes[i]}`);
      return bytes;
    });
    return { outputs, ms, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
