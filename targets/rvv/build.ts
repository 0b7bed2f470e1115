import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgecError, type Graph } from '../../ir/index.js';
import { parseOptions } from '../shared/options.js';
import { generateRvvSources, type RvvSources } from './compile.js';

/**
 * Builds the generated sources with clang-19 into the object, a static library and a static test ELF.
 * Everything runs in a fresh temporary folder with fixed relative file names (and -ffile-prefix-map), the
 * archive is written deterministically and lld adds no build id, so the same model gives byte-identical files.
 */

export const CLANG = 'clang-19';
/** binutils' ar for riscv64 (Debian ships no llvm-ar-19 binary in clang-19); `D` makes it deterministic. */
export const AR = 'riscv64-linux-gnu-ar';
const TARGET_FLAGS = ['--target=riscv64-linux-gnu', '-march=rv64gcv'];
const C_FLAGS = [...TARGET_FLAGS, '-O3', '-std=c11', '-ffp-contract=off', '-fno-ident'];

/**
 * The rvv build's options. The code is VLEN-agnostic (every loop strip-mined with vsetvl), so a board's VLEN
 * is not an option of the build: it is what `edgec run` has qemu emulate.
 */
export interface RvvBuildOptions {
  /** Extra C compiler flags (e.g. a -mtune for a board). */
  cflags: string[];
}

export const DEFAULT_RVV_OPTIONS: RvvBuildOptions = { cflags: [] };

/** The rvv options from an untyped record: unknown keys and wrong types are refused. */
export const parseRvvOptions = (raw: Readonly<Record<string, unknown>>): RvvBuildOptions => parseOptions('rvv', raw, DEFAULT_RVV_OPTIONS);

export interface RvvBuild {
  sources: RvvSources;
  /** model.c, edgec_model.h, main.c, weights.S, weights.bin, edgec_model.o, weights.o, libedgec_model.a, model.elf */
  files: Record<string, Uint8Array>;
  buildMs: number;
  /** `clang-19 --version`'s first line, for the provenance record. */
  compilerVersion: string;
}

function toolVersion(tool: string, hint: string): string {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new EdgecError('TOOL_MISSING', `the rvv target needs ${tool} on PATH (${hint}); run scripts/setup.sh`);
  }
  return r.stdout.split('\n')[0]!.trim();
}

export function clangVersion(): string {
  return toolVersion(CLANG, 'Debian package clang-19, with lld-19, gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross');
}

function run(tool: string, args: string[], cwd: string): void {
  const r = spawnSync(tool, args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? '0' } });
  if (r.error) throw new EdgecError('TOOL_MISSING', `cannot run ${tool}: ${r.error.message}`);
  if (r.status !== 0) {
    const output = `${r.stderr}${r.stdout}`.trim().split('\n').slice(0, 20).join('\n');
    throw new EdgecError('BUILD_FAILED', `${tool} ${args.join(' ')} failed (exit ${String(r.status)}):\n${output}`);
  }
}

/** Writes the sources into a temporary folder, builds them and returns every file (the folder is removed). */
export function buildSources(sources: RvvSources, options: Partial<RvvBuildOptions> = {}): Omit<RvvBuild, 'sources'> {
  const compilerVersion = clangVersion();
  toolVersion(AR, 'Debian package binutils-riscv64-linux-gnu, brought by gcc-riscv64-linux-gnu');
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'edgec-rvv-'));
  const cflags = [...C_FLAGS, `-ffile-prefix-map=${dir}=.`, ...(options.cflags ?? [])];
  try {
    const written: Record<string, Uint8Array | string> = {
      'model.c': sources.modelC,
      'edgec_model.h': sources.header,
      'main.c': sources.mainC,
      'weights.S': sources.weightsS,
      'weights.bin': sources.weights,
    };
    for (const [name, data] of Object.entries(written)) writeFileSync(join(dir, name), data);
    run(CLANG, [...cflags, '-c', 'model.c', '-o', 'edgec_model.o'], dir);
    run(CLANG, [...TARGET_FLAGS, '-c', 'weights.S', '-o', 'weights.o'], dir);
    run(AR, ['rcsD', 'libedgec_model.a', 'edgec_model.o', 'weights.o'], dir);
    run(CLANG, [...cflags, '-static', '--gcc-toolchain=/usr', '-fuse-ld=lld', '-Wl,--build-id=none', '-o', 'model.elf', 'main.c', 'libedgec_model.a', '-lm'], dir);
    const files: Record<string, Uint8Array> = {};
    for (const [name, data] of Object.entries(written)) files[name] = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    for (const name of ['edgec_model.o', 'weights.o', 'libedgec_model.a', 'model.elf']) files[name] = new Uint8Array(readFileSync(join(dir, name)));
    return { files, buildMs: performance.now() - started, compilerVersion };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds a self-contained program (model.c with its own main, weights.S, weights.bin, a header) into a static
 * ELF in a temporary folder: the conformance bundle's path, which needs no library.
 */
export function buildProgram(files: Record<string, Uint8Array | string>, options: Partial<RvvBuildOptions> = {}): Uint8Array {
  clangVersion();
  const dir = mkdtempSync(join(tmpdir(), 'edgec-rvv-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const cflags = [...C_FLAGS, `-ffile-prefix-map=${dir}=.`, ...(options.cflags ?? [])];
    run(CLANG, [...cflags, '-static', '--gcc-toolchain=/usr', '-fuse-ld=lld', '-Wl,--build-id=none', '-o', 'program.elf', 'model.c', 'weights.S', '-lm'], dir);
    return new Uint8Array(readFileSync(join(dir, 'program.elf')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Generates and builds a graph (after its pipeline, which must end with plan-memory). */
export function buildRvv(graph: Graph, options: Partial<RvvBuildOptions> = {}): RvvBuild {
  const sources = generateRvvSources(graph);
  return { sources, ...buildSources(sources, options) };
}
