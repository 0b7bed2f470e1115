/**
 * int8 accuracy of edgec's post-training quantization: for each shared CNN and calibration method, the output
 * SNR (dB) of edgec's int8 execution (reference interpreter, integer kernels) against the fp32 model
 * (onnxruntime-node), and the top-1 agreement, over held-apart inputs that calibration never saw.
 *
 *   node dist/bench/quantize-accuracy.js [--models resnet18,...] [--methods minmax,percentile,entropy]
 *                                      [--inputs 200] [--calibration 32] [--activations u8|i8]
 *                                      [--bias-correction 16] [--auto 35 [--auto-methods percentile]] [--json out.json]
 *
 * `--bias-correction N` corrects biases on N calibration inputs (0: off). `--auto dB` adds, per method, a row of
 * the automatic mixed-precision mode with that target (`percentile + auto(35 dB)`), which says how many layers
 * it kept in float.
 *
 * The shared models are untrained, with BatchNorm statistics settled on N(0,1) images, so seeded N(0,1)
 * inputs are their input distribution: calibration uses seeds 1000.., the evaluation seeds 500000.. .
 */
import { writeFileSync } from 'node:fs';
import { importOnnxFile } from '../compiler/onnx/index.js';
import {
  argmax,
  BIAS_CORRECTION_SAMPLES,
  CALIBRATION_METHODS,
  cloneGraph,
  collectStats,
  prepareForQuantization,
  quantizeModel,
  SnrAccumulator,
  syntheticInputs,
  type CalibrationMethod,
} from '../compiler/quantize/index.js';
import { runGraph } from '../targets/reference/index.js';
import { modelPath } from '../tests/support/shared.js';
import { ortSession, runOrt } from '../tests/support/ort.js';

const EVAL_SEED = 500_000;
type Model = 'mobilenet_v2' | 'resnet18' | 'squeezenet1_1';

interface Row {
  model: string;
  /** The calibration method, with the automatic mode's target when it ran. */
  method: string;
  /** Layers kept in float (by the automatic mode). */
  floatLayers: number;
  snrDb: number;
  top1: number;
  inputs: number;
  calibration: number;
  int8Ms: number;
  nodes: Record<string, number>;
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

async function main(): Promise<void> {
  const models = flag('models', 'mobilenet_v2,resnet18,squeezenet1_1').split(',') as Model[];
  const methods = flag('methods', CALIBRATION_METHODS.join(',')).split(',') as CalibrationMethod[];
  const count = Number(flag('inputs', '200'));
  const calibrationCount = Number(flag('calibration', '32'));
  const activations = flag('activations', 'u8') as 'u8' | 'i8';
  const biasCorrection = Number(flag('bias-correction', String(BIAS_CORRECTION_SAMPLES)));
  const autoTarget = flag('auto', '');
  const autoMethods = flag('auto-methods', methods.join(',')).split(',');
  const jsonPath = flag('json', '');
  const rows: Row[] = [];
  for (const model of models) {
    const source = importOnnxFile(modelPath(model));
    const prepared = prepareForQuantization(cloneGraph(source));
    const calibration = syntheticInputs(prepared, calibrationCount);
    const stats = collectStats(prepared, calibration, { histograms: true });
    const evaluation = syntheticInputs(prepared, count, EVAL_SEED);
    const session = await ortSession(modelPath(model));
    const reference: Float32Array[] = [];
    for (const feeds of evaluation) reference.push(Object.values(await runOrt(session, feeds))[0]!.data as Float32Array);
    const variants = methods.flatMap((method) => [{ method, auto: undefined as number | undefined }, ...(autoTarget && autoMethods.includes(method) ? [{ method, auto: Number(autoTarget) }] : [])]);
    for (const { method, auto } of variants) {
      const q = quantizeModel(cloneGraph(prepared), {
        calibration,
        stats,
        method,
        activations,
        biasCorrection,
        auto: auto === undefined ? undefined : { targetSnr: auto },
        prepared: true,
      });
      const snr = new SnrAccumulator();
      let agree = 0;
      const started = performance.now();
      evaluation.forEach((feeds, i) => {
        const out = Object.values(runGraph(q.int8, feeds))[0]!.data as Float32Array;
        snr.add(reference[i]!, out);
        if (argmax(out) === argmax(reference[i]!)) agree++;
      });
      const nodes: Record<string, number> = {};
      for (const n of q.int8.nodes) nodes[n.op] = (nodes[n.op] ?? 0) + 1;
      const label = auto === undefined ? method : `${method} + auto(${auto} dB)`;
      const row = { model, method: label, floatLayers: q.keptFloat.length, snrDb: snr.db, top1: agree / count, inputs: count, calibration: calibrationCount, int8Ms: (performance.now() - started) / count, nodes };
      rows.push(row);
      const kept = auto === undefined ? '' : `, ${row.floatLayers} layers in float`;
      process.stdout.write(`${model.padEnd(14)} ${label.padEnd(24)} SNR ${row.snrDb.toFixed(2).padStart(6)} dB  top-1 ${(row.top1 * 100).toFixed(1).padStart(5)}%  (${count} inputs, ${row.int8Ms.toFixed(0)} ms/int8 run${kept})\n`);
    }
  }
  process.stdout.write('\n| model | method | SNR (dB) | top-1 agreement | layers in float |\n| --- | --- | --- | --- | --- |\n');
  for (const r of rows) process.stdout.write(`| ${r.model} | ${r.method} | ${r.snrDb.toFixed(2)} | ${(r.top1 * 100).toFixed(1)}% | ${r.floatLayers} |\n`);
  if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ activations, biasCorrection, rows }, null, 2));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
