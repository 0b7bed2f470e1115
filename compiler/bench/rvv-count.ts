import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arrayFromBytes, arrayToBytes, EdgecError, type DType, type Tensor } from '../../ir/index.js';
import type { RvvSources } from '../../targets/rvv/compile.js';
import { hasTool, qemuCpu, QEMU_DYNAMIC } from '../../targets/rvv/qemu.js';

/**
 * Dynamic instruction counts of an rvv ELF under qemu, in total and per kernel, through the project's TCG
 * plugin (qemu-plugin/count.c; Debian ships no plugin, so it is built here with the host C compiler). Counts are
 * exact and repeatable, unlike qemu's wall time, which says nothing about RVV speed. Used by `edgec bench` and
 * bench/rvv-insns.ts.
 */

/** The plugin's C source, found from this file (the source tree and dist/ differ in depth). */
function pluginSource(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'compiler', 'bench', 'qemu-plugin', 'count.c');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new EdgecError('TOOL_MISSING', 'the qemu counting plugin source compiler/bench/qemu-plugin/count.c is missing');
    dir = parent;
  }
}

/** Builds the counting plugin into `dir` with the host `cc` and returns its path. */
export function buildCountPlugin(dir: string): string {
  if (!hasTool(QEMU_DYNAMIC)) throw new EdgecError('TOOL_MISSING', `rvv instruction counts need ${QEMU_DYNAMIC} (Debian package qemu-user); run scripts/setup.sh`);
  const out = join(dir, 'libcount.so');
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, pluginSource()], { encoding: 'utf8' });
  if (r.error) throw new EdgecError('TOOL_MISSING', `building the qemu plugin needs a host C compiler (cc): ${r.error.message}`);
  if (r.status !== 0) throw new EdgecError('BUILD_FAILED', `building the qemu plugin failed: ${r.stderr}`);
  return out;
}

/** The plugin's ranges file: the address range of each node function (index = node) and of the glue (-1). */
export function symbolRanges(elfPath: string, nodes: RvvSources['nodes']): string {
  const r = spawnSync('riscv64-linux-gnu-nm', ['-S', '--defined-only', elfPath], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new EdgecError('TOOL_MISSING', `per-kernel counts need riscv64-linux-gnu-nm (Debian package binutils-riscv64-linux-gnu): ${r.error.message}`);
  if (r.status !== 0) throw new EdgecError('BUILD_FAILED', `nm failed: ${r.stderr}`);
  const index = new Map<string, number>(nodes.map((n, i) => [n.symbol, i]));
  for (const glue of ['edgec_model_run', 'main']) index.set(glue, -1);
  const lines: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const [addr, size, , name] = line.trim().split(/\s+/);
    if (!name || !size || !index.has(name)) continue;
    const start = BigInt(`0x${addr}`);
    lines.push(`${start.toString(16)} ${(start + BigInt(`0x${size}`)).toString(16)} ${index.get(name)}`);
  }
  return lines.join('\n') + '\n';
}

export interface InstructionCount {
  total: number;
  /** Instructions attributed to each node function (helpers a kernel calls count for it). */
  perNode: number[];
  outputs: Record<string, Tensor>;
}

/** What a count needs to know of the build: its I/O table and its node functions. */
export type CountedBuild = Pick<RvvSources, 'inputs' | 'outputs' | 'nodes'>;

/** Runs `elf` once under the dynamic qemu with the plugin at `vlen`; files go to `dir` under the name `tag`. */
export function countInstructions(dir: string, plugin: string, tag: string, elf: Uint8Array, build: CountedBuild, feeds: Record<string, Tensor>, vlen: number): InstructionCount {
  const elfPath = join(dir, `${tag}.elf`);
  writeFileSync(elfPath, elf, { mode: 0o755 });
  writeFileSync(`${elfPath}.ranges`, symbolRanges(elfPath, build.nodes));
  const inputs = build.inputs.map((e, i) => {
    const path = join(dir, `${tag}.in${i}`);
    const feed = feeds[e.name];
    if (!feed) throw new EdgecError('RUNTIME_INPUT', `missing input '${e.name}'`);
    writeFileSync(path, arrayToBytes(e.dtype as DType, feed.data));
    return path;
  });
  const outputs = build.outputs.map((_, i) => join(dir, `${tag}.out${i}`));
  const counts = join(dir, `${tag}.counts`);
  const r = spawnSync(QEMU_DYNAMIC, ['-cpu', qemuCpu(vlen), '-plugin', `${plugin},ranges=${elfPath}.ranges,out=${counts}`, elfPath, ...inputs, ...outputs], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new EdgecError('TOOL_MISSING', `cannot run ${QEMU_DYNAMIC}: ${r.error.message}`);
  if (r.status !== 0) throw new EdgecError('RUNTIME', `${tag} failed under qemu at VLEN ${vlen}: ${r.stderr.trim()}`);
  const perNode = new Array<number>(build.nodes.length).fill(0);
  let total = 0;
  for (const line of readFileSync(counts, 'utf8').split('\n')) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'total') total = Number(a);
    if (kind === 'range') perNode[Number(a)] = Number(b);
  }
  const out: Record<string, Tensor> = {};
  build.outputs.forEach((e, i) => {
    out[e.name] = { dtype: e.dtype as DType, shape: e.shape, data: arrayFromBytes(e.dtype as DType, new Uint8Array(readFileSync(outputs[i]!))) } as Tensor;
  });
  return { total, perNode, outputs: out };
}
