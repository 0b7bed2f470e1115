import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Attributes, type Graph } from '../../ir/index.js';
import { compileWasm, unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference } from './harness.js';

/** Deterministic weights in [-1, 1). */
function weights(shape: number[], seed: number): ReturnType<typeof makeTensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed;
  return makeTensor('f32', shape, Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  }));
}

interface Case {
  name: string;
  x: number[];
  /** W's shape: [C, M/group, k...]. */
  w: number[];
  attrs?: Attributes;
  bias?: boolean;
  runtimeWeights?: boolean;
}

function convTransposeGraph(c: Case): () => Graph {
  return () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: c.x });
    const w = c.runtimeWeights ? b.input('w', { dtype: 'f32', shape: c.w }) : b.constant('w', weights(c.w, 7));
    const group = (c.attrs?.group as number | undefined) ?? 1;
    const bias = c.bias ? b.constant('b', weights([c.w[1]! * group], 11)) : null;
    b.output(b.op('ConvTranspose', [x, w, bias], c.attrs ?? {}, 'y'));
    return b.build();
  };
}

const CASES: Case[] = [
  { name: '3x3 stride 1', x: [1, 3, 5, 6], w: [3, 4, 3, 3] },
  { name: '4x4 stride 2 pads 1 (DCGAN-style) with bias', x: [2, 8, 4, 4], w: [8, 5, 4, 4], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, bias: true },
  { name: '3x3 stride 2 pads 1 output_padding 1', x: [1, 4, 5, 5], w: [4, 6, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, bias: true },
  { name: 'asymmetric strides, pads and kernel', x: [1, 5, 3, 7], w: [5, 3, 2, 3], attrs: { strides: [3, 2], pads: [0, 2, 1, 0] } },
  { name: 'dilations 2', x: [1, 2, 4, 5], w: [2, 3, 3, 3], attrs: { dilations: [2, 2], pads: [1, 0, 2, 1] }, bias: true },
  { name: 'group 2', x: [1, 6, 4, 4], w: [6, 2, 3, 3], attrs: { group: 2, strides: [2, 2] }, bias: true },
  { name: 'depthwise (group = C)', x: [2, 4, 5, 5], w: [4, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] } },
  { name: '1x1 kernel, stride 1', x: [1, 16, 6, 6], w: [16, 9, 1, 1] },
  { name: '2x2 stride 2 (U-Net upsampling), many channels', x: [1, 32, 8, 8], w: [32, 16, 2, 2], attrs: { strides: [2, 2] }, bias: true },
  { name: 'output_shape with SAME_UPPER', x: [1, 3, 4, 4], w: [3, 2, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } },
  { name: 'explicit output_shape', x: [1, 2, 3, 3], w: [2, 2, 3, 3], attrs: { strides: [2, 2], output_shape: [8, 8] } },
  { name: '1-D', x: [2, 3, 10], w: [3, 4, 5], attrs: { strides: [2], pads: [1, 2] }, bias: true },
  { name: 'run-time weights', x: [1, 3, 4, 5], w: [3, 5, 3, 3], attrs: { strides: [2, 1] }, runtimeWeights: true },
  { name: 'large channel block split in scratch', x: [1, 8, 24, 24], w: [8, 64, 4, 4], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, bias: true },
];

describe('wasm ConvTranspose', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await expectWasmMatchesReference(convTransposeGraph(c), { tolerance: 1e-5 });
    });
  }

  it('shares code between identical layers and uses bounded scratch', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', { dtype: 'f32', shape: [1, 4, 6, 6] });
      const y = b.op('ConvTranspose', [x, b.constant('w1', weights([4, 4, 3, 3], 1))], { pads: [1, 1, 1, 1] });
      const z = b.op('ConvTranspose', [y, b.constant('w2', weights([4, 4, 3, 3], 2))], { pads: [1, 1, 1, 1] });
      b.output(z);
      return b.build();
    };
    const { artifact } = await expectWasmMatchesReference(build, { tolerance: 1e-5 });
    expect(artifact.functions).toBe(1);
    expect(artifact.layout.scratchBytes).toBeLessThanOrEqual(256 * 1024);
  });

  it('rejects non-f32 and 4-D convolutions with reasons', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [1, 2, 3, 3, 3, 3] });
    b.output(b.op('ConvTranspose', [x, b.constant('w', weights([2, 2, 2, 2, 2, 2], 3))], {}, 'y'));
    expect(unsupportedByWasm(b.build()).map((p) => p.reason)).toEqual(['ConvTranspose with 4 spatial dims is not supported (1 to 3)']);
    const b2 = new GraphBuilder('g');
    const x2 = b2.input('x', { dtype: 'f64', shape: [1, 2, 3, 3] });
    b2.output(b2.op('ConvTranspose', [x2, b2.constant('w', makeTensor('f64', [2, 2, 2, 2]))], {}, 'y'));
    expect(unsupportedByWasm(b2.build())[0]!.reason).toBe('ConvTranspose on f64 is not supported (f32 only)');
    expect(compileWasm).toBeDefined();
  });
});
