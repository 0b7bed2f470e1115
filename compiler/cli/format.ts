import chalk from 'chalk';
import { isFloat, type Tensor } from '../../ir/index.js';

/** Human-readable numbers and tables for the CLI. */

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Left-aligned columns, padded to the widest cell (measured without colour codes). */
export function table(rows: string[][], indent = '  '): string {
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, plain(cell).length)));
  return rows
    .map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - plain(cell).length))).join('  '))
    .join('\n');
}

export interface TensorStats {
  dtype: string;
  shape: number[];
  min: number;
  max: number;
  mean: number;
  /** Indices of the largest values, for classifier-like outputs ([1, N] or [N]). */
  top?: { index: number; value: number }[];
  first: number[];
}

export function tensorStats(t: Tensor): TensorStats {
  const n = t.data.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = Number(t.data[i]);
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  const first = Array.from({ length: Math.min(n, 6) }, (_, i) => Number(t.data[i]));
  const stats: TensorStats = { dtype: t.dtype, shape: [...t.shape], min, max, mean: n ? sum / n : NaN, first };
  const classes = t.shape.length === 2 && t.shape[0] === 1 ? t.shape[1]! : t.shape.length === 1 ? t.shape[0]! : 0;
  if (isFloat(t.dtype) && classes > 1) {
    const order = Array.from({ length: classes }, (_, i) => i).sort((a, b) => Number(t.data[b]) - Number(t.data[a]));
    stats.top = order.slice(0, Math.min(5, classes)).map((index) => ({ index, value: Number(t.data[index]) }));
  }
  return stats;
}

export const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(5));

export function describeStats(name: string, s: TensorStats): string {
  const lines = [
    `${chalk.bold(name)} ${s.dtype}[${s.shape.join(',')}]  min ${num(s.min)}  max ${num(s.max)}  mean ${num(s.mean)}`,
    `    first: ${s.first.map(num).join(', ')}${s.first.length < s.shape.reduce((a, b) => a * b, 1) ? ', ...' : ''}`,
  ];
  if (s.top) lines.push(`    top-${s.top.length}: ${s.top.map((t) => `#${t.index} (${num(t.value)})`).join(', ')}`);
  return lines.join('\n');
}
