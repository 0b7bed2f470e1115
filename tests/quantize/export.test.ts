import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../compiler/cli/cli.js';
import { encodeNpy } from '../../compiler/io/npy.js';
import { seededRandom } from '../../compiler/io/random.js';
import { exportOnnx } from '../../compiler/onnx/export.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { calibrationInputs, quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { parseGraph, verifyGraph, type Graph } from '../../ir/index.js';
import { load } from '../../runtime/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { ortSession, runOrt } from '../support/ort.js';

/** A small CNN with what the shared models have: conv + relu, max pool, a residual add, Relu6, global pool, FC. */
function smallCnn(): Graph {
  const r = seededRandom(42);
  const list = (n: number, scale: number) => `[${Array.from({ length: n }, () => ((r() - 0.5) * 2 * scale).toFixed(4)).join(', ')}]`;
  return parseGraph(`graph @cnn(%input: f32[1,3,12,12]) {
  %w1 = const f32[8,3,3,3] ${list(216, 0.4)}
  %b1 = const f32[8] ${list(8, 0.1)}
  %w2 = const f32[8,8,3,3] ${list(576, 0.2)}
  %b2 = const f32[8] ${list(8, 0.1)}
  %w3 = const f32[8,1,3,3] ${list(72, 0.4)}
  %fc = const f32[5,8] ${list(40, 0.5)}
  %fcb = const f32[5] ${list(5, 0.1)}
  %lo = const f32[] [0.0]
  %hi = const f32[] [6.0]
  %c1 = Conv(%input, %w1, %b1) {pads = [1, 1, 1, 1]} : f32[1,8,12,12] @conv1
  %r1 = Relu(%c1) : f32[1,8,12,12]
  %p = MaxPool(%r1) {kernel_shape = [2, 2], strides = [2, 2]} : f32[1,8,6,6]
  %c2 = Conv(%p, %w2, %b2) {pads = [1, 1, 1, 1]} : f32[1,8,6,6] @conv2
  %a = Add(%c2, %p) : f32[1,8,6,6] @add
  %r2 = Relu(%a) : f32[1,8,6,6]
  %d = Conv(%r2, %w3, _) {group = 8, pads = [1, 1, 1, 1]} : f32[1,8,6,6] @dw
  %r6 = Clip(%d, %lo, %hi) : f32[1,8,6,6]
  %g = GlobalAveragePool(%r6) : f32[1,8,1,1]
  %f = Flatten(%g) : f32[1,8]
  %output = Gemm(%f, %fc, %fcb) {transB = 1} : f32[1,5] @fc
  return %output
}
`);
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

describe('QDQ export: onnxruntime runs it and agrees with edgec int8', () => {
  it('quantizes every layer and matches ORT within one output quantization step', async () => {
    const float = smallCnn();
    const q = quantizeModel(float, { calibration: syntheticInputs(float, 8), method: 'minmax' });
    verifyGraph(q.qdq);
    verifyGraph(q.int8);
    const ops = q.int8.nodes.map((n) => n.op);
    // The logits come from the FC's int32 accumulator, dequantized by the input scale and the per-row weight scales.
    expect(ops).toEqual(['QuantizeF32', 'QConv', 'MaxPool', 'QConv', 'QAdd', 'QConv', 'QGlobalAveragePool', 'Flatten', 'QMatMul', 'DequantizeF32', 'Mul']);
    const dir = mkdtempSync(join(tmpdir(), 'edgec-qdq-'));
    const path = join(dir, 'cnn.int8.onnx');
    writeFileSync(path, exportOnnx(q.qdq));
    const session = await ortSession(path);
    // The step 8-bit logits would have had (the calibrated range over 256 levels).
    const outScale = q.float.outputs[0]!.quant!.scale[0]!;
    let maxSteps = 0;
    for (const feeds of syntheticInputs(float, 10, 777)) {
      const ours = runGraph(q.int8, feeds)['output']!.data as Float32Array;
      const theirs = (await runOrt(session, feeds))['output']!.data as Float32Array;
      for (let i = 0; i < ours.length; i++) maxSteps = Math.max(maxSteps, Math.abs(ours[i]! - theirs[i]!) / outScale);
    }
    // ORT requantizes through float (round half to even), edgec through the fixed-point multiplier (half up):
    // the two may differ by one step at a tie, and that step may carry through later layers.
    expect(maxSteps).toBeLessThanOrEqual(2.001);
  });

  it('edgec quantize writes a model ORT runs, from synthetic or folder calibration, with --keep-float', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-quantize-'));
    const model = join(dir, 'cnn.onnx');
    writeFileSync(model, exportOnnx(smallCnn()));
    const out = join(dir, 'cnn.int8.onnx');
    const ir = join(dir, 'cnn.int8.ir');
    const r = await cli('quantize', model, '-o', out, '--calibrate', 'synthetic:4', '--method', 'percentile', '--ir', ir, '--keep-float', 'fc', '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.keptFloat).toEqual(['fc']);
    expect(report.ops.Gemm).toBe(1);
    expect(report.ops.QConv).toBe(3);
    const int8 = parseGraph(readFileSync(ir, 'utf8'));
    const session = await ortSession(out);
    const feeds = syntheticInputs(int8, 1, 5)[0]!;
    const ours = runGraph(int8, feeds)['output']!.data as Float32Array;
    const theirs = (await runOrt(session, feeds))['output']!.data as Float32Array;
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i]! - theirs[i]!)).toBeLessThan(0.05 * Math.max(1, Math.abs(ours[i]!)));

    // A folder of .npy files: one sample per file (a [2,...] file holds two).
    const calib = join(dir, 'calib');
    mkdirSync(calib);
    const [a, b, c] = syntheticInputs(int8, 3, 9).map((f) => f['input']!);
    writeFileSync(join(calib, 'a.npy'), encodeNpy(a!));
    const both = new Float32Array(a!.data.length * 2);
    both.set(b!.data as Float32Array);
    both.set(c!.data as Float32Array, a!.data.length);
    writeFileSync(join(calib, 'bc.npy'), encodeNpy({ dtype: 'f32', shape: [2, 3, 12, 12], data: both }));
    expect(calibrationInputs(importOnnxFile(model), calib)).toHaveLength(3);
    const r2 = await cli('quantize', model, '-o', join(dir, 'b.onnx'), '--calibrate', calib, '--method', 'entropy', '--check', '4');
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out).toMatch(/quantized .* \(entropy, 3 calibration inputs/);
    expect(r2.out).toMatch(/vs float on 4 held-apart inputs: SNR \d+/);
    expect(r2.err).not.toContain('calibrating');

    const bad = await cli('quantize', model, '--calibrate', 'synthetic:x');
    expect(bad.code).toBe(2);
  });

  it('edgec compile lowers a QDQ model to the integer ops: the wasm artifact equals edgec int8 bit for bit', async () => {
    const float = smallCnn();
    const q = quantizeModel(float, { calibration: syntheticInputs(float, 4), method: 'minmax' });
    const dir = mkdtempSync(join(tmpdir(), 'edgec-qdq-compile-'));
    const model = join(dir, 'cnn.int8.onnx');
    writeFileSync(model, exportOnnx(q.qdq));
    const wasm = join(dir, 'cnn.int8.wasm');
    const r = await cli('compile', model, '-t', 'wasm', '-o', wasm, '--print-after', 'lower-qdq');
    expect(r.code, r.err).toBe(0);
    // The graph after lower-qdq has the integer ops and no float QDQ pairs left.
    for (const op of ['QConv', 'QAdd', 'QMatMul', 'QGlobalAveragePool']) expect(r.err).toContain(`${op}(`);
    expect(r.err).not.toContain('DequantizeLinear(');
    const model8 = await load(readFileSync(wasm));
    for (const feeds of syntheticInputs(float, 3, 31)) {
      const expected = runGraph(q.int8, feeds)['output']!.data as Float32Array;
      const out = (await model8.run({ input: feeds['input']!.data as Float32Array }))['output'] as Float32Array;
      expect(Array.from(out)).toEqual(Array.from(expected));
    }
  });

  it('automatic mixed precision keeps layers in float until the target SNR is met', () => {
    const float = smallCnn();
    const q = quantizeModel(float, { calibration: syntheticInputs(float, 4), method: 'minmax', auto: { targetSnr: 60, maxFloatLayers: 2, samples: 2 } });
    expect(q.auto!.length).toBeGreaterThan(1);
    expect(q.keptFloat.length).toBe(q.auto!.length - 1);
    expect(q.auto![q.auto!.length - 1]!.snr).toBeGreaterThan(q.auto![0]!.snr);
    verifyGraph(q.int8);
  });
});
