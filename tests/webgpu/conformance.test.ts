import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../compiler/webgpu-node.js';
import { listCases, runCases, summarize, summarizeTarget } from '../conformance/runner.js';
import { requireGpu, sharedDevice } from './harness.js';

// The ONNX backend conformance sweep with a webgpu column: every case the reference passes is compiled for
// webgpu (-O2) when the target supports all its nodes, and run on one shared device. About 40 s on SwiftShader.
if (requireGpu('webgpu conformance')) {
  describe('ONNX backend conformance on webgpu', () => {
    it('passes every reference-passing case the webgpu target supports', async () => {
      const results = await runCases(listCases(), { webgpu: { device: await sharedDevice(), gpu: await nodeGpu() } });
      const reference = summarize(results);
      const webgpu = summarizeTarget(results, 'webgpu');
      console.log(`conformance (webgpu): ${webgpu.pass} passed, ${webgpu.fail} failed, ${webgpu.unsupported} not supported by the webgpu target (of ${reference.pass} the reference passes)`);
      const failures = results.filter((r) => r.webgpu?.status === 'fail').map((r) => `${r.suite}/${r.name}: ${r.webgpu!.detail}`);
      expect(failures).toEqual([]);
      // The sweep must actually have run on the GPU.
      expect(webgpu.pass).toBeGreaterThanOrEqual(440);
    }, 900_000);
  });
}
