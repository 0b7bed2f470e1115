import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../compiler/onnx/export.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { argmax, quantizeModel, SnrAccumulator, syntheticInputs } from '../../compiler/quantize/index.js';
import { verifyGraph } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { ortSession, runOrt } from '../support/ort.js';
import { modelPath } from '../support/shared.js';

describe('quantize + lower-qdq on resnet18', () => {
  it('runs every layer in int8, keeps the output SNR above 25 dB and agrees with ORT on the exported QDQ model', async () => {
    const graph = importOnnxFile(modelPath('resnet18'));
    const q = quantizeModel(graph, { calibration: syntheticInputs(graph, 2), method: 'minmax' });
    verifyGraph(q.qdq);
    verifyGraph(q.int8);
    const ops = new Map<string, number>();
    for (const n of q.int8.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    expect(Object.fromEntries(ops)).toEqual({ QuantizeF32: 1, QConv: 20, MaxPool: 1, QAdd: 8, QGlobalAveragePool: 1, Flatten: 1, QMatMul: 1, DequantizeF32: 1, Mul: 1 });
    // Weights are stored once, as int8: about a quarter of the float model's bytes (11.7 M parameters).
    const weightBytes = q.int8.constants.reduce((s, c) => s + c.data!.data.byteLength, 0);
    expect(weightBytes).toBeLessThan(11.7e6 * 1.02);

    const feeds = syntheticInputs(graph, 1, 500_000)[0]!;
    const reference = runGraph(q.float, feeds)['output']!.data as Float32Array;
    const started = performance.now();
    const int8 = runGraph(q.int8, feeds)['output']!.data as Float32Array;
    const ms = performance.now() - started;
    const snr = new SnrAccumulator();
    snr.add(reference, int8);
    expect(snr.db).toBeGreaterThan(25);
    expect(argmax(int8)).toBe(argmax(reference));
    expect(ms).toBeLessThan(15_000);

    const path = join(mkdtempSync(join(tmpdir(), 'edgec-resnet-q-')), 'resnet18.int8.onnx');
    writeFileSync(path, exportOnnx(q.qdq));
    const ort = (await runOrt(await ortSession(path), feeds))['output']!.data as Float32Array;
    // In steps of the 8-bit logits the output would have had (the logits come from the FC's accumulator).
    const scale = q.float.outputs[0]!.quant!.scale[0]!;
    let steps = 0;
    for (let i = 0; i < ort.length; i++) steps = Math.max(steps, Math.abs(ort[i]! - int8[i]!) / scale);
    // Measured: at most 2 output steps (ORT rounds ties half to even through float, edgec half up in fixed point).
    expect(steps).toBeLessThanOrEqual(3.001);
  });
});
