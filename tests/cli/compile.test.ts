import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../compiler/cli/cli.js';
import { parseGraph, verifyGraph } from '../../ir/index.js';
import { modelPath } from '../support/shared.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

describe('edgec compile (pipelines)', () => {
  it('writes the optimized IR for the reference target, with pass timings and IR printed after a pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-compile-'));
    const output = join(dir, 'squeezenet.ir');
    const { code, out, err } = await cli('compile', modelPath('squeezenet1_1'), '-t', 'reference', '-o', output, '--print-after', 'fuse-activation', '--time-passes', '--verify-each');
    expect(code).toBe(0);
    expect(out).toContain(`-> ${output}`);
    expect(err).toContain('// ----- IR after fuse-activation -----');
    expect(err).toMatch(/FusedConv\(.*activation = "Relu"/);
    expect(err).toMatch(/pass timings \(reference\):[\s\S]*fuse-conv-bn +[0-9.]+ ms[\s\S]*total/);
    const graph = parseGraph(readFileSync(output, 'utf8'));
    verifyGraph(graph);
    expect(graph.nodes.some((n) => n.op === 'Relu')).toBe(false);
    // The written IR runs and matches the model run directly.
    const a = JSON.parse((await cli('run', output, '--json')).out);
    const b = JSON.parse((await cli('run', modelPath('squeezenet1_1'), '-O', '0', '--json')).out);
    expect(a.outputs.output.first.map((x: number) => x.toFixed(5))).toEqual(b.outputs.output.first.map((x: number) => x.toFixed(5)));
  });

  it('takes a custom pipeline and rejects unknown passes and options up front', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-compile-'));
    const custom = await cli('compile', modelPath('tiny_encoder'), '-t', 'reference', '-o', join(dir, 'a.ir'), '--passes', 'recognize-gelu', '--json');
    expect(custom.code).toBe(0);
    const report = JSON.parse(custom.out);
    expect(report.pipeline).toBe('recognize-gelu');
    expect(report.nodes.after).toBeLessThan(report.nodes.before);
    const bad = await cli('compile', modelPath('tiny_encoder'), '-t', 'reference', '-o', join(dir, 'b.ir'), '--passes', 'fold-constants{max-bites=1},fuse-everything');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/\[USAGE\] pass 'fold-constants' has no option 'max-bites'; unknown pass 'fuse-everything'/);
    expect((await cli('compile', modelPath('tiny_encoder'), '-O', '7')).code).toBe(2);
  });
});
