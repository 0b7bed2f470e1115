import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../compiler/cli/cli.js';
import { compileModel } from '../../compiler/provenance/index.js';
import { EdgecRuntimeError, load, verifySeal } from '../../runtime/index.js';
import { bundleLayout } from '../../runtime/formats/webgpu-bundle.js';
import { readBundle } from '../../runtime/webgpu-bundle.js';
import { modelPath } from '../support/shared.js';
import { requireGpu } from './harness.js';

// The .edgecgpu bundle: deterministic bytes, a seal that load() and edgec verify check (a changed shader or
// weight byte is caught and named), and the runtime's errors when WebGPU is missing or too small.
const TINY = { target: 'webgpu', inputShapes: { input: [1, 32, 64] } };

function compileTiny(): Uint8Array {
  return compileModel(modelPath('tiny_encoder'), TINY).bytes;
}

/** A copy with one byte changed at the first occurrence of `marker` inside the section. */
function tampered(bytes: Uint8Array, section: 'manifest' | 'weights', marker?: string): Uint8Array {
  const copy = bytes.slice();
  const [offset, length] = bundleLayout(copy)[section];
  const at = marker ? offset + Buffer.from(copy.subarray(offset, offset + length)).indexOf(marker) : offset + Math.floor(length / 2);
  expect(at).toBeGreaterThanOrEqual(offset);
  copy[at] ^= 0x01;
  return copy;
}

async function refusal(promise: Promise<unknown>): Promise<EdgecRuntimeError> {
  const e = await promise.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(EdgecRuntimeError);
  return e as EdgecRuntimeError;
}

describe('webgpu bundle', () => {
  it('is deterministic: the same model compiles to identical bytes, seal included (SOURCE_DATE_EPOCH)', () => {
    const saved = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      const [a, b] = [compileTiny(), compileTiny()];
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      const { manifest } = readBundle(a);
      expect(manifest.dispatches.length).toBeGreaterThan(10);
      expect(manifest.shaders.every((s) => s.includes('@compute'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
    }
  });

  it('carries a seal that verifies; a changed shader or weight byte fails verify and load names what changed', async () => {
    const bytes = compileTiny();
    const report = await verifySeal(bytes);
    expect(report.kind).toBe('webgpu');
    expect(report.sealed).toBe(true);
    expect(report.problems).toEqual([]);

    const shader = tampered(bytes, 'manifest', '@compute');
    const shaderReport = await verifySeal(shader);
    expect(shaderReport.problems[0]?.message).toContain('the shaders, dispatch list or buffer plan changed');
    expect((await refusal(load(shader))).code).toBe('SEAL_INVALID');

    const weights = tampered(bytes, 'weights');
    expect((await verifySeal(weights)).problems[0]?.message).toContain('the weights changed');
    const e = await refusal(load(weights));
    expect(e.code).toBe('SEAL_INVALID');
    expect(e.message).toContain('weights');
  });

  it('edgec verify fails on a tampered bundle and passes on the original', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-gpu-'));
    const file = join(dir, 'tiny.edgecgpu');
    const io = { out: () => {}, err: () => {} };
    expect(await runCli(['compile', modelPath('tiny_encoder'), '--input-shape', 'input=1,32,64', '--target', 'webgpu', '-o', file], io)).toBe(0);
    expect(await runCli(['verify', file], io)).toBe(0);
    const bad = tampered(readFileSync(file), 'weights');
    writeFileSync(file, bad);
    let err = '';
    expect(await runCli(['verify', file], { out: (s) => (err += s), err: (s) => (err += s) })).not.toBe(0);
    expect(err).toContain('the weights changed');
  });

  it('load() says NO_GPU_ADAPTER without WebGPU, and GPU_LIMIT naming the limit when the adapter is too small', async () => {
    const bytes = compileTiny();
    const none = await refusal(load(bytes));
    expect(none.code).toBe('NO_GPU_ADAPTER');
    const noAdapter = { requestAdapter: async () => null, wgslLanguageFeatures: new Set<string>() } as unknown as GPU;
    expect((await refusal(load(bytes, { gpu: noAdapter }))).code).toBe('NO_GPU_ADAPTER');
    const small = {
      wgslLanguageFeatures: new Set<string>(),
      requestAdapter: async () => ({ limits: { maxStorageBufferBindingSize: 1024, maxBufferSize: 1 << 30, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupStorageSize: 16384, maxComputeWorkgroupsPerDimension: 65535 } }),
    } as unknown as GPU;
    const limit = await refusal(load(bytes, { gpu: small }));
    expect(limit.code).toBe('GPU_LIMIT');
    expect(limit.message).toMatch(/maxStorageBufferBindingSize = \d+, but the adapter allows 1024/);
  });
});

if (requireGpu('edgec run on webgpu')) {
  describe('edgec run on webgpu (Dawn)', () => {
    it('runs a compiled bundle and an ONNX model with --target webgpu, with the same outputs', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'edgec-gpu-run-'));
      const file = join(dir, 'tiny.edgecgpu');
      const io = { out: () => {}, err: () => {} };
      expect(await runCli(['compile', modelPath('tiny_encoder'), '--input-shape', 'input=1,32,64', '--target', 'webgpu', '-o', file], io)).toBe(0);
      const outputsOf = async (...argv: string[]) => {
        let out = '';
        expect(await runCli(['run', ...argv, '--json'], { out: (s) => (out += s), err: () => {} })).toBe(0);
        return JSON.parse(out) as { target: string; outputs: Record<string, { min: number; max: number; mean: number }> };
      };
      const bundle = await outputsOf(file);
      const onnx = await outputsOf(modelPath('tiny_encoder'), '--input-shape', 'input=1,32,64', '--target', 'webgpu');
      const reference = await outputsOf(modelPath('tiny_encoder'), '--input-shape', 'input=1,32,64');
      expect(bundle.target).toBe('webgpu');
      expect(onnx.outputs).toEqual(bundle.outputs);
      for (const [name, s] of Object.entries(reference.outputs)) {
        expect(bundle.outputs[name]!.mean).toBeCloseTo(s.mean, 4);
        expect(bundle.outputs[name]!.max).toBeCloseTo(s.max, 4);
      }
    });
  });
}
