import { describe, expect, it } from 'vitest';
import { listCases, runCases, summarize } from './runner.js';

// All ~1,900 ONNX backend cases in one test, in one worker: each is small, and one process keeps the sweep fast.
describe('ONNX backend conformance on the reference interpreter', () => {
  it('passes every case whose ops are all in the edge op set', () => {
    const results = runCases(listCases());
    const counts = summarize(results);
    console.log(
      `conformance: ${counts.pass} passed, ${counts.fail} failed, ` +
        `${counts['unsupported-feature']} in scope but need an unsupported element type or feature, ` +
        `${counts['unsupported-op']} unsupported (ops outside the edge op set)`,
    );
    const failures = results.filter((r) => r.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.detail}`);
    expect(failures).toEqual([]);
    // The sweep must actually have run: the suites hold close to 900 cases that edgec claims.
    expect(counts.pass).toBeGreaterThanOrEqual(875);
  }, 900_000);
});
