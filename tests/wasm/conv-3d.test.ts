import { describe, expect, it } from 'vitest';
import { conv3dGeometry, conv3dScratchBytes, type Conv3dGeometry } from '../../targets/wasm/kernels/conv/conv-3d.js';
import { caseGraph } from '../kernels/case.js';
import { conv } from '../kernels/cases/conv.js';
import { expectWasmMatchesReference } from './harness.js';

// wasm's 3-D convolution strategy: im2col in bands of output depth. (3-D convolution shapes on every target:
// tests/kernels/conv.test.ts.)
describe('wasm 3-D Conv', () => {
  it('splits the output depth into bands when the im2col buffer would be large', async () => {
    const c = conv('3-D banded', [1, 16, 12, 16, 16], [8, 16, 3, 3, 3], { attrs: { pads: [1, 1, 1, 1, 1, 1] }, bias: true });
    const g = conv3dGeometry(caseGraph(c).nodes[0]!) as Conv3dGeometry;
    // One band would hold all 12 planes: 432 rows x 12·256 columns x 4 bytes.
    expect(conv3dScratchBytes(g)).toBeLessThan(432 * 12 * 256 * 4);
    await expectWasmMatchesReference(() => caseGraph(c), { tolerance: 1e-5 });
  });
});
