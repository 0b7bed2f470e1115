import type { BenchReport, ContenderResult } from './engine.js';
import { formatBytes, formatMs, formatNumber, formatPercent, formatRatio, formatSpread, formatTable, type Cell } from './format.js';
import { paint } from './paint.js';

/** The terminal (or markdown) table of an `edgec bench` report, with notes on contenders that were not measured. */

const millions = (n: number) => `${formatNumber(n / 1e6, 2)} M`;

function checkCell(r: ContenderResult): Cell {
  if (r.status === 'ok') return { text: r.check ? (r.check.rtol === 0 ? 'exact' : `ok ${r.check.error.toExponential(0)}`) : 'ok', tone: 'good' };
  return { text: r.status === 'wrong' ? 'WRONG' : 'FAILED', tone: 'bad' };
}

function row(r: ContenderResult): (Cell | string)[] {
  const l = r.latency;
  const speedup: Cell | string = r.speedupVsOrtWeb === undefined ? '—' : { text: formatRatio(r.speedupVsOrtWeb), tone: r.speedupVsOrtWeb >= 1 ? 'good' : undefined };
  return [
    r.target,
    r.precision,
    checkCell(r),
    l ? formatMs(l.median) : '—',
    l ? formatMs(l.p90) : '—',
    l ? formatSpread(l.min, l.max) : '—',
    speedup,
    r.instructions ? `${millions(r.instructions.total)} @${r.instructions.vlen}` : '—',
    r.compileMs !== undefined ? formatMs(r.compileMs) : '—',
    r.artifactBytes !== undefined ? formatBytes(r.artifactBytes) : '—',
    r.arenaBytes !== undefined ? formatBytes(r.arenaBytes) : '—',
    r.seal ? (r.seal.signed ? 'signed' : 'sealed') : '—',
  ];
}

export function benchTable(report: BenchReport, style: 'plain' | 'markdown' = 'plain'): string {
  const columns = [
    { header: 'target' }, { header: 'prec' }, { header: 'check' },
    { header: 'median ms', align: 'right' as const }, { header: 'p90', align: 'right' as const }, { header: 'min-max', align: 'right' as const },
    { header: 'vs ort-web', align: 'right' as const }, { header: 'rvv insns', align: 'right' as const },
    { header: 'compile ms', align: 'right' as const }, { header: 'artifact', align: 'right' as const }, { header: 'arena', align: 'right' as const }, { header: 'seal' },
  ];
  return formatTable(columns, report.contenders.map(row), { style, paint });
}

/** One line per contender that was not measured, with its code, and what was left out. */
export function benchNotes(report: BenchReport): string[] {
  const notes = report.contenders.filter((r) => r.status !== 'ok').map((r) => `${r.target} ${r.precision}: ${r.status}${r.code ? ` [${r.code}]` : ''}: ${r.problem ?? ''}`);
  if (report.contenders.some((r) => r.precision === 'int8') && report.contenders.some((r) => r.target.startsWith('ort-'))) {
    notes.push('onnxruntime peers run the model as given (fp32); "vs ort-web" is against onnxruntime-web fp32');
  }
  return notes;
}

export function profileTable(report: BenchReport, top = 8, style: 'plain' | 'markdown' = 'plain'): string | null {
  const p = report.profile;
  if (!p) return null;
  const table = formatTable(
    [{ header: 'node' }, { header: 'op' }, { header: 'ms/run', align: 'right' }, { header: 'share', align: 'right' }],
    p.report.byNode.slice(0, top).map((n) => [n.name, n.op, formatMs(n.ms), formatPercent(n.share)]),
    { style, paint },
  );
  return `${p.target} ${p.precision} per-kernel time (profiling build, ${p.report.runs} runs, nodes sum to ${formatMs(p.report.totalMs)} ms/run)\n${table}`;
}
