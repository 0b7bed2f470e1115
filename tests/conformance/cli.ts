// Runs the conformance cases and regenerates docs/ops.md:
//   npm run conformance [-- --filter conv] [-- --verbose] [-- --no-wasm] [-- --no-rvv]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/shared.js';
import { opsReport } from './report.js';
import { listCases, runCases, summarize, summarizeTarget, summarizeWasm } from './runner.js';

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;
const verbose = args.includes('--verbose');
const wasm = !args.includes('--no-wasm');
const rvv = !args.includes('--no-rvv');

const started = Date.now();
const results = await runCases(listCases(filter), { wasm, rvv }, (r) => {
  if (r.status === 'fail' || (verbose && r.status !== 'unsupported-op')) {
    console.log(`${r.status.padEnd(20)} ${r.suite}/${r.name}${r.detail ? `: ${r.detail.split('\n')[0]}` : ''}`);
  }
  if (r.wasm && (r.wasm.status === 'fail' || verbose)) {
    console.log(`wasm ${r.wasm.status.padEnd(15)} ${r.suite}/${r.name}${r.wasm.detail ? `: ${r.wasm.detail.split('\n')[0]}` : ''}`);
  }
  if (r.rvv && (r.rvv.status === 'fail' || verbose)) {
    console.log(`rvv ${r.rvv.status.padEnd(16)} ${r.suite}/${r.name}${r.rvv.detail ? `: ${r.rvv.detail.split('\n')[0]}` : ''}`);
  }
});
const counts = summarize(results);
console.log(
  `reference: ${counts.pass} passed, ${counts.fail} failed, ${counts['unsupported-feature']} need an unsupported type or feature, ` +
    `${counts['unsupported-op']} use unclaimed ops (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
const failed = counts.fail + (wasm ? summarizeWasm(results).fail : 0) + (rvv ? summarizeTarget(results, 'rvv').fail : 0);
if (wasm) {
  const w = summarizeWasm(results);
  console.log(`wasm: ${w.pass} passed, ${w.fail} failed, ${w.unsupported} not supported by the wasm target`);
}
if (rvv) {
  const v = summarizeTarget(results, 'rvv');
  console.log(`rvv: ${v.pass} passed at every VLEN, ${v.fail} failed, ${v.unsupported} not supported by the rvv target`);
}
if (!filter && wasm && rvv) {
  writeFileSync(join(REPO_ROOT, 'docs', 'ops.md'), opsReport(results));
  console.log('wrote docs/ops.md');
}
process.exitCode = failed > 0 ? 1 : 0;
