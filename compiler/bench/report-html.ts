import type { BenchReport, ContenderResult } from './engine.js';
import { findTargetEntry } from '../targets/registry.js';
import { formatBytes, formatMs, formatNumber, formatPercent, formatRatio } from './format.js';

/**
 * The `edgec bench --html` report: one self-contained file (inline CSS and SVG, no script, nothing fetched), so
 * it can be mailed, attached to CI or opened offline. Every bar is an SVG <rect> with a class and data
 * attributes (`class="bar" data-target="wasm" data-precision="fp32"`), which is how the browser test finds them.
 */

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLORS: Record<string, string> = { wasm: '#3b7dd8', webgpu: '#8a4fd0', rvv: '#2e9e6a', 'ort-web': '#d9822b', 'ort-node': '#a3a3a3' };

interface Bar {
  label: string;
  value: number;
  text: string;
  color: string;
  attrs: Record<string, string>;
}

/** A horizontal bar chart; bars scale to the largest value, labels on the left, values on the right. */
function barChart(cls: string, bars: readonly Bar[], title: string): string {
  if (bars.length === 0) return '';
  const labelWidth = 300;
  const chartWidth = 460;
  const rowHeight = 26;
  const max = Math.max(...bars.map((b) => b.value), 1e-12);
  const height = bars.length * rowHeight + 8;
  const rows = bars.map((b, i) => {
    const y = 4 + i * rowHeight;
    const width = Math.max(1, (b.value / max) * chartWidth);
    const data = Object.entries(b.attrs).map(([k, v]) => ` data-${k}="${escape(v)}"`).join('');
    return `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(b.label)}</text>` +
      `<rect class="${cls}"${data} x="${labelWidth}" y="${y + 3}" width="${width.toFixed(1)}" height="${rowHeight - 8}" fill="${b.color}"><title>${escape(b.label)}: ${escape(b.text)}</title></rect>` +
      `<text x="${labelWidth + width + 6}" y="${y + 16}">${escape(b.text)}</text>`;
  });
  return `<figure><figcaption>${escape(title)}</figcaption><svg class="chart" role="img" width="${labelWidth + chartWidth + 230}" height="${height}" viewBox="0 0 ${labelWidth + chartWidth + 230} ${height}">${rows.join('')}</svg></figure>`;
}

const name = (r: ContenderResult) => `${r.target} ${r.precision}`;
const colorOf = (r: ContenderResult) => COLORS[r.target] ?? '#666';
const attrs = (r: ContenderResult) => ({ target: r.target, precision: r.precision });

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = headers.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function contractText(contract: Record<string, unknown>): string {
  const entries = Object.entries(contract);
  if (entries.length === 0) return 'no contract';
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');
}

export function benchHtml(report: BenchReport): string {
  const timed = report.contenders.filter((r) => r.latency);
  // webgpu on SwiftShader runs hundreds of times longer than the CPU contenders: on one linear scale their bars
  // would vanish, so it gets its own chart (it is timed in its own loop too).
  const latencyBar = (r: ContenderResult): Bar => ({ label: name(r), value: r.latency!.median, text: `${formatMs(r.latency!.median)} ms (p90 ${formatMs(r.latency!.p90)})`, color: colorOf(r), attrs: attrs(r) });
  const alone = (r: ContenderResult) => findTargetEntry(r.target)?.bench?.measure === 'timed-alone';
  const latency = barChart('bar', timed.filter((r) => !alone(r)).map(latencyBar), 'Latency: median ms per run, interleaved in one process (shorter is faster)') +
    barChart('bar', timed.filter(alone).map(latencyBar), 'WebGPU latency through Dawn (SwiftShader without a GPU): median ms per run, timed in its own loop');
  const speedup = barChart('speedup-bar', timed.filter((r) => r.speedupVsOrtWeb !== undefined).map((r) => ({ label: name(r), value: r.speedupVsOrtWeb!, text: formatRatio(r.speedupVsOrtWeb!), color: colorOf(r), attrs: attrs(r) })), 'Speedup vs onnxruntime-web fp32 (longer is faster; 1.00x = onnxruntime-web)');
  const counted = report.contenders.filter((r) => r.instructions);
  const insns = barChart('insn-bar', counted.map((r) => ({ label: name(r), value: r.instructions!.total, text: `${formatNumber(r.instructions!.total / 1e6, 2)} M instructions at VLEN ${r.instructions!.vlen}`, color: colorOf(r), attrs: attrs(r) })), 'RISC-V Vector: dynamic instructions per run under qemu (fewer is better)');
  const p = report.profile;
  const kernels = p
    ? barChart('kernel-bar', p.report.byNode.slice(0, 12).map((n) => ({ label: `${n.name} (${n.op})`.slice(0, 44), value: n.ms, text: `${formatMs(n.ms)} ms, ${formatPercent(n.share)}`, color: COLORS[p.target] ?? '#666', attrs: { node: n.name, op: n.op } })), `Per-kernel time of the slowest edgec wasm build (${p.target} ${p.precision}; profiling build, ${p.report.runs} runs; nodes sum to ${formatMs(p.report.totalMs)} ms)`)
    : '<p>No per-kernel breakdown (no timed wasm build).</p>';
  const rvvKernels = counted.map((r) => barChart('rvv-kernel-bar', r.instructions!.kernels.slice(0, 8).map((k) => ({ label: `${k.node} (${k.op})`.slice(0, 44), value: k.value, text: `${formatNumber(k.value / 1e6, 2)} M, ${formatPercent(k.share)}`, color: COLORS.rvv!, attrs: { node: k.node, precision: r.precision } })), `rvv ${r.precision}: kernels with the most instructions`)).join('');

  const s = report.summary;
  const ops = Object.entries(s.ops).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ');
  const contenders = table(
    ['target', 'precision', 'status', 'check', 'median ms', 'p90 ms', 'min-max ms', 'compile ms', 'artifact', 'arena', 'problem'],
    report.contenders.map((r) => [
      r.target, r.precision, r.status,
      r.check ? `${r.check.against}: ${r.check.error.toExponential(2)} (limit ${r.check.rtol})` : '—',
      r.latency ? formatMs(r.latency.median) : '—', r.latency ? formatMs(r.latency.p90) : '—', r.latency ? `${formatMs(r.latency.min)}-${formatMs(r.latency.max)}` : '—',
      r.compileMs !== undefined ? formatMs(r.compileMs) : '—', r.artifactBytes !== undefined ? formatBytes(r.artifactBytes) : '—', r.arenaBytes !== undefined ? formatBytes(r.arenaBytes) : '—',
      r.problem ? `${r.code ? `[${r.code}] ` : ''}${r.problem}` : '',
    ]),
  );
  const seals = table(
    ['artifact', 'sha256', 'signed', 'source model', 'built for', 'builder', 'contract'],
    report.contenders.filter((r) => r.seal).map((r) => {
      const seal = r.seal!;
      return [
        name(r), `${seal.digest.slice(0, 16)}…`, seal.signed ? `yes (key ${seal.keyid!.slice(0, 12)}…)` : 'no',
        seal.source ? `${seal.source.name} sha256 ${seal.source.sha256.slice(0, 12)}…` : '?',
        `${seal.target ?? '?'}, -O2 pipeline of ${seal.pipeline ? seal.pipeline.split(',').length : '?'} passes`, Object.entries(seal.builder).map(([k, v]) => `${k} ${v}`).join(', '), contractText(seal.contract),
      ];
    }),
  );
  const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.meta { color: #666; } figure { margin: 12px 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #333; dominant-baseline: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 8px 0; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td { max-width: 380px; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; } dt { color: #666; }`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgec bench: ${escape(report.model)}</title><style>${style}</style></head>
<body>
<h1>edgec bench: ${escape(report.model)}</h1>
<p class="meta">${escape(report.timing)}. Node ${escape(report.machine.node)}, ${report.machine.cpus} cores, load average ${report.machine.loadavg}; seed ${report.options.seed}, int8 calibrated on ${report.options.calibrate} synthetic inputs.</p>
<h2>Model</h2>
<dl id="model-summary"><dt>nodes</dt><dd>${s.nodes}</dd><dt>MACs</dt><dd>${s.macs === null ? 'unknown' : `${formatNumber(s.macs / 1e6, 1)} M`}</dd><dt>parameters</dt><dd>${formatNumber(s.parameters / 1e6, 2)} M (${formatBytes(s.parameterBytes)})</dd><dt>ops</dt><dd>${escape(ops)}</dd></dl>
<h2>Latency</h2>
${latency || '<p>No contender was timed.</p>'}
${speedup}
<h2>RISC-V Vector</h2>
${insns || '<p>rvv was not benchmarked.</p>'}
${rvvKernels}
<h2>Per-kernel breakdown</h2>
${kernels}
<h2>Contenders</h2>
${contenders}
<h2>Provenance and contracts</h2>
${seals}
</body></html>
`;
}
