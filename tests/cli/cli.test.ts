import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../compiler/cli/cli.js';
import { decodeNpy, encodeNpy } from '../../compiler/io/npy.js';
import { makeTensor } from '../../ir/index.js';
import { modelPath, sharedPath } from '../support/shared.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

describe('edgec inspect', () => {
  it('summarizes a model as JSON', async () => {
    const { code, out } = await cli('inspect', modelPath('resnet18'), '--json');
    expect(code).toBe(0);
    const s = JSON.parse(out);
    expect(s.inputs).toEqual([{ name: 'input', type: 'f32[1,3,224,224]' }]);
    expect(s.outputs).toEqual([{ name: 'output', type: 'f32[1,1000]' }]);
    expect(s.ops.Conv).toBe(20);
    // torchvision resnet18: 11.69 M parameters, 1.81 G MACs.
    expect(s.parameters).toBeGreaterThan(11.6e6);
    expect(s.parameters).toBeLessThan(11.8e6);
    expect(s.macs).toBeGreaterThan(1.8e9);
    expect(s.macs).toBeLessThan(1.83e9);
    expect(s.unsupported).toEqual([]);
  });

  it('prints a readable table and reports symbolic MACs until shapes are fixed', async () => {
    const plain = await cli('inspect', modelPath('tiny_encoder'));
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('input  f32[batch,32,64]');
    expect(plain.out).toContain('LayerNormalization');
    const fixed = await cli('inspect', modelPath('tiny_encoder'), '--input-shape', 'input=1,32,64', '--json');
    expect(JSON.parse(fixed.out).macs).toBeGreaterThan(0);
  });

  it('still describes a model with unsupported ops, listing each with its nodes', async () => {
    const { code, out } = await cli('inspect', sharedPath('onnx-backend', 'node', 'test_nonzero_example', 'model.onnx'));
    expect(code).toBe(0);
    expect(out).toContain('unsupported ops:');
    expect(out).toMatch(/NonZero: \S+/);
    expect(out).toContain('MACs        unknown (unsupported ops)');
  });

  it('fails with a code and the file name on a missing or bad model', async () => {
    const missing = await cli('inspect', '/nonexistent/model.onnx');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/\[IO\].*\/nonexistent\/model.onnx/);
    const dir = mkdtempSync(join(tmpdir(), 'edgec-cli-'));
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'this is not a model');
    const bad = await cli('inspect', junk);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/\[ONNX_DECODE\].*junk.onnx/);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });

  it('rejects bad usage with exit code 2', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('inspect', modelPath('resnet18'), '--input-shape', 'input=1,x')).code).toBe(2);
  });
});

describe('edgec run', () => {
  it('runs on seeded random inputs and writes .npy outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-run-'));
    const first = await cli('run', modelPath('squeezenet1_1'), '-o', dir, '--json');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.out);
    expect(report.inputs.input).toBe('random (seed 0)');
    expect(report.outputs.output.shape).toEqual([1, 1000]);
    expect(readdirSync(dir)).toEqual(['output.npy']);
    const written = decodeNpy(new Uint8Array(readFileSync(join(dir, 'output.npy'))));
    expect(written.shape).toEqual([1, 1000]);
    // The same seed gives the same outputs.
    const again = JSON.parse((await cli('run', modelPath('squeezenet1_1'), '--json')).out);
    expect(again.outputs.output.first).toEqual(report.outputs.output.first);
  });

  it('reads inputs from .npy and checks their shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-in-'));
    const good = join(dir, 'x.npy');
    writeFileSync(good, encodeNpy(makeTensor('f32', [1, 32, 64], new Float32Array(32 * 64).fill(0.5))));
    const ok = await cli('run', modelPath('tiny_encoder'), '-i', `input=${good}`);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`input input: ${good}`);
    expect(ok.out).toMatch(/output f32\[1,10\]/);

    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, encodeNpy(makeTensor('f32', [1, 31, 64], new Float32Array(31 * 64))));
    const bad = await cli('run', modelPath('tiny_encoder'), '-i', `input=${wrong}`);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/\[RUNTIME_INPUT\] input 'input' must have shape f32\[1,32,64\], got \[1,31,64\]/);

    const unknown = await cli('run', modelPath('tiny_encoder'), '-i', `nosuch=${good}`);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no model input named 'nosuch'/);
  });
});
