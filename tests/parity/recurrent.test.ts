import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../compiler/onnx/export.js';
import type { Graph, Tensor } from '../../ir/index.js';
import { transposeTensor } from '../../passes/util-tensors.js';
import { TARGETS } from '../../targets/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { missingFor } from '../kernels/targets.js';
import { LOWERING_CASES, recurrentCase, type RecurrentCase } from '../passes/recurrent-models.js';
import { buildForRvv, runBuild } from '../rvv/harness.js';
import { ortSession, runOrt } from '../support/ort.js';
import { runOnWebGpu } from '../webgpu/harness.js';
import { runOnWasm } from '../wasm/harness.js';

/**
 * LSTM, GRU and RNN against onnxruntime-node: the reference kernel on every lowering test case, and three models
 * on the reference and on every compiled target (through each target's -O2 pipeline, so through lower-recurrent
 * and the targets' GEMM kernels).
 */

const dir = mkdtempSync(join(tmpdir(), 'edgec-recurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * onnxruntime-node's outputs for the case's graph, written as an ONNX file. onnxruntime runs only layout 0: a
 * layout-1 case runs there as its layout-0 twin (same weights, inputs and outputs transposed batch <-> time).
 */
async function ortOutputs(c: RecurrentCase): Promise<Record<string, Tensor>> {
  const { feeds } = recurrentCase(c);
  const batchMajor = Number(c.attrs?.['layout'] ?? 0) === 1;
  const twin = batchMajor ? { ...c, attrs: { ...c.attrs, layout: 0 } } : c;
  const { graph } = recurrentCase(twin);
  const swap = (t: Tensor) => transposeTensor(t, [1, 0, 2]);
  const twinFeeds = batchMajor ? Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, ['X', 'initial_h', 'initial_c'].includes(n) ? swap(t) : t])) : feeds;
  const path = join(dir, `${c.name}.onnx`);
  writeFileSync(path, exportOnnx(graph));
  const outputs = await runOrt(await ortSession(path), twinFeeds);
  if (!batchMajor) return outputs;
  return Object.fromEntries(Object.entries(outputs).map(([n, t]) => [n, n === 'Y' ? transposeTensor(t, [2, 0, 1, 3]) : swap(t)]));
}

/** max |a - b| / max |b| over all outputs, the outputs compared by name. */
function deviation(actual: Record<string, Tensor>, expected: Record<string, Tensor>): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    expect(a, `no output '${name}'`).toBeDefined();
    expect(a!.shape).toEqual(e.shape);
    let diff = 0;
    let ref = 0;
    for (let i = 0; i < e.data.length; i++) {
      diff = Math.max(diff, Math.abs(Number(a!.data[i]) - Number(e.data[i])));
      ref = Math.max(ref, Math.abs(Number(e.data[i])));
    }
    expect(ref, `output '${name}' is all zero`).toBeGreaterThan(0);
    worst = Math.max(worst, diff / ref);
  }
  return worst;
}

const TOLERANCE = 1e-5;

describe('recurrent reference kernel matches onnxruntime-node', () => {
  for (const c of LOWERING_CASES) {
    it(c.name, async () => {
      const { graph, feeds } = recurrentCase(c);
      const worst = deviation(runGraph(graph, feeds), await ortOutputs(c));
      console.log(`parity reference ${c.name}: max relative deviation ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOLERANCE);
    });
  }
});

const MODELS: RecurrentCase[] = [
  {
    name: 'lstm_bidirectional_initial_states',
    op: 'LSTM', seq: 5, batch: 2, input: 6, hidden: 8, attrs: { direction: 'bidirectional' },
    bias: true, initialH: true, initialC: true, peepholes: true, outputs: ['Y', 'Y_h', 'Y_c'], seed: 11,
  },
  {
    name: 'gru_linear_before_reset_batchwise',
    op: 'GRU', seq: 4, batch: 3, input: 5, hidden: 6, attrs: { linear_before_reset: 1, layout: 1 },
    bias: true, initialH: true, outputs: ['Y', 'Y_h'], seed: 12,
  },
  {
    name: 'rnn_sequence_lens',
    op: 'RNN', seq: 5, batch: 3, input: 4, hidden: 5, attrs: { direction: 'bidirectional' },
    bias: true, initialH: true, lens: [5, 2, 3], outputs: ['Y', 'Y_h'], seed: 13,
  },
  {
    name: 'rnn_sequence_lens_at_run_time',
    op: 'RNN', seq: 4, batch: 3, input: 4, hidden: 5, attrs: { direction: 'bidirectional' },
    bias: true, lens: [1, 4, 3], lensAtRunTime: true, outputs: ['Y', 'Y_h'], seed: 14,
  },
  // Every other activation the spec allows, with alpha / beta and clip.
  {
    name: 'lstm_activations_clip',
    op: 'LSTM', seq: 3, batch: 2, input: 4, hidden: 5,
    attrs: { direction: 'bidirectional', activations: ['HardSigmoid', 'Elu', 'ScaledTanh', 'Sigmoid', 'Tanh', 'LeakyRelu'], activation_alpha: [0.3, 0.9, 1.2, 0.05], activation_beta: [0.45, 0.8], clip: 1.5 },
    bias: true, initialH: true, initialC: true, outputs: ['Y', 'Y_h', 'Y_c'], seed: 15,
  },
  {
    name: 'gru_activations',
    op: 'GRU', seq: 3, batch: 3, input: 4, hidden: 5,
    attrs: { direction: 'bidirectional', activations: ['Affine', 'ThresholdedRelu', 'Softsign', 'Relu'], activation_alpha: [0.4, 0.1], activation_beta: [0.3] },
    bias: true, initialH: true, lens: [3, 1, 2], outputs: ['Y', 'Y_h'], seed: 16,
  },
  {
    name: 'rnn_softplus',
    op: 'RNN', seq: 3, batch: 2, input: 4, hidden: 5, attrs: { activations: ['Softplus'] }, bias: true, outputs: ['Y', 'Y_h'], seed: 17,
  },
];

type Runner = (graph: Graph, feeds: Record<string, Tensor>, pipeline: string) => Promise<Record<string, Tensor>[]>;

const RUNNERS: Record<string, Runner> = {
  wasm: async (graph, feeds, pipeline) => [(await runOnWasm(graph, feeds, { pipeline })).outputs],
  webgpu: async (graph, feeds, pipeline) => [(await runOnWebGpu(graph, feeds, { pipeline })).outputs],
  rvv: async (graph, feeds, pipeline) => {
    const build = buildForRvv(graph, pipeline);
    return VLENS.map((vlen) => runBuild(build, feeds, vlen).outputs);
  },
};

describe('recurrent models match onnxruntime-node on every target', () => {
  for (const c of MODELS) {
    it(`${c.name} on the reference`, async () => {
      const { graph, feeds } = recurrentCase(c);
      const worst = deviation(runGraph(graph, feeds), await ortOutputs(c));
      console.log(`parity reference ${c.name}: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOLERANCE);
    });
    for (const [target, run] of Object.entries(RUNNERS)) {
      const missing = missingFor(target as 'wasm' | 'webgpu' | 'rvv');
      it.skipIf(missing !== null)(`${c.name} on ${target}`, async () => {
        const { graph, feeds } = recurrentCase(c);
        const pipeline = TARGETS.get(target)!.pipeline(2);
        const expected = await ortOutputs(c);
        for (const outputs of await run(graph, feeds, pipeline)) {
          const worst = deviation(outputs, expected);
          console.log(`parity ${target} ${c.name}: ${worst.toExponential(2)}`);
          expect(worst).toBeLessThan(TOLERANCE);
        }
      }, 120_000);
    }
  }
});
