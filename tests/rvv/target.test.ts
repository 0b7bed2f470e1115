import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optimize } from '../../compiler/driver.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { GraphBuilder, isEdgecError } from '../../ir/index.js';
import { buildRvv } from '../../targets/rvv/build.js';
import { unsupportedByRvv } from '../../targets/rvv/compile.js';
import { qemuCpu, QEMU_STATIC } from '../../targets/rvv/qemu.js';
import { modelPath } from '../support/shared.js';
import { buildForRvv, rvvToolsReady } from './harness.js';

const tinyEncoder = () => {
  const graph = importOnnxFile(modelPath('tiny_encoder'), { inputShapes: { input: [1, 32, 64] } });
  optimize(graph, { target: 'rvv', print: () => {} });
  return graph;
};

describe('rvv target checks', () => {
  it('lists every unsupported node up front, with its reason', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2, 4, 4] });
    const r = b.op('Resize', [x, null, b.constant('scales', { dtype: 'f32', shape: [3], data: new Float32Array([1, 2, 2]) })], { mode: 'nearest' }, 'r');
    b.output(b.op('Relu', [r]));
    const s = b.op('ReduceProd', [b.input('k', { dtype: 'i32', shape: [3, 5] })], { keepdims: 1 }, 's');
    b.output(s);
    const problems = unsupportedByRvv(b.build());
    expect(problems.map((p) => [p.node.op, p.reason])).toEqual([
      ['Resize', 'Resize of a rank-3 tensor is not supported (4-D NCHW)'],
      ['ReduceProd', 'ReduceProd on i32 is not supported on rvv (f32, f64, bool Max/Min)'],
    ]);
  });

  it('names clang-19 when it is missing', () => {
    const graph = tinyEncoder();
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => buildRvv(graph)).toThrow(/needs clang-19 on PATH/);
      try {
        buildRvv(graph);
      } catch (e) {
        expect(isEdgecError(e) && e.code).toBe('TOOL_MISSING');
      }
    } finally {
      process.env.PATH = path;
    }
  });
});

describe.runIf(rvvToolsReady())('rvv builds', () => {
  it('are deterministic: the same model gives byte-identical sources, object, library and ELF', () => {
    const first = buildRvv(tinyEncoder()).files;
    const second = buildRvv(tinyEncoder()).files;
    expect(Object.keys(first).sort()).toEqual(['edgec_model.h', 'edgec_model.o', 'libedgec_model.a', 'main.c', 'model.c', 'model.elf', 'weights.S', 'weights.bin', 'weights.o']);
    for (const name of Object.keys(first)) expect(Buffer.compare(first[name]!, second[name]!), name).toBe(0);
  });

  it('the test program refuses an input file of the wrong size, naming the input', () => {
    const b = new GraphBuilder('g');
    b.output(b.op('Relu', [b.input('pixels', { dtype: 'f32', shape: [2, 3] })], {}, 'y'));
    const build = buildForRvv(b.build());
    const dir = mkdtempSync(join(tmpdir(), 'edgec-rvv-test-'));
    try {
      writeFileSync(join(dir, 'model.elf'), build.files['model.elf']!, { mode: 0o755 });
      writeFileSync(join(dir, 'in.bin'), new Uint8Array(20));
      const r = spawnSync(QEMU_STATIC, ['-cpu', qemuCpu(128), join(dir, 'model.elf'), join(dir, 'in.bin'), join(dir, 'out.bin')], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/\(pixels\) must hold exactly 24 bytes/);
      const usage = spawnSync(QEMU_STATIC, ['-cpu', qemuCpu(128), join(dir, 'model.elf')], { encoding: 'utf8' });
      expect(usage.status).toBe(2);
      expect(usage.stderr).toMatch(/usage: model.elf pixels.bin y.out/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the header declares the C API and the I/O sizes', () => {
    const { sources } = buildRvv(tinyEncoder());
    expect(sources.header).toContain('int edgec_model_run(const void *const *inputs, void *const *outputs);');
    expect(sources.header).toContain(`#define EDGEC_MODEL_INPUT_0_BYTES ${32 * 64 * 4}`);
    expect(sources.modelC).not.toMatch(/malloc/);
  });
});
