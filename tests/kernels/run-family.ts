import { describe, expect, it } from 'vitest';
import { CORPUS_TARGETS, type CorpusTarget, type KernelFamily } from './case.js';
import { missingFor, runRvvBatch, runSingle, supports } from './targets.js';

/**
 * The test body of one family file: every case on every target whose check accepts it, against the reference.
 * wasm and webgpu run case by case (webgpu on one shared Dawn device); rvv runs the family as one batch graph.
 * A target whose tools are missing fails under CI, naming them, and is skipped elsewhere with a warning.
 * Which cases each target accepts is pinned by support-matrix.test.ts.
 */
export function runFamily(family: KernelFamily): void {
  for (const target of CORPUS_TARGETS) {
    const cases = family.cases.filter((c) => supports(target, c));
    // None accepted (the support matrix says so): nothing to run, and vitest fails an empty suite.
    if (cases.length === 0) continue;
    const missing = missingFor(target);
    if (missing) {
      if (process.env.CI) it(`${family.name} on ${target}: needs ${missing}`, () => expect.fail(`${target} kernel cases need ${missing}`));
      else console.warn(`skipping ${family.name} kernel cases on ${target}: missing ${missing}`);
      continue;
    }
    describe(`${family.name} kernel cases on ${target} match the reference`, () => {
      if (target === 'rvv') {
        it(`${cases.length} cases in one ELF at every VLEN`, () => {
          expect(runRvvBatch(cases)).toEqual([]);
        }, 300_000);
        return;
      }
      for (const c of cases) {
        const differs = c.knownToDiffer?.[target];
        it(differs ? `${c.name} (known to differ: ${differs})` : c.name, async () => {
          const why = await runSingle(target as Exclude<CorpusTarget, 'rvv'>, c);
          if (differs) expect(why, 'the case now matches the reference: drop knownToDiffer and regenerate the support matrix').not.toBeNull();
          else expect(why).toBeNull();
        });
      }
    });
  }
}
