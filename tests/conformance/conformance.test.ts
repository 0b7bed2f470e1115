import { describe, expect, it } from 'vitest';
import { listCases, runCases, summarize, summarizeWasm } from './runner.js';

// All ~1,900 ONNX backend cases in one test, in one worker: each is small, and one process keeps the sweep fast.
// Every case the reference passes is also compiled for wasm (-O2 pipeline) when the wasm target supports its nodes.
describe('ONNX backend conformance', () => {
  it('passes every case whose ops are all in the edge op set, on the reference and on wasm', async () => {
    const results = await runCases(listCases(), { wasm: true });
    const counts = summarize(results);
    const wasm = summarizeWasm(results);
    console.log(
      `conformance (reference): ${counts.pass} passed, ${counts.fail} failed, ` +
        `${counts['unsupported-feature']} in scope but need an unsupported element type or feature, ` +
        `${counts['unsupported-op']} unsupported (ops outside the edge op set)\n` +
        `conformance (wasm): ${wasm.pass} passed, ${wasm.fail} failed, ${wasm.unsupported} not supported by the wasm target`,
    );
    const failures = results.filter((r) => r.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.detail}`);
    expect(failures).toEqual([]);
    const wasmFailures = results.filter((r) => r.wasm?.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.wasm!.detail}`);
    expect(wasmFailures).toEqual([]);
    // The sweep must actually have run: the suites hold over 900 cases that edgec claims.
    expect(counts.pass).toBeGreaterThanOrEqual(940);
  }, 1_800_000);
});
