import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../compiler/driver.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { exportOnnx } from '../../compiler/onnx/export.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { targetEntries } from '../../compiler/targets/registry.js';
import { GraphBuilder, makeTensor, type Tensor, type Value } from '../../ir/index.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { ortSession, runOrt } from '../support/ort.js';
import { seededNumbers } from '../support/seeded-random.js';
import { relativeError } from '../wasm/harness.js';

/**
 * A small text detector in the shape of DBNet / EAST heads, written as ONNX with seeded weights and run on every
 * target against onnxruntime-node: a stride-2 stem and a stride-2 conv (1/4 resolution), a ConvTranspose back to
 * 1/2, a bilinear Resize (linear, half_pixel, scales 2) to full resolution, a Concat with the input image as the
 * skip, and a 3x3 conv with a sigmoid for the per-pixel text probability.
 *
 *   x[1,3,64,64] -Conv s2-Relu-> [1,8,32,32] -Conv s2-Relu-> [1,16,16,16] -ConvTranspose s2-> [1,8,32,32]
 *     -Resize x2-> [1,8,64,64] -Concat(x)-> [1,11,64,64] -Conv-Sigmoid-> [1,1,64,64]
 *
 * A second variant upsamples with a nearest Resize and a 3x3 conv instead of the ConvTranspose (the
 * nearest-then-conv decoders of other detectors).
 */

type Upsampling = 'conv-transpose' | 'nearest-resize-conv';

function detector(upsampling: Upsampling): GraphBuilder {
  const b = new GraphBuilder(`text_detector_${upsampling.replace(/-/g, '_')}`);
  const random = seededNumbers(upsampling === 'conv-transpose' ? 7 : 11);
  const weights = (name: string, shape: number[], fanIn: number) => {
    const bound = Math.sqrt(3 / fanIn);
    return b.constant(name, makeTensor('f32', shape, random.floats(shape.reduce((a, c) => a * c, 1), -bound, bound)));
  };
  const bias = (name: string, n: number) => b.constant(name, makeTensor('f32', [n], random.floats(n, -0.1, 0.1)));
  const conv = (name: string, x: Value, cin: number, cout: number, strides: number[]) =>
    b.op('Conv', [x, weights(`${name}_w`, [cout, cin, 3, 3], cin * 9), bias(`${name}_b`, cout)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides }, name);
  const resize = (name: string, x: Value, mode: string) =>
    b.op('Resize', [x, null, b.constant(`${name}_scales`, makeTensor('f32', [4], [1, 1, 2, 2])), null], { mode, coordinate_transformation_mode: 'half_pixel' }, name);

  const x = b.input('image', { dtype: 'f32', shape: [1, 3, 64, 64] });
  const stem = b.op('Relu', [conv('stem', x, 3, 8, [2, 2])], {}, 'stem_relu');
  const down = b.op('Relu', [conv('down', stem, 8, 16, [2, 2])], {}, 'down_relu');
  const up =
    upsampling === 'conv-transpose'
      ? b.op('ConvTranspose', [down, weights('up_w', [16, 8, 2, 2], 16), bias('up_b', 8)], { kernel_shape: [2, 2], strides: [2, 2] }, 'up')
      : conv('up', resize('up_nearest', down, 'nearest'), 16, 8, [1, 1]);
  const full = resize('full', up, 'linear');
  const joined = b.op('Concat', [full, x], { axis: 1 }, 'joined');
  b.output(b.op('Sigmoid', [conv('head', joined, 11, 1, [1, 1])], {}, 'probability'));
  return b;
}

const dir = mkdtempSync(join(tmpdir(), 'edgec-text-detector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a text detector with ConvTranspose and Resize matches onnxruntime-node on every target', () => {
  for (const upsampling of ['conv-transpose', 'nearest-resize-conv'] as const) {
    const path = join(dir, `${upsampling}.onnx`);
    writeFileSync(path, exportOnnx(detector(upsampling).build()));
    let expected: Promise<{ feeds: Record<string, Tensor>; outputs: Record<string, Tensor> }> | undefined;
    const oracle = () =>
      (expected ??= (async () => {
        const { feeds } = prepareFeeds(importOnnxFile(path), {}, 3);
        return { feeds, outputs: await runOrt(await ortSession(path), feeds) };
      })());

    for (const entry of targetEntries()) {
      const name = entry.target.name;
      it(`${upsampling} on ${name}`, async (ctx) => {
        const missing = await entry.missing();
        if (missing) {
          if (process.env.CI) expect.fail(missing);
          console.warn(`skipping the text detector on ${name}: ${missing}`);
          return ctx.skip();
        }
        const { feeds, outputs: theirs } = await oracle();
        // A map that says something: probabilities spread out, not one saturated value.
        const probabilities = Array.from(theirs.probability!.data as Float32Array);
        expect(Math.max(...probabilities) - Math.min(...probabilities)).toBeGreaterThan(0.2);
        const { artifact, graph } = compileGraph(importOnnxFile(path), { target: name, print: () => {} });
        for (const vlen of name === 'rvv' ? VLENS : [VLENS[0]!]) {
          const session = await entry.session({ vlen });
          try {
            const model = await session.open(artifact.bytes, { graph });
            const ours = await model.run(feeds);
            model.close();
            expect(ours.probability!.shape).toEqual(theirs.probability!.shape);
            const error = relativeError(ours, theirs);
            console.log(`text detector (${upsampling}) on ${session.label}: max |ours - onnxruntime| / max |onnxruntime| = ${error.toExponential(2)}`);
            expect(error).toBeLessThanOrEqual(1e-4);
          } finally {
            session.close();
          }
        }
      }, 300_000);
    }
  }
});
