/**
 * Output checks: a benchmark only times results that match the reference. The criterion is the one the parity
 * tests use: max |actual - expected| <= rtol * max |expected|, per output (NaN must match NaN).
 */
export type Outputs = Readonly<Record<string, ArrayLike<number | bigint>>>;

export interface Check {
  ok: boolean;
  /** Worst max|diff| / max|ref| over the outputs (Infinity for a missing output, wrong size or NaN mismatch). */
  error: number;
  /** Why it failed, for the report. */
  problem?: string;
}

export const DEFAULT_RTOL = 1e-4;

export function checkOutputs(actual: Outputs, expected: Outputs, rtol = DEFAULT_RTOL): Check {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    if (!a) return { ok: false, error: Infinity, problem: `no output '${name}'` };
    if (a.length !== e.length) return { ok: false, error: Infinity, problem: `output '${name}' has ${a.length} elements, expected ${e.length}` };
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < e.length; i++) {
      const x = Number(a[i]);
      const y = Number(e[i]);
      if (Number.isNaN(x) !== Number.isNaN(y)) return { ok: false, error: Infinity, problem: `output '${name}'[${i}] is ${x}, expected ${y}` };
      if (Number.isNaN(y)) continue;
      maxDiff = Math.max(maxDiff, Math.abs(x - y));
      maxRef = Math.max(maxRef, Math.abs(y));
    }
    const error = maxRef === 0 ? (maxDiff === 0 ? 0 : Infinity) : maxDiff / maxRef;
    worst = Math.max(worst, error);
  }
  const ok = worst <= rtol;
  return ok ? { ok, error: worst } : { ok, error: worst, problem: `max|diff| / max|ref| = ${worst.toExponential(2)} > ${rtol}` };
}
