import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../compiler/bench/engine.js';
import { progressLine, stderrProgress } from '../../compiler/progress.js';
import { runCli } from '../../compiler/cli/cli.js';
import { seededRandom } from '../../compiler/io/random.js';
import { hasTool, QEMU_DYNAMIC } from '../../targets/rvv/qemu.js';
import { nodeGpuProblem } from '../../compiler/webgpu-node.js';
import { writeKeyPair } from '../../compiler/provenance/keys.js';
import { chromiumProblem, openBrowser } from '../support/browser.js';
import { REPO_ROOT } from '../support/shared.js';
import { attr, makeModel, node, rawF32 } from '../compiler/onnx/make-model.js';

// `edgec bench` end to end on a tiny CNN (a few ms per run everywhere), with few runs: these tests check that
// every contender is compiled, checked and measured and that the report renders, never how fast anything is.

const random = seededRandom(11);
const weights = (n: number) => Array.from({ length: n }, () => (random() * 2 - 1) * 0.3);

function tinyCnn(dir: string): string {
  const path = join(dir, 'tiny_cnn.onnx');
  writeFileSync(path, makeModel({
    inputs: [{ name: 'x', shape: [1, 3, 16, 16] }],
    outputs: ['y'],
    initializers: [rawF32('w1', [8, 3, 3, 3], weights(8 * 27)), rawF32('b1', [8], weights(8)), rawF32('w2', [16, 8, 3, 3], weights(16 * 72)), rawF32('b2', [16], weights(16))],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: attr.ints(3, 3), pads: attr.ints(1, 1, 1, 1) }),
      node('Relu', ['c1'], ['r1']),
      node('MaxPool', ['r1'], ['p1'], { kernel_shape: attr.ints(2, 2), strides: attr.ints(2, 2) }),
      node('Conv', ['p1', 'w2', 'b2'], ['c2'], { kernel_shape: attr.ints(3, 3), pads: attr.ints(1, 1, 1, 1) }),
      node('Relu', ['c2'], ['r2']),
      node('GlobalAveragePool', ['r2'], ['y']),
    ],
  }));
  return path;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'edgec-bench-test-'));
const model = tinyCnn(dir);
const html = join(dir, 'report.html');
const QUICK = ['--runs', '3', '--warmup', '1'];

describe('edgec bench', () => {
  let report: BenchReport;

  it('compiles, checks and times wasm fp32/int8 with onnxruntime-web and -node, as JSON and an HTML report', async () => {
    const c = capture();
    const code = await runCli(['bench', model, '--targets', 'wasm,ort-web,ort-node', '--quant', 'fp32,int8', ...QUICK, '--profile-runs', '2', '--json', '--html', html], c.io);
    expect(c.err.join('\n')).toBe('');
    expect(code).toBe(0);
    report = JSON.parse(c.out.join('\n')) as BenchReport;
    expect(report.contenders.map((r) => `${r.target}/${r.precision}`)).toEqual(['wasm/fp32', 'ort-web/fp32', 'ort-node/fp32', 'wasm/int8']);
    for (const r of report.contenders) {
      expect(r.status, `${r.target} ${r.precision}: ${r.problem}`).toBe('ok');
      expect(r.latency!.runs).toBe(3);
      expect(r.latency!.median).toBeGreaterThan(0);
      expect(r.latency!.p90).toBeGreaterThanOrEqual(r.latency!.median);
      expect(r.speedupVsOrtWeb).toBeGreaterThan(0);
    }
    const [wasm, web, , int8] = report.contenders;
    expect(web!.speedupVsOrtWeb).toBe(1);
    expect(wasm!.check).toMatchObject({ against: 'reference', rtol: 1e-4 });
    expect(int8!.check).toMatchObject({ against: 'reference int8 (bit-exact)', error: 0 });
    for (const r of [wasm!, int8!]) {
      expect(r.artifactBytes).toBeGreaterThan(1000);
      expect(r.arenaBytes).toBeGreaterThan(0);
      expect(r.compileMs).toBeGreaterThan(0);
      expect(r.seal!.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(r.seal!.source!.name).toBe('tiny_cnn.onnx');
      expect(r.seal!.target).toBe('wasm');
    }
    expect(report.summary).toMatchObject({ nodes: 6, ops: { Conv: 2, Relu: 2, MaxPool: 1, GlobalAveragePool: 1 } });
    expect(report.summary.macs).toBe(16 * 16 * 8 * 27 + 8 * 8 * 16 * 72);
    // The per-kernel breakdown is of the slower of the two wasm builds.
    const slower = wasm!.latency!.median >= int8!.latency!.median ? 'fp32' : 'int8';
    expect(report.profile).toMatchObject({ target: 'wasm', precision: slower, report: { runs: 2 } });
    expect(report.profile!.report.byNode.length).toBeGreaterThan(0);
  });

  it('prints a table with every contender checked', async () => {
    const c = capture();
    const code = await runCli(['bench', model, '--targets', 'wasm,ort-web', ...QUICK, '--profile-runs', '0'], c.io);
    expect(code).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(/^wasm\s+fp32\s+ok /m);
    expect(text).toMatch(/^ort-web\s+fp32\s+ok .* 1\.00x/m);
    expect(text).not.toMatch(/per-kernel/);
  });

  it('renders the HTML report in headless Chromium: every bar drawn, nothing fetched', async () => {
    const problem = chromiumProblem();
    if (problem) {
      if (process.env.CI) throw new Error(`the report test needs ${problem}`);
      console.warn(`skipping the report render check: ${problem}`);
      return;
    }
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<script|<link|https?:\/\//);
    const session = await openBrowser();
    try {
      const page = session.page;
      const requests: string[] = [];
      page.on('request', (r) => void requests.push(r.url()));
      await page.goto(`file://${html}`);
      for (const r of report.contenders) {
        const bar = page.locator(`rect.bar[data-target="${r.target}"][data-precision="${r.precision}"]`);
        expect(await bar.count(), `${r.target} ${r.precision}`).toBe(1);
        const box = await bar.boundingBox();
        expect(box!.width, `${r.target} ${r.precision}`).toBeGreaterThan(0);
        expect(box!.height).toBeGreaterThan(0);
      }
      expect(await page.locator('rect.speedup-bar').count()).toBe(4);
      expect(await page.locator('rect.kernel-bar').count()).toBe(report.profile!.report.byNode.length);
      expect(await page.locator('#model-summary').textContent()).toMatch(/MACs/);
      expect(requests).toEqual([`file://${html}`]);
      const out = join(REPO_ROOT, 'test-output');
      mkdirSync(out, { recursive: true });
      await page.screenshot({ path: join(out, 'bench-report.png'), fullPage: true });
    } finally {
      await session.close();
    }
  });

  it('counts rvv instructions under qemu and times webgpu through Dawn', async () => {
    const missing = [!hasTool(QEMU_DYNAMIC) && `${QEMU_DYNAMIC} (qemu-user)`, !hasTool('clang-19') && 'clang-19', await nodeGpuProblem()].filter(Boolean);
    if (missing.length) {
      if (process.env.CI) throw new Error(`the rvv/webgpu bench needs ${missing.join(', ')}`);
      console.warn(`skipping the rvv/webgpu bench: missing ${missing.join(', ')}`);
      return;
    }
    const c = capture();
    const code = await runCli(['bench', model, '--targets', 'rvv,webgpu', '--quant', 'fp32', '--vlen', '128', '--runs', '2', '--warmup', '1', '--json'], c.io);
    const r = JSON.parse(c.out.join('\n')) as BenchReport;
    expect(code, JSON.stringify(r.contenders.map((x) => x.problem))).toBe(0);
    const [rvv, webgpu] = r.contenders;
    expect(rvv).toMatchObject({ target: 'rvv', status: 'ok', instructions: { vlen: 128 } });
    expect(rvv!.instructions!.total).toBeGreaterThan(rvv!.instructions!.kernels.reduce((s, k) => s + k.value, 0) * 0.5);
    expect(rvv!.latency).toBeUndefined();
    expect(rvv!.seal!.target).toBe('rvv');
    expect(webgpu).toMatchObject({ target: 'webgpu', status: 'ok', check: { rtol: 1e-3 } });
    expect(webgpu!.latency!.runs).toBe(2);
  });

  it('seals every artifact with the given contract and signs it, as edgec compile does', async () => {
    const key = writeKeyPair(join(dir, 'release'));
    const contract = join(dir, 'contract.yaml');
    writeFileSync(contract, 'license: Apache-2.0\npermittedUses: [image-classification]\n');
    const c = capture();
    const code = await runCli(['bench', model, '--targets', 'wasm', '--quant', 'fp32,int8', '--runs', '1', '--warmup', '0', '--profile-runs', '0', '--contract', contract, '--sign-key', key.privatePath, '--json'], c.io);
    expect(code).toBe(0);
    const r = JSON.parse(c.out.join('\n')) as BenchReport;
    for (const x of r.contenders) {
      expect(x.seal).toMatchObject({ signed: true, keyid: key.keyid, contract: { license: 'Apache-2.0', permittedUses: ['image-classification'] } });
    }
  });

  it('rejects unknown targets and bad calibration specs with a usage error', async () => {
    for (const argv of [['--targets', 'wasm,tpu'], ['--quant', 'int4'], ['--calibrate', 'folder:x'], ['--vlen', '100']]) {
      const c = capture();
      expect(await runCli(['bench', model, ...argv], c.io)).toBe(2);
      expect(c.err.join('\n')).toMatch(/^error \[USAGE\] /);
    }
  });
});

describe('bench progress bar', () => {
  it('draws a fixed-width bar with the step count', () => {
    expect(progressLine('compiling wasm fp32', 3, 8)).toBe('[#########...............] 3/8  compiling wasm fp32');
    expect(progressLine('x', 12, 10)).toMatch(/^\[#{24}\] 12\/10/);
  });

  it('writes nothing when stderr is not a terminal, or with --quiet', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (s: string) => void written.push(s) };
    for (const p of [stderrProgress(stream), stderrProgress({ ...stream, isTTY: true }, true)]) {
      p.start('timing', 3);
      p.tick('a');
      p.done();
    }
    expect(written).toEqual([]);
    const tty = stderrProgress({ ...stream, isTTY: true, columns: 80 });
    tty.start('timing', 2);
    tty.tick('wasm');
    expect(written.at(-1)).toContain('1/2  timing: wasm');
  });
});
