// Runs the conformance cases and regenerates docs/ops.md:  npm run conformance [-- --filter conv] [-- --verbose]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/shared.js';
import { opsReport } from './report.js';
import { listCases, runCases, summarize } from './runner.js';

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;
const verbose = args.includes('--verbose');

const started = Date.now();
const results = runCases(listCases(filter), (r) => {
  if (r.status === 'fail' || (verbose && r.status !== 'unsupported-op')) {
    console.log(`${r.status.padEnd(20)} ${r.suite}/${r.name}${r.detail ? `: ${r.detail.split('\n')[0]}` : ''}`);
  }
});
const counts = summarize(results);
console.log(
  `conformance: ${counts.pass} passed, ${counts.fail} failed, ${counts['unsupported-feature']} need an unsupported type or feature, ` +
    `${counts['unsupported-op']} use unclaimed ops (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
if (!filter) {
  writeFileSync(join(REPO_ROOT, 'docs', 'ops.md'), opsReport(results));
  console.log('wrote docs/ops.md');
}
process.exitCode = counts.fail > 0 ? 1 : 0;
