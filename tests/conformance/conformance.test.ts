import { describe, expect, it } from 'vitest';
import { compiledTargets } from '../../compiler/targets/registry.js';
import { listCases, runCases, summarize, summarizeTarget } from './runner.js';

/** The least each target must pass, so a sweep that silently stopped running a target fails. */
const MINIMUM_PASSING: Record<string, number> = { wasm: 975, rvv: 960, webgpu: 950 };

// Every compiled target of the registry this machine can run: a target whose tools (qemu, clang) or GPU are
// missing fails under CI, naming what is missing, and is skipped elsewhere with that message.
const available: string[] = [];
const missing: string[] = [];
for (const entry of compiledTargets()) {
  const problem = await entry.missing();
  if (!problem) available.push(entry.target.name);
  else if (process.env.CI) missing.push(`${entry.target.name}: ${problem}`);
  else console.warn(`conformance: skipping ${entry.target.name}: ${problem}`);
}

// All ~1,900 ONNX backend cases in one test, in one worker: each is small, and one process keeps the sweep fast.
// Every case the reference passes is also compiled (-O2 pipeline) for each target whose check supports its nodes:
// wasm and webgpu case by case (webgpu on one device), rvv in one bundled program run under qemu at VLEN 128,
// 256 and 512.
describe('ONNX backend conformance', () => {
  it('has every target it needs', () => expect(missing).toEqual([]));

  it('passes every case whose ops are all in the edge op set, on the reference and on every target', async () => {
    const results = await runCases(listCases(), { targets: available });
    const counts = summarize(results);
    console.log(
      `conformance (reference): ${counts.pass} passed, ${counts.fail} failed, ` +
        `${counts['unsupported-feature']} in scope but need an unsupported element type or feature, ` +
        `${counts['unsupported-op']} unsupported (ops outside the edge op set)` +
        available.map((name) => {
          const t = summarizeTarget(results, name);
          return `\nconformance (${name}): ${t.pass} passed, ${t.fail} failed, ${t.unsupported} not supported by the ${name} target`;
        }).join(''),
    );
    const failures = results.filter((r) => r.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.detail}`);
    expect(failures).toEqual([]);
    for (const name of available) {
      const targetFailures = results.filter((r) => r.targets[name]?.status === 'fail').map((r) => `${name} ${r.suite}/${r.name}: ${r.targets[name]!.detail}`);
      expect(targetFailures).toEqual([]);
      expect(summarizeTarget(results, name).pass).toBeGreaterThanOrEqual(MINIMUM_PASSING[name] ?? 1);
    }
    // The sweep must actually have run: the suites hold over 980 cases that edgec claims.
    expect(counts.pass).toBeGreaterThanOrEqual(980);
  }, 1_800_000);
});
