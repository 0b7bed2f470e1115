import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/shared.js';
import { CORPUS_TARGETS, type KernelFamily } from './case.js';
import { supports } from './targets.js';

export const GOLDEN_PATH = join(REPO_ROOT, 'tests', 'kernels', 'support-matrix.golden.txt');
export const REGENERATE = 'UPDATE_GOLDEN=1 npx vitest run tests/kernels/support-matrix.test.ts';

/**
 * One line per case: `family/case | wasm: runs | rvv: no | webgpu: differs`, in corpus order. `runs`: the
 * target's check accepts every node and the result matches the reference; `differs`: accepted, known to differ
 * (the case says why); `no`: the check rejects a node.
 */
export function supportMatrix(families: readonly KernelFamily[]): string[] {
  return families.flatMap((f) =>
    f.cases.map((c) => [`${f.name}/${c.name}`, ...CORPUS_TARGETS.map((t) => `${t}: ${!supports(t, c) ? 'no' : c.knownToDiffer?.[t] ? 'differs' : 'runs'}`)].join(' | ')),
  );
}

export function goldenText(lines: readonly string[]): string {
  return [`# Kernel-case support matrix (case | target: runs, differs or no), checked by support-matrix.test.ts.`, `# Regenerate after a deliberate change: ${REGENERATE}`, ...lines, ''].join('\n');
}

export function readGolden(): string[] {
  return readFileSync(GOLDEN_PATH, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
}
