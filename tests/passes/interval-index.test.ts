import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../compiler/io/random.js';
import { IntervalIndex, type Interval } from '../../passes/interval-index.js';

describe('interval index', () => {
  it('reports exactly the switched-on intervals a brute-force scan finds overlapping', () => {
    const random = seededRandom(7);
    const int = (n: number) => Math.floor(random() * n);
    const intervals: Interval[] = Array.from({ length: 300 }, () => {
      const start = int(200) - 1;
      return { start, end: start + (random() < 0.1 ? int(200) : int(6)) };
    });
    const index = new IntervalIndex(intervals);
    const on: Interval[] = [];
    let reported = 0;
    for (const t of intervals) {
      for (let q = 0; q < 3; q++) {
        const start = int(210) - 5;
        const end = start + int(q === 0 ? 1 : 30);
        const expected = on.filter((p) => p.start <= end && start <= p.end);
        const actual = index.overlapping(start, end);
        expect(new Set(actual)).toEqual(new Set(expected));
        expect(actual).toHaveLength(expected.length);
        reported += actual.length;
      }
      index.add(t);
      on.push(t);
    }
    expect(reported).toBeGreaterThan(1000);
  });
});
