import type { Tensor } from '../../ir/index.js';
import { relativeError } from '../wasm/harness.js';
import type { Comparison } from './case.js';

const show = (v: number | bigint): string => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : String(v));

/**
 * Why `actual` differs from the reference `expected` under the comparison, or null when it agrees: dtype and
 * shape must be equal; then values as the comparison says (see Comparison in case.ts).
 */
export function mismatch(actual: Record<string, Tensor>, expected: Record<string, Tensor>, comparison: Comparison, tolerance: number): string | null {
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    if (!a) return `output '${name}' is missing`;
    if (a.dtype !== e.dtype) return `output '${name}' is ${a.dtype}, the reference ${e.dtype}`;
    if (a.shape.join() !== e.shape.join()) return `output '${name}' has shape [${a.shape}], the reference [${e.shape}]`;
    if (comparison === 'exact') {
      for (let i = 0; i < e.data.length; i++) {
        const [x, y] = [show(a.data[i]!), show(e.data[i]!)];
        if (x !== y) return `${name}[${i}] = ${x}, the reference ${y}`;
      }
    } else if (comparison === 'elementwise') {
      for (let i = 0; i < e.data.length; i++) {
        const [x, y] = [Number(a.data[i]), Number(e.data[i])];
        if (Number.isNaN(y) ? !Number.isNaN(x) : !(x === y || Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(y)))) return `${name}[${i}] = ${x}, the reference ${y}`;
      }
    }
  }
  if (comparison !== 'relative') return null;
  const error = relativeError(actual, expected);
  return error <= tolerance ? null : `relative error ${error.toExponential(2)} > ${tolerance}`;
}
