import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAMILIES } from './cases/index.js';
import { GOLDEN_PATH, goldenText, readGolden, REGENERATE, supportMatrix } from './support-matrix.js';

// A target can never drop (or silently gain) a kernel case: which target accepts which case is checked in.
describe('kernel-case support matrix', () => {
  it('every target accepts exactly the cases support-matrix.golden.txt says', () => {
    const actual = supportMatrix(FAMILIES);
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN_PATH, goldenText(actual));
    const golden = readGolden();
    const before = new Map(golden.map((l) => [l.split(' | ')[0]!, l]));
    const now = new Map(actual.map((l) => [l.split(' | ')[0]!, l]));
    const changes = [
      ...actual.filter((l) => before.get(l.split(' | ')[0]!) !== l).map((l) => `now:    ${l}\n  golden: ${before.get(l.split(' | ')[0]!) ?? '(no line)'}`),
      ...golden.filter((l) => !now.has(l.split(' | ')[0]!)).map((l) => `gone:   ${l}`),
    ];
    const report = changes.length === 0 ? '' : `${changes.length} case(s) changed:\n${changes.join('\n')}\nIf that is meant, regenerate the golden: ${REGENERATE}`;
    expect(report, 'the support matrix changed').toBe('');
  });

  it('lists every case once', () => {
    const keys = supportMatrix(FAMILIES).map((l) => l.split(' | ')[0]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBeGreaterThan(0);
  });
});
