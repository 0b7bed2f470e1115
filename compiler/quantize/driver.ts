import { EdgecError, type DType, type Graph, type Node, type Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { STANDARD_PIPELINES } from '../../passes/pipelines.js';
import { PASSES } from '../../passes/registry.js';
import { activationParams } from '../../passes/quantize-params.js';
import { referenceEvaluate, runGraph, type Feeds } from '../../targets/reference/index.js';
import { correctBiases } from './bias-correction.js';
import { calibratedRanges, collectStats, type CalibrationStats } from './calibrate.js';
import { cloneGraph } from './clone.js';
import { realValues, SnrAccumulator } from './metrics.js';
import type { CalibrationMethod } from './observers.js';

/**
 * The post-training static quantization driver:
 *
 *   float graph -> prepare (the -O2 pipeline with residual Adds and elementwise chains left unfused, so that
 *                  each Add is calibrated and quantized on its own, and recurrent layers left whole: their
 *                  lowering makes FusedElementwise nodes, which the quantized ONNX export cannot write)
 *               -> calibrate (reference interpreter, observe) -> annotate float values with q(scale, zp)
 *               -> quantize pass (QDQ form: what export writes) -> lower-qdq (int8 ops: what targets run)
 *
 * plus the automatic mixed-precision mode: keep in float the layers that lose the most SNR, one at a time,
 * until the output SNR reaches the target.
 */

export const PREPARE_PIPELINE = STANDARD_PIPELINES[2]
  .split(',')
  .filter((p) => p !== 'fuse-elementwise' && p !== 'lower-recurrent')
  .map((p) => (p === 'fuse-activation' ? 'fuse-activation{residual=0}' : p))
  .join(',');
export const LOWER_PIPELINE = 'lower-qdq,eliminate-dead-code';

export interface QuantizeModelOptions {
  /** Calibration inputs (see data.ts). */
  calibration: readonly Feeds[];
  method?: CalibrationMethod;
  /** For `percentile`, default 99.99. */
  percentile?: number;
  /** Activation dtype, default u8 (weights are always int8). */
  activations?: 'u8' | 'i8';
  /**
   * Empirical bias correction (see bias-correction.ts) on this many calibration inputs, default 16; 0 turns it
   * off. It removes the per-channel output offsets that quantization leaves, at the cost of one float and one
   * QDQ run per input (per step of the automatic mode).
   */
  biasCorrection?: number;
  /** Node names, output names or op types to keep in float. */
  keepFloat?: readonly string[];
  /** Automatic mixed precision: keep the worst layers in float until the output SNR (dB) reaches target. */
  auto?: { targetSnr: number; maxFloatLayers?: number; samples?: number };
  /** Statistics from an earlier calibration of the same prepared graph (skips calibration). */
  stats?: CalibrationStats;
  progress?: (done: number, total: number) => void;
  /** The graph has already been through PREPARE_PIPELINE. */
  prepared?: boolean;
}

export interface AutoStep {
  /** The layer kept in float at this step (undefined for the all-int8 start). */
  kept?: string;
  /** Output SNR in dB after the step. */
  snr: number;
}

export interface QuantizedModel {
  /** The prepared float graph, with calibrated parameters on its activations. */
  float: Graph;
  /** QDQ form (QuantizeLinear / DequantizeLinear around float ops). */
  qdq: Graph;
  /** The integer graph (ir/ops/quantized.ts ops). */
  int8: Graph;
  keptFloat: string[];
  stats: CalibrationStats;
  auto?: AutoStep[];
}

export function prepareForQuantization(graph: Graph): Graph {
  runPipeline(graph, PREPARE_PIPELINE, PASSES, { evaluate: referenceEvaluate });
  return graph;
}

/** Puts activation parameters for `ranges` on the graph's f32 activations (and removes stale ones). */
export function annotateRanges(graph: Graph, ranges: ReadonlyMap<string, [number, number]>, dtype: DType): void {
  const values = [...graph.inputs, ...graph.nodes.flatMap((n) => n.outputs)];
  for (const v of values) {
    delete v.quant;
    const r = ranges.get(v.name);
    if (r && v.type.dtype === 'f32') v.quant = activationParams(r[0], r[1], dtype);
  }
}

function quantizePipeline(dtype: DType, keepFloat: readonly string[]): string {
  const bad = keepFloat.find((k) => /[,{}=;]/.test(k));
  if (bad) throw new EdgecError('USAGE', `--keep-float entry '${bad}' contains a character pipelines reserve (, { } = ;)`);
  const keep = keepFloat.length > 0 ? `,keep-float=${keepFloat.join(';')}` : '';
  return `quantize{activations=${dtype}${keep}}`;
}

export const BIAS_CORRECTION_SAMPLES = 16;

/**
 * QDQ and int8 forms of an annotated float graph (the float graph is left as it is), with the biases of the
 * quantized layers corrected on `correction` samples when given.
 */
export function quantizeAnnotated(float: Graph, dtype: DType, keepFloat: readonly string[], correction: readonly Feeds[] = []): { qdq: Graph; int8: Graph } {
  const qdq = cloneGraph(float);
  runPipeline(qdq, quantizePipeline(dtype, keepFloat), PASSES, { evaluate: referenceEvaluate });
  correctBiases(float, qdq, correction);
  const int8 = cloneGraph(qdq);
  runPipeline(int8, LOWER_PIPELINE, PASSES, { evaluate: referenceEvaluate });
  return { qdq, int8 };
}

export function quantizeModel(graph: Graph, options: QuantizeModelOptions): QuantizedModel {
  const dtype = options.activations ?? 'u8';
  const method = options.method ?? 'minmax';
  if (!options.prepared) prepareForQuantization(graph);
  if (options.calibration.length === 0 && !options.stats) throw new EdgecError('USAGE', 'quantization needs at least one calibration input');
  const stats = options.stats ?? collectStats(graph, options.calibration, { histograms: method !== 'minmax', progress: options.progress });
  const ranges = calibratedRanges(stats, { method, percentile: options.percentile });
  // Graph outputs keep their whole observed range: clipping the logits changes which class wins.
  for (const out of graph.outputs) {
    const observed = stats.values.get(out.name)?.minMax;
    if (observed && ranges.has(out.name)) ranges.set(out.name, [observed.min, observed.max]);
  }
  annotateRanges(graph, ranges, dtype);
  const keepFloat = [...(options.keepFloat ?? [])];
  const corrections = options.biasCorrection ?? BIAS_CORRECTION_SAMPLES;
  if (!Number.isInteger(corrections) || corrections < 0) throw new EdgecError('USAGE', `bias correction needs a whole number of calibration inputs (0: off), got ${corrections}`);
  const correction = options.calibration.slice(0, corrections);
  let { qdq, int8 } = quantizeAnnotated(graph, dtype, keepFloat, correction);
  let auto: AutoStep[] | undefined;
  if (options.auto) {
    const samples = options.calibration.slice(0, options.auto.samples ?? 4);
    const search = autoMixedPrecision(graph, qdq, int8, samples, correction, dtype, keepFloat, options.auto.targetSnr, options.auto.maxFloatLayers ?? 8);
    ({ qdq, int8, auto } = search);
  }
  return { float: graph, qdq, int8, keptFloat: keepFloat, stats, auto };
}

// ---------------------------------------------------------------------------------------------------------
// Automatic mixed precision

/** Every observed f32 tensor of the float graph per sample, and the int8 graph's tensors read as reals. */
function observeAll(graph: Graph, feeds: Feeds, real: boolean): Map<string, Float64Array | Float32Array> {
  const seen = new Map<string, Float64Array | Float32Array>();
  const outputs = runGraph(graph, feeds, {
    observe: (v, t: Tensor) => {
      if (t.dtype === 'f32') seen.set(v.name, t.data as Float32Array);
      else if (real && v.quant && (t.dtype === 'i8' || t.dtype === 'u8')) seen.set(v.name, realValues(t, v.quant));
    },
  });
  for (const [name, t] of Object.entries(outputs)) seen.set(name, t.data as Float32Array);
  return seen;
}

/** For each float activation quantized in the QDQ graph, the name of its quantized value (the QuantizeLinear output). */
function quantizedNames(qdq: Graph): Map<string, string> {
  const map = new Map<string, string>();
  for (const n of qdq.nodes) if (n.op === 'QuantizeLinear' && !n.inputs[0]!.data) map.set(n.inputs[0]!.name, n.outputs[0]!.name);
  return map;
}

interface LayerError {
  node: Node;
  /** SNR lost across the layer: min SNR of its quantized operands minus the SNR of its quantized result. */
  drop: number;
}

function layerErrors(float: Graph, qdq: Graph, int8: Graph, floatSeen: Map<string, Float64Array | Float32Array>[], samples: readonly Feeds[], keep: Set<string>): { output: number; layers: LayerError[] } {
  const names = quantizedNames(qdq);
  const perValue = new Map<string, SnrAccumulator>();
  const output = new SnrAccumulator();
  samples.forEach((feeds, i) => {
    const q = observeAll(int8, feeds, true);
    const f = floatSeen[i]!;
    for (const [floatName, qName] of names) {
      const a = f.get(floatName);
      const b = q.get(qName);
      if (!a || !b) continue;
      let acc = perValue.get(floatName);
      if (!acc) perValue.set(floatName, (acc = new SnrAccumulator()));
      acc.add(a, b);
    }
    for (const out of float.outputs) output.add(f.get(out.name)!, q.get(out.name)!);
  });
  const snr = (name: string) => perValue.get(name)?.db;
  const layers: LayerError[] = [];
  const users = float.users();
  for (const node of float.nodes) {
    if (keep.has(node.outputs[0]!.name)) continue;
    // The result of the layer: its output, or that of the Relu / Clip it absorbed.
    let result = node.outputs[0]!;
    const next = users.get(result);
    if (snr(result.name) === undefined && next?.length === 1 && ['Relu', 'Clip'].includes(next[0]!.op)) result = next[0]!.outputs[0]!;
    const out = snr(result.name);
    const ins = node.inputs.filter((v) => v && !v.data).map((v) => snr(v!.name));
    if (out === undefined || ins.length === 0 || ins.some((s) => s === undefined)) continue;
    layers.push({ node, drop: Math.min(...(ins as number[])) - out });
  }
  return { output: output.db, layers };
}

function autoMixedPrecision(
  float: Graph,
  qdq: Graph,
  int8: Graph,
  samples: readonly Feeds[],
  correction: readonly Feeds[],
  dtype: DType,
  keepFloat: string[],
  target: number,
  maxLayers: number,
): { qdq: Graph; int8: Graph; auto: AutoStep[] } {
  const floatSeen = samples.map((feeds) => observeAll(float, feeds, false));
  const keep = new Set<string>();
  let current = layerErrors(float, qdq, int8, floatSeen, samples, keep);
  const steps: AutoStep[] = [{ snr: current.output }];
  while (current.output < target && keep.size < maxLayers) {
    const worst = current.layers.filter((l) => ['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul', 'Add', 'GlobalAveragePool'].includes(l.node.op)).sort((a, b) => b.drop - a.drop)[0];
    if (!worst) break;
    const name = worst.node.outputs[0]!.name;
    keep.add(name);
    keepFloat.push(name);
    ({ qdq, int8 } = quantizeAnnotated(float, dtype, keepFloat, correction));
    current = layerErrors(float, qdq, int8, floatSeen, samples, keep);
    steps.push({ kept: name, snr: current.output });
  }
  return { qdq, int8, auto: steps };
}
