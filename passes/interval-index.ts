/**
 * Which of a fixed set of closed intervals [start, end], switched on one by one, overlap a query interval: the
 * question arena placement asks for every buffer about the buffers placed before it. Scanning every placed
 * buffer makes placement O(n^2); here the intervals are sorted by start once, and a max-segment tree over that
 * order holds the end of every interval switched on (-Infinity for the others). A query takes the prefix that
 * starts at or before the query's end and descends only into subtrees whose largest end reaches the query's
 * start, so it costs O((k + 1) log n) for k overlapping intervals. Iterative, no recursion.
 */
export interface Interval {
  start: number;
  end: number;
}

export class IntervalIndex<T extends Interval> {
  private readonly byStart: T[];
  private readonly slot = new Map<T, number>();
  private readonly size: number;
  /** tree[size + i] = end of byStart[i] when on; tree[j] = max of its two children. */
  private readonly tree: Float64Array;

  constructor(intervals: readonly T[]) {
    this.byStart = intervals.map((t, i) => ({ t, i })).sort((a, b) => a.t.start - b.t.start || a.i - b.i).map((x) => x.t);
    this.byStart.forEach((t, i) => this.slot.set(t, i));
    let size = 1;
    while (size < Math.max(1, intervals.length)) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(-Infinity);
  }

  /** Switches an interval on: later queries report it. */
  add(interval: T): void {
    let j = this.size + this.slot.get(interval)!;
    this.tree[j] = interval.end;
    for (j >>= 1; j >= 1; j >>= 1) this.tree[j] = Math.max(this.tree[2 * j]!, this.tree[2 * j + 1]!);
  }

  /** The intervals switched on that overlap [start, end] (both ends included), in order of start. */
  overlapping(start: number, end: number): T[] {
    // Intervals starting after `end` cannot overlap: only slots [0, limit) count.
    let lo = 0;
    let hi = this.byStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.byStart[mid]!.start <= end) lo = mid + 1;
      else hi = mid;
    }
    const limit = lo;
    const found: T[] = [];
    // Depth-first over nodes [node, first slot, slot count], left before right so results come in slot order.
    const stack: number[] = [1, 0, this.size];
    while (stack.length > 0) {
      const count = stack.pop()!;
      const first = stack.pop()!;
      const node = stack.pop()!;
      if (first >= limit || this.tree[node]! < start) continue;
      if (count === 1) {
        found.push(this.byStart[first]!);
        continue;
      }
      const half = count / 2;
      stack.push(2 * node + 1, first + half, half, 2 * node, first, half);
    }
    return found;
  }
}
