import { isBigInt, type DType } from '../dtype.js';

/** Lexical conventions shared by the IR printer and parser. */

/** Value and node names print bare when they only use these characters; anything else is quoted (JSON string). */
export const BARE_NAME = /^[A-Za-z0-9_.\/-]+$/;

export function formatName(sigil: '%' | '@', name: string): string {
  return sigil + (BARE_NAME.test(name) && !name.includes('->') ? name : JSON.stringify(name));
}

/** Shortest decimal that reads back (through Math.fround) as the same float32; always marked as a float. */
export function formatFloat32(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  for (let digits = 1; digits <= 9; digits++) {
    const s = String(Number(x.toPrecision(digits)));
    if (Math.fround(Number(s)) === x) return markFloat(s);
  }
  return markFloat(String(x));
}

export function formatFloat64(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return markFloat(String(x));
}

function markFloat(s: string): string {
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** One tensor element in the literal form of its dtype. */
export function formatElement(dtype: DType, x: number | bigint): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  if (isBigInt(dtype)) return String(x);
  if (dtype === 'f64') return formatFloat64(Number(x));
  if (dtype === 'f32' || dtype === 'f16' || dtype === 'bf16') return formatFloat32(Number(x));
  return String(x);
}

export function parseFloatLiteral(s: string): number {
  if (s === 'nan' || s === '-nan') return NaN;
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}
