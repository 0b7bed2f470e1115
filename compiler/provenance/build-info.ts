import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Facts about the build environment that go into provenance: tool versions and reproducible times. */

export interface ToolVersion {
  name: string;
  version: string;
}

let compilerInfo: ToolVersion | undefined;

/** edgec's name and version from its package.json (found by walking up from this file: src and dist layouts differ). */
export function compilerVersion(): ToolVersion {
  if (compilerInfo) return compilerInfo;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'edgec') return (compilerInfo = { name: 'edgec', version: pkg.version ?? '0.0.0' });
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return (compilerInfo = { name: 'edgec', version: '0.0.0' });
    dir = parent;
  }
}

/** binaryen's version from its package (the wasm code generator). */
export function binaryenVersion(): ToolVersion {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('binaryen');
    const pkg = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version?: string };
    return { name: 'binaryen', version: pkg.version ?? 'unknown' };
  } catch {
    return { name: 'binaryen', version: 'unknown' };
  }
}

/** clang-19's version (the rvv target's C compiler), from its --version banner. */
export function clangToolVersion(): ToolVersion {
  const r = spawnSync('clang-19', ['--version'], { encoding: 'utf8' });
  const match = !r.error && r.status === 0 ? /version (\S+)/.exec(r.stdout) : null;
  return { name: 'clang', version: match ? match[1]! : 'unknown' };
}

/** SOURCE_DATE_EPOCH (seconds) as a Date, or null when unset; a malformed value is an error, not ignored. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): Date | null {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw === '') return null;
  if (!/^\d+$/.test(raw)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got '${raw}'`);
  return new Date(Number(raw) * 1000);
}

/** RFC 3339 in UTC without fractions (SPDX DateTime and SLSA timestamps alike). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
