import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Attributes, type Graph } from '../../ir/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference } from './harness.js';

function resizeGraph(shape: number[], how: { scales?: number[]; sizes?: number[]; roi?: number[] }, attrs: Attributes): () => Graph {
  return () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape });
    const roi = how.roi ? b.constant('roi', makeTensor('f32', [how.roi.length], how.roi)) : null;
    const scales = how.scales ? b.constant('scales', makeTensor('f32', [how.scales.length], how.scales)) : null;
    const sizes = how.sizes ? b.constant('sizes', makeTensor('i64', [how.sizes.length], how.sizes)) : null;
    b.output(b.op('Resize', [x, roi, scales, sizes], attrs, 'y'));
    return b.build();
  };
}

const COORDINATE_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
const RESIZES: { scales?: number[]; sizes?: number[] }[] = [
  { scales: [1, 1, 2, 2] },
  { scales: [1, 1, 0.5, 0.5] },
  { scales: [1, 1, 1.7, 0.6] },
  { sizes: [2, 3, 11, 5] },
  { sizes: [2, 3, 1, 9] },
];

describe('wasm Resize', () => {
  for (const mode of ['nearest', 'linear']) {
    it(`${mode}: every coordinate transformation, scales and sizes, up and down`, async () => {
      for (const ctm of COORDINATE_MODES) {
        for (const how of RESIZES) await expectWasmMatchesReference(resizeGraph([2, 3, 6, 7], how, { mode, coordinate_transformation_mode: ctm }));
      }
    });
  }

  it('nearest: every nearest_mode', async () => {
    for (const nearest_mode of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
      for (const how of RESIZES) {
        await expectWasmMatchesReference(resizeGraph([2, 3, 5, 9], how, { mode: 'nearest', nearest_mode, coordinate_transformation_mode: 'asymmetric' }), { tolerance: 0 });
      }
    }
  });

  it('2x nearest upsampling (YOLO/U-Net style) is exact, including odd widths', async () => {
    for (const shape of [[1, 8, 13, 13], [1, 3, 4, 17]]) {
      await expectWasmMatchesReference(resizeGraph(shape, { scales: [1, 1, 2, 2] }, { mode: 'nearest' }), { tolerance: 0 });
    }
  });

  it('cubic, antialias and exclude_outside (same tap tables)', async () => {
    await expectWasmMatchesReference(resizeGraph([1, 2, 8, 9], { scales: [1, 1, 1.5, 2] }, { mode: 'cubic' }));
    await expectWasmMatchesReference(resizeGraph([1, 2, 8, 9], { scales: [1, 1, 0.6, 0.5] }, { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: -0.5 }));
    await expectWasmMatchesReference(resizeGraph([1, 2, 12, 16], { scales: [1, 1, 0.5, 0.4] }, { mode: 'linear', antialias: 1 }));
  });

  it('tf_crop_and_resize with extrapolation outside the roi', async () => {
    await expectWasmMatchesReference(
      resizeGraph([1, 2, 6, 8], { sizes: [1, 2, 5, 7], roi: [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3] }, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 3.5 }),
    );
  });

  it('axes attribute and keep_aspect_ratio_policy', async () => {
    await expectWasmMatchesReference(resizeGraph([1, 2, 6, 8], { sizes: [9, 10] }, { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }));
    await expectWasmMatchesReference(resizeGraph([1, 2, 6, 8], { scales: [3] }, { mode: 'nearest', axes: [-1] }));
  });

  it('check() rejects non-4-D, non-f32, channel resizing and non-constant scales with reasons', () => {
    const b = new GraphBuilder('g');
    const x3 = b.input('x3', { dtype: 'f32', shape: [1, 2, 6] });
    b.output(b.op('Resize', [x3, null, b.constant('s3', makeTensor('f32', [3], [1, 1, 2])), null], {}, 'y3'));
    const xc = b.input('xc', { dtype: 'f32', shape: [1, 2, 6, 6] });
    b.output(b.op('Resize', [xc, null, b.constant('sc', makeTensor('f32', [4], [1, 2, 1, 1])), null], {}, 'yc'));
    const xs = b.input('xs', { dtype: 'f32', shape: [1, 2, 6, 6] });
    const s = b.input('s', { dtype: 'f32', shape: [4] });
    const node = b.node('Resize', [xs, null, s, null], {}, { outputNames: ['ys'] });
    b.output(node[0]!);
    expect(unsupportedByWasm(b.build()).map((p) => p.reason)).toEqual([
      'Resize of a rank-3 tensor is not supported (4-D NCHW)',
      'resizing the channel axis is not supported (only H and W)',
      'scales/sizes must be constants',
    ]);
  });
});
