import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../support/run-cli.js';
import { compiledTargets, registerTarget, targetNames } from '../../compiler/targets/registry.js';
import { listCases, runCases, summarizeTarget } from '../conformance/runner.js';
import { opsReport } from '../conformance/report.js';
import { toyEntry } from '../support/toy-target/entry.js';
import { TOY_MAGIC } from '../support/toy-target/target.js';
import { writeAddRelu } from '../support/small-models.js';

const cli = captureCli;

// The shipped list is fixed; this file adds the toy target (tests/support/toy-target/: its folder and its entry)
// once, and from then on it must appear in compile, run, bench, inspect and conformance with no other edit.
const SHIPPED = ['reference', 'wasm', 'rvv', 'webgpu'];
const shippedBefore = targetNames();
registerTarget(toyEntry);

const dir = mkdtempSync(join(tmpdir(), 'edgec-registry-'));
const model = writeAddRelu(dir);

describe('the target registry', () => {
  it('ships the four targets in order and takes one more, once', () => {
    expect(shippedBefore).toEqual(SHIPPED);
    expect(targetNames()).toEqual([...SHIPPED, 'toy']);
    expect(() => registerTarget(toyEntry)).toThrow(/registered already/);
  });

  it('compiles for the registered target, and lists it in the help', async () => {
    const output = join(dir, 'model.toy');
    const { code, out } = await cli('compile', model, '-t', 'toy', '-o', output, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out).target).toBe('toy');
    expect(readFileSync(output, 'utf8').startsWith(TOY_MAGIC)).toBe(true);
    expect((await cli('compile', '--help')).out).toMatch(/choices:[^\]]*"toy"/);
    // A target without a seal refuses a contract, naming the targets that have one.
    const contract = join(dir, 'contract.json');
    writeFileSync(contract, JSON.stringify({ license: 'Apache-2.0' }));
    const sealed = await cli('compile', model, '-t', 'toy', '-o', join(dir, 'x.toy'), '--contract', contract);
    expect(sealed.code).toBe(2);
    expect(sealed.err).toContain('apply to sealed targets (wasm, rvv, webgpu)');
  });

  it('runs its artifacts and compiles-and-runs models on it, with the reference\'s outputs', async () => {
    const expected = JSON.parse((await cli('run', model, '-t', 'reference', '--json')).out).outputs;
    const onModel = JSON.parse((await cli('run', model, '-t', 'toy', '--json')).out);
    expect(onModel.target).toBe('toy');
    expect(onModel.outputs).toEqual(expected);
    const artifact = join(dir, 'model.toy');
    if (!existsSync(artifact)) await cli('compile', model, '-t', 'toy', '-o', artifact);
    const onArtifact = JSON.parse((await cli('run', artifact, '--json')).out);
    expect(onArtifact.target).toBe('toy');
    expect(onArtifact.outputs).toEqual(expected);
  });

  it('benchmarks it: checked against the reference and timed', async () => {
    expect((await cli('bench', '--help')).out).toContain('wasm, rvv, webgpu, toy, ort-node, ort-web');
    const { code, out } = await cli('bench', model, '--targets', 'toy', '--runs', '3', '--warmup', '0', '--profile-runs', '0', '--json', '--quiet');
    expect(code).toBe(0);
    const [toy] = JSON.parse(out).contenders;
    expect(toy.target).toBe('toy');
    expect(toy.status).toBe('ok');
    expect(toy.latency.median).toBeGreaterThan(0);
  });

  it('is a column of the support matrix of edgec inspect', async () => {
    const { support } = JSON.parse((await cli('inspect', model, '--json')).out);
    expect(support.targets.map((t: { target: string }) => t.target)).toEqual([...SHIPPED, 'toy']);
    const only = JSON.parse((await cli('inspect', model, '-t', 'toy', '--json')).out).support;
    expect(only.ops).toEqual([
      { op: 'Add', count: 1, targets: { toy: true } },
      { op: 'Relu', count: 1, targets: { toy: true } },
    ]);
  });

  it('runs in conformance, gets its own column in docs/ops.md, and its own check decides', async () => {
    expect(compiledTargets().map((e) => e.target.name)).toEqual(['wasm', 'rvv', 'webgpu', 'toy']);
    const results = await runCases([...listCases('test_relu'), ...listCases('test_argmax_default_axis_example')], { targets: ['toy'] });
    const toy = summarizeTarget(results, 'toy');
    expect(toy.fail).toBe(0);
    expect(toy.pass).toBeGreaterThan(0);
    const argmax = results.find((r) => r.name === 'test_argmax_default_axis_example')!;
    expect(argmax.targets['toy']).toMatchObject({ status: 'unsupported', detail: expect.stringContaining('toy runs float32 only') });
    const report = opsReport(results, [toyEntry]);
    expect(report).toContain('| op | reference: passed / total | toy: passed |');
    expect(report).toMatch(/\| Relu \| \d+ \/ \d+ \| [1-9]\d* \|/);
  });
});
