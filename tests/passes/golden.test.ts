import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/shared.js';
import { loadGoldenCases, matchChecks, outputDeviation, runGolden } from './golden.js';

const cases = loadGoldenCases(join(REPO_ROOT, 'tests', 'passes', 'golden'));

describe('golden IR tests', () => {
  it('found golden files', () => expect(cases.length).toBeGreaterThan(0));
  for (const c of cases) {
    it(c.file, () => {
      const run = runGolden(c);
      const failure = matchChecks(run.output, c.checks);
      expect(failure, `${failure}\n--- output IR ---\n${run.output}`).toBeNull();
      if (c.numeric) expect(outputDeviation(run.before, run.after)).toBeLessThanOrEqual(1e-5);
    });
  }
});
