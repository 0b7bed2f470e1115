import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareFeeds } from '../../compiler/feeds.js';
import { exportOnnx } from '../../compiler/onnx/export.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { GraphBuilder, type Graph } from '../../ir/index.js';
import { randomTensor, seededRandom } from '../../compiler/io/random.js';
import { TARGETS } from '../../targets/index.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { buildForRvv, missingRvvTools, runBuild } from '../rvv/harness.js';
import { ortSession, runOrt } from '../support/ort.js';
import { relativeError as relative, runOnWasm } from '../wasm/harness.js';
import { gpuProblem, runOnWebGpu } from '../webgpu/harness.js';

/**
 * Small image models in the shape of the ONNX model zoo's use of these ops, written to ONNX files and compiled
 * from them per target with the target's standard pipeline, each target's outputs held to onnxruntime-node's:
 * - AlexNet / Inception-v1 style: Conv -> Relu -> LRN -> MaxPool;
 * - a decoder (U-Net, text detectors): Conv -> Relu -> ConvTranspose (stride 2, pads, output_padding) -> Relu
 *   -> ConvTranspose (grouped, 2x2 stride 2).
 */

function alexNetBlock(): Graph {
  const b = new GraphBuilder('alexnet_block');
  const random = seededRandom(3);
  const x = b.input('image', { dtype: 'f32', shape: [1, 3, 23, 23] });
  const conv = b.op('Conv', [x, b.constant('w', randomTensor('f32', [16, 3, 5, 5], random)), b.constant('b', randomTensor('f32', [16], random))], { strides: [2, 2], pads: [2, 2, 2, 2] }, 'conv');
  const relu = b.op('Relu', [conv], {}, 'relu');
  // AlexNet's alpha is 1e-4 on activations of hundreds; 0.05 makes the normalization matter at this scale.
  const lrn = b.op('LRN', [relu], { size: 5, alpha: 0.05, beta: 0.75, bias: 1 }, 'lrn');
  b.output(b.op('MaxPool', [lrn], { kernel_shape: [3, 3], strides: [2, 2] }, 'pool'));
  return b.build();
}

function decoder(): Graph {
  const b = new GraphBuilder('decoder');
  const random = seededRandom(5);
  const weights = (name: string, shape: number[]) => b.constant(name, randomTensor('f32', shape, random));
  const x = b.input('features', { dtype: 'f32', shape: [1, 4, 9, 9] });
  const conv = b.op('Relu', [b.op('Conv', [x, weights('w0', [8, 4, 3, 3]), weights('b0', [8])], { pads: [1, 1, 1, 1] }, 'conv')], {}, 'relu0');
  const up = b.op('ConvTranspose', [conv, weights('w1', [8, 6, 3, 3]), weights('b1', [6])], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, 'up1');
  const relu = b.op('Relu', [up], {}, 'relu1');
  b.output(b.op('ConvTranspose', [relu, weights('w2', [6, 2, 2, 2]), weights('b2', [6])], { strides: [2, 2], group: 3 }, 'up2'));
  return b.build();
}

const dir = mkdtempSync(join(tmpdir(), 'edgec-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The model as an ONNX file, onnxruntime-node's outputs for seeded inputs, and a fresh import per use. */
async function prepare(build: () => Graph) {
  const path = join(dir, `${build.name}.onnx`);
  writeFileSync(path, exportOnnx(build()));
  const load = () => importOnnxFile(path);
  const { feeds } = prepareFeeds(load(), {}, 11);
  const expected = await runOrt(await ortSession(path), feeds);
  return { load, feeds, expected };
}

const pipelineOf = (target: string) => TARGETS.get(target)!.pipeline(2);

for (const build of [alexNetBlock, decoder]) {
  describe(`${build.name} compiled from ONNX matches onnxruntime-node`, () => {
    const ready = prepare(build);

    it('on wasm', async () => {
      const { load, feeds, expected } = await ready;
      const { outputs } = await runOnWasm(load(), feeds, { pipeline: pipelineOf('wasm') });
      expect(relative(outputs, expected)).toBeLessThanOrEqual(1e-5);
    });

    it.skipIf(!!gpuProblem && !process.env.CI)('on webgpu', async () => {
      const { load, feeds, expected } = await ready;
      const { outputs } = await runOnWebGpu(load(), feeds, { pipeline: pipelineOf('webgpu') });
      expect(relative(outputs, expected)).toBeLessThanOrEqual(1e-4);
    });

    it.skipIf(missingRvvTools().length > 0 && !process.env.CI)('on rvv at every VLEN', async () => {
      const { load, feeds, expected } = await ready;
      const build = buildForRvv(load(), pipelineOf('rvv'));
      for (const vlen of VLENS) expect(relative(runBuild(build, feeds, vlen).outputs, expected), `VLEN ${vlen}`).toBeLessThanOrEqual(1e-4);
    });
  });
}
