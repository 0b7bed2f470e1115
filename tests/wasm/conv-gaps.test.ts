import { describe, expect, it } from 'vitest';
import { randomTensor, seededRandom } from '../../compiler/io/random.js';
import { GraphBuilder, type Attributes, type Graph } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { conv3dGeometry, conv3dScratchBytes, type Conv3dGeometry } from '../../targets/wasm/kernels/conv-3d.js';
import { expectWasmMatchesReference } from './harness.js';

interface Conv3dCase {
  x: number[];
  w: number[];
  attrs?: Attributes;
  bias?: boolean;
  z?: boolean;
  activation?: string;
  wInput?: boolean;
}

function conv3dGraph(c: Conv3dCase): () => Graph {
  return () => {
    const random = seededRandom(11);
    const b = new GraphBuilder('conv3d');
    const x = b.input('x', { dtype: 'f32', shape: c.x });
    const w = c.wInput ? b.input('w', { dtype: 'f32', shape: c.w }) : b.constant('w', randomTensor('f32', c.w, random));
    const bias = c.bias ? b.constant('bias', randomTensor('f32', [c.w[0]!], random)) : null;
    if (!c.z && !c.activation) {
      b.output(b.op('Conv', [x, w, bias], c.attrs ?? {}, 'y'));
      return b.build();
    }
    let z = null;
    if (c.z) {
      const probe = new GraphBuilder('probe');
      const shape = probe.op('Conv', [probe.input('x', { dtype: 'f32', shape: c.x }), probe.input('w', { dtype: 'f32', shape: c.w }), null], c.attrs ?? {}, 'y').type.shape as number[];
      z = b.input('z', { dtype: 'f32', shape });
    }
    b.output(b.op('FusedConv', [x, w, bias, z], { ...(c.attrs ?? {}), activation: c.activation ?? 'None', activation_params: [] }, 'y'));
    return b.build();
  };
}

const CASES: [string, Conv3dCase][] = [
  ['plain 3x3x3', { x: [1, 2, 5, 6, 7], w: [4, 2, 3, 3, 3] }],
  ['padded with bias', { x: [2, 3, 4, 5, 6], w: [5, 3, 3, 3, 3], attrs: { pads: [1, 1, 1, 1, 1, 1] }, bias: true }],
  ['strided, asymmetric pads', { x: [1, 2, 7, 6, 9], w: [3, 2, 2, 3, 3], attrs: { strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 2] } }],
  ['dilated', { x: [1, 2, 7, 7, 7], w: [2, 2, 3, 2, 3], attrs: { dilations: [2, 3, 1], pads: [0, 1, 1, 1, 0, 1] } }],
  ['grouped', { x: [1, 4, 4, 5, 6], w: [6, 2, 2, 2, 3], attrs: { group: 2, pads: [1, 1, 1, 0, 0, 0] }, bias: true }],
  ['1x1x1 with SAME_UPPER stride', { x: [1, 3, 5, 5, 5], w: [4, 3, 1, 1, 1], attrs: { strides: [2, 2, 2], auto_pad: 'SAME_UPPER' } }],
  ['weights fed at run time', { x: [1, 2, 4, 4, 4], w: [3, 2, 2, 2, 2], wInput: true, bias: true }],
  ['FusedConv with residual and Relu', { x: [1, 2, 4, 5, 6], w: [3, 2, 3, 3, 3], attrs: { pads: [1, 1, 1, 1, 1, 1] }, bias: true, z: true, activation: 'Relu' }],
];

describe('wasm 3-D Conv', () => {
  for (const [name, c] of CASES) {
    it(`${name}: matches the reference`, async () => {
      expect(unsupportedByWasm(conv3dGraph(c)())).toEqual([]);
      await expectWasmMatchesReference(conv3dGraph(c), { tolerance: 1e-5 });
    });
  }

  it('splits the output depth into bands when the im2col buffer would be large', async () => {
    const c: Conv3dCase = { x: [1, 16, 12, 16, 16], w: [8, 16, 3, 3, 3], attrs: { pads: [1, 1, 1, 1, 1, 1] }, bias: true };
    const g = conv3dGeometry(conv3dGraph(c)().nodes[0]!) as Conv3dGeometry;
    // One band would hold all 12 planes: 432 rows x 12·256 columns x 4 bytes.
    expect(conv3dScratchBytes(g)).toBeLessThan(432 * 12 * 256 * 4);
    await expectWasmMatchesReference(conv3dGraph(c), { tolerance: 1e-5 });
  });
});
