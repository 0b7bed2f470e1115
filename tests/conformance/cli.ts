// Runs the conformance cases on the reference and on every compiled target of the registry, and regenerates
// docs/ops.md (only after a full sweep on every target):
//   npm run conformance [-- --filter conv] [-- --verbose] [-- --no-<target>, e.g. --no-rvv]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compiledTargets } from '../../compiler/targets/registry.js';
import { REPO_ROOT } from '../support/shared.js';
import { opsReport } from './report.js';
import { listCases, runCases, summarize, summarizeTarget } from './runner.js';

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;
const verbose = args.includes('--verbose');

const targets = compiledTargets();
const skipped: string[] = [];
const chosen: string[] = [];
for (const entry of targets) {
  const name = entry.target.name;
  const missing = args.includes(`--no-${name}`) ? 'skipped (--no-' + name + ')' : await entry.missing();
  if (missing) {
    skipped.push(name);
    console.log(`${name}: ${missing}`);
  } else chosen.push(name);
}

const started = Date.now();
const results = await runCases(listCases(filter), { targets: chosen }, (r) => {
  if (r.status === 'fail' || (verbose && r.status !== 'unsupported-op')) {
    console.log(`${r.status.padEnd(20)} ${r.suite}/${r.name}${r.detail ? `: ${r.detail.split('\n')[0]}` : ''}`);
  }
  for (const [name, t] of Object.entries(r.targets)) {
    if (t.status === 'fail' || verbose) console.log(`${name} ${t.status.padEnd(19 - name.length)} ${r.suite}/${r.name}${t.detail ? `: ${t.detail.split('\n')[0]}` : ''}`);
  }
});
const counts = summarize(results);
console.log(
  `reference: ${counts.pass} passed, ${counts.fail} failed, ${counts['unsupported-feature']} need an unsupported type or feature, ` +
    `${counts['unsupported-op']} use unclaimed ops (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
let failed = counts.fail;
for (const name of chosen) {
  const t = summarizeTarget(results, name);
  failed += t.fail;
  console.log(`${name}: ${t.pass} passed, ${t.fail} failed, ${t.unsupported} not supported by the ${name} target`);
}
if (!filter && skipped.length === 0) {
  writeFileSync(join(REPO_ROOT, 'docs', 'ops.md'), opsReport(results, targets));
  console.log('wrote docs/ops.md');
}
process.exitCode = failed > 0 ? 1 : 0;
