import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../compiler/driver.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { targetEntries } from '../../compiler/targets/registry.js';
import { makeTensor, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { ortSession, runOrt } from '../support/ort.js';
import { vadAudio, vadModel } from '../support/vad-model.js';
import { relativeError } from '../wasm/harness.js';

/**
 * A voice-activity model whose sample-rate input selects between nested If nodes around LSTM layers
 * (tests/support/vad-model.ts), against onnxruntime-node at three sample rates (16 kHz: the 16k branch and the
 * sigmoid head; 8 kHz: the 8k branch and the tanh head; 44.1 kHz: the 8k branch and the sigmoid head):
 * - on the reference, which runs the Ifs;
 * - compiled for every target as given, the rate read at run time: each If runs both branches and selects
 *   (passes/select-if.ts), the LSTMs lowered onto each target's GEMM kernels; one artifact for every rate;
 * - compiled with the rate bound (`--bind sr=...`): the Ifs fold away at compile time, the artifact has no `sr`
 *   input and no trace of the other branch.
 */

const RATES = [16000, 8000, 44100];
const TOLERANCE = 1e-5;

const dir = mkdtempSync(join(tmpdir(), 'edgec-vad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'vad.onnx');
writeFileSync(path, vadModel());

const audio = makeTensor('f32', [1, 16], vadAudio());
const feedsAt = (rate: number): Record<string, Tensor> => ({ audio, sr: makeTensor('i64', [], [BigInt(rate)]) });

const expected = new Map<number, Promise<Record<string, Tensor>>>();
const ortAt = (rate: number) => {
  if (!expected.has(rate)) expected.set(rate, ortSession(path).then((s) => runOrt(s, feedsAt(rate))));
  return expected.get(rate)!;
};

const countOps = (graph: Graph, op: string) => graph.nodes.filter((n) => n.op === op).length;

describe('a voice-activity model with nested If around LSTM layers and a sample-rate input', () => {
  it('onnxruntime-node gives a different probability at each rate (the branches and heads differ)', async () => {
    const values = await Promise.all(RATES.map(async (r) => Number((await ortAt(r)).probability!.data[0])));
    expect(new Set(values.map((v) => v.toFixed(6))).size).toBe(RATES.length);
  });

  it('runs on the reference, Ifs and all', async () => {
    const graph = importOnnxFile(path);
    expect(countOps(graph, 'If')).toBe(1);
    for (const rate of RATES) expect(relativeError(runGraph(graph, feedsAt(rate)), await ortAt(rate))).toBeLessThanOrEqual(TOLERANCE);
  });

  for (const entry of targetEntries()) {
    const name = entry.target.name;
    const vlens = name === 'rvv' ? VLENS : [VLENS[0]!];

    it(`on ${name}, the rate read at run time: both branches and a select, one artifact for every rate`, async (ctx) => {
      const missing = await entry.missing();
      if (missing) {
        if (process.env.CI) expect.fail(missing);
        console.warn(`skipping the VAD model on ${name}: ${missing}`);
        return ctx.skip();
      }
      const { artifact, graph } = compileGraph(importOnnxFile(path), { target: name, print: () => {} });
      expect(countOps(graph, 'If')).toBe(0);
      expect(graph.inputs.map((v) => v.name)).toEqual(['audio', 'sr']);
      for (const vlen of vlens) {
        const session = await entry.session({ vlen });
        try {
          const model = await session.open(artifact.bytes, { graph });
          try {
            for (const rate of RATES) {
              const error = relativeError(await model.run(feedsAt(rate)), await ortAt(rate));
              console.log(`VAD on ${session.label}, sr ${rate} at run time: relative error ${error.toExponential(2)}`);
              expect(error).toBeLessThanOrEqual(TOLERANCE);
            }
          } finally {
            model.close();
          }
        } finally {
          session.close();
        }
      }
    });

    it(`on ${name}, the rate bound at compile time: the Ifs fold away`, async (ctx) => {
      const missing = await entry.missing();
      if (missing) {
        if (process.env.CI) expect.fail(missing);
        return ctx.skip();
      }
      const session = await entry.session({ vlen: vlens[vlens.length - 1]! });
      try {
        for (const rate of [16000, 8000]) {
          const { artifact, graph } = compileGraph(importOnnxFile(path, { bind: { sr: rate } }), { target: name, print: () => {} });
          expect(graph.inputs.map((v) => v.name)).toEqual(['audio']);
          // One branch's work only: no select was needed.
          expect(countOps(graph, 'If') + countOps(graph, 'Where')).toBe(0);
          const model = await session.open(artifact.bytes, { graph });
          try {
            const error = relativeError(await model.run({ audio }), await ortAt(rate));
            console.log(`VAD on ${session.label}, sr ${rate} bound: relative error ${error.toExponential(2)}`);
            expect(error).toBeLessThanOrEqual(TOLERANCE);
          } finally {
            model.close();
          }
        }
      } finally {
        session.close();
      }
    });
  }
});
