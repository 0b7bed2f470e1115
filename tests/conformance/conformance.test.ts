import { describe, expect, it } from 'vitest';
import { rvvToolsReady } from '../rvv/harness.js';
import { listCases, runCases, summarize, summarizeTarget, summarizeWasm } from './runner.js';

// All ~1,900 ONNX backend cases in one test, in one worker: each is small, and one process keeps the sweep fast.
// Every case the reference passes is also compiled for wasm (-O2 pipeline) when the wasm target supports its nodes,
// and for rvv: all rvv-supported cases in one bundled program, run under qemu at VLEN 128, 256 and 512.
describe('ONNX backend conformance', () => {
  it('passes every case whose ops are all in the edge op set, on the reference, on wasm and on rvv', async () => {
    const rvv = rvvToolsReady();
    const results = await runCases(listCases(), { wasm: true, rvv });
    const counts = summarize(results);
    const wasm = summarizeWasm(results);
    console.log(
      `conformance (reference): ${counts.pass} passed, ${counts.fail} failed, ` +
        `${counts['unsupported-feature']} in scope but need an unsupported element type or feature, ` +
        `${counts['unsupported-op']} unsupported (ops outside the edge op set)\n` +
        `conformance (wasm): ${wasm.pass} passed, ${wasm.fail} failed, ${wasm.unsupported} not supported by the wasm target` +
        (rvv ? `\nconformance (rvv): ${summarizeTarget(results, 'rvv').pass} passed at VLEN 128/256/512, ${summarizeTarget(results, 'rvv').fail} failed, ${summarizeTarget(results, 'rvv').unsupported} not supported by the rvv target` : ''),
    );
    const failures = results.filter((r) => r.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.detail}`);
    expect(failures).toEqual([]);
    const wasmFailures = results.filter((r) => r.wasm?.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.wasm!.detail}`);
    expect(wasmFailures).toEqual([]);
    if (rvv) {
      const rvvFailures = results.filter((r) => r.rvv?.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.rvv!.detail}`);
      expect(rvvFailures).toEqual([]);
      expect(summarizeTarget(results, 'rvv').pass).toBeGreaterThanOrEqual(350);
    }
    // The sweep must actually have run: the suites hold over 900 cases that edgec claims.
    expect(counts.pass).toBeGreaterThanOrEqual(940);
  }, 1_800_000);
});
