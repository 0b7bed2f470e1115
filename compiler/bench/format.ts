/**
 * Number formatting and the table formatter shared by the benchmarks. Pure functions (no colour library, no
 * terminal detection) so the smoke test can pin their output; colour is applied through a `paint` callback.
 */

/** Milliseconds with about three significant digits: 0.312, 4.71, 32.9, 140. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** A min-max spread of milliseconds: "31.2-35.0". */
export function formatSpread(min: number, max: number): string {
  return `${formatMs(min)}-${formatMs(max)}`;
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '—';
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x`;
}

/** Bytes in B / kB / MB (powers of 1000, as file sizes are usually quoted). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function formatNumber(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%` : '—';
}

/** Colours a table cell may ask for; the caller's `paint` decides what they look like (or ignores them). */
export type Tone = 'good' | 'bad' | 'dim' | 'head';

export interface Cell {
  text: string;
  tone?: Tone;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export interface TableOptions {
  /** 'plain': space-aligned columns; 'markdown': a GitHub table (README-ready). */
  style?: 'plain' | 'markdown';
  paint?: (tone: Tone, text: string) => string;
}

const cellOf = (c: Cell | string): Cell => (typeof c === 'string' ? { text: c } : c);

/**
 * Aligns rows under headers. Widths are measured on the plain text, and colour is applied after padding, so
 * escape codes never disturb alignment.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly (Cell | string)[])[], options: TableOptions = {}): string {
  const style = options.style ?? 'plain';
  const paint = options.paint ?? ((_tone: Tone, text: string) => text);
  const cells = rows.map((r) => columns.map((_, i) => cellOf(r[i] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.text.length)));
  const pad = (text: string, i: number) => (columns[i]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const render = (row: Cell[]) => row.map((c, i) => (c.tone ? paint(c.tone, pad(c.text, i)) : pad(c.text, i)));
  const header = columns.map((c) => ({ text: c.header, tone: 'head' as const }));
  if (style === 'markdown') {
    const rule = columns.map((c, i) => {
      const w = Math.max(widths[i]!, 3);
      return c.align === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w);
    });
    const line = (parts: string[]) => `| ${parts.join(' | ')} |`;
    return [line(columns.map((c, i) => pad(c.header, i))), line(rule), ...cells.map((r) => line(r.map((c, i) => pad(c.text, i))))].join('\n');
  }
  const lines = [render(header).join('  '), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map((r) => render(r).join('  '))];
  return lines.map((l) => l.trimEnd()).join('\n');
}
