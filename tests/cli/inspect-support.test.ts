import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../support/run-cli.js';
import { inspectSupport } from '../../compiler/index.js';
import { writeAddRelu, writeArgMax, writeMixedAdds } from '../support/small-models.js';

const cli = captureCli;

const dir = mkdtempSync(join(tmpdir(), 'edgec-support-'));
const TARGETS = ['reference', 'wasm', 'rvv', 'webgpu'];

// `edgec inspect` says, before compiling, which target can compile each op of a model: each target's own node
// check on the graph its pipeline makes, not a list of op names.
describe('edgec inspect: support per target', () => {
  it('shows every target compiling a model they all support (symbolic dims taken as 1)', async () => {
    const model = writeAddRelu(dir);
    const { code, out } = await cli('inspect', model, '--json');
    expect(code).toBe(0);
    const { support } = JSON.parse(out);
    expect(support.optLevel).toBe(2);
    expect(support.targets).toEqual(TARGETS.map((target) => ({ target, compiles: true, unsupported: [] })));
    const all = Object.fromEntries(TARGETS.map((t) => [t, true]));
    expect(support.ops).toEqual([
      { op: 'Add', count: 1, targets: all },
      { op: 'Relu', count: 1, targets: all },
    ]);
    const text = await cli('inspect', model);
    expect(text.out).toMatch(/op\s+count\s+reference\s+wasm\s+rvv\s+webgpu/);
    expect(text.out).toContain('every target shown compiles this model');
  });

  it('marks the ops a target cannot compile, with the node and the target\'s reason', async () => {
    // WGSL has no 64-bit floats: the f64 Add is the one node webgpu cannot compile.
    const model = writeMixedAdds(dir);
    const { support } = JSON.parse((await cli('inspect', model, '--json')).out);
    expect(support.ops).toEqual([{ op: 'Add', count: 2, targets: { reference: true, wasm: true, rvv: true, webgpu: false } }]);
    const webgpu = support.targets.find((t: { target: string }) => t.target === 'webgpu');
    expect(webgpu).toEqual({ target: 'webgpu', compiles: false, unsupported: [{ op: 'Add', node: 'double_sum', reason: expect.stringContaining('64-bit floats') }] });
    const text = (await cli('inspect', model)).out;
    expect(text).toMatch(/Add\s+2\s+yes\s+yes\s+yes\s+no/);
    expect(text).toContain("webgpu cannot compile 1 node:\n    Add (node 'double_sum')");
    expect(text).toContain('compiles on: reference, wasm, rvv');
  });

  it('decides per node, not per op name: an Add on f64 is not an Add on f32', () => {
    const support = inspectSupport(writeMixedAdds(dir));
    const webgpu = support.targets.find((t) => t.target === 'webgpu')!;
    expect(webgpu.unsupported.map((u) => u.node)).toEqual(['double_sum']);
    expect(webgpu.unsupported[0]!.reason).toMatch(/no 64-bit floats/);
    expect(support.ops).toEqual([{ op: 'Add', count: 2, targets: { reference: true, wasm: true, rvv: true, webgpu: false } }]);
  });

  it('limits the matrix to one target with --target, and checks -O', async () => {
    const model = writeArgMax(dir);
    const { support } = JSON.parse((await cli('inspect', model, '-t', 'wasm', '-O', '0', '--json')).out);
    expect(support.optLevel).toBe(0);
    expect(support.targets.map((t: { target: string }) => t.target)).toEqual(['wasm']);
    expect(support.ops.every((o: { targets: object }) => Object.keys(o.targets).join() === 'wasm')).toBe(true);
    expect((await cli('inspect', model, '-O', '3')).code).toBe(2);
    expect((await cli('inspect', model, '-t', 'nowhere')).code).toBe(2);
  });
});
