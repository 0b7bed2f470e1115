import { makeTensor, type Attributes } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';

/** Resize: nearest / linear / cubic, every coordinate transformation and nearest_mode, scales and sizes, roi, axes. */

interface How {
  scales?: number[];
  sizes?: number[];
  roi?: number[];
}

function resize(name: string, shape: number[], how: How, attrs: Attributes, options: Partial<KernelCase> = {}): KernelCase {
  return {
    name,
    ...options,
    build: (b) => {
      const roi = how.roi ? b.constant('roi', makeTensor('f32', [how.roi.length], how.roi)) : null;
      const scales = how.scales ? b.constant('scales', makeTensor('f32', [how.scales.length], how.scales)) : null;
      const sizes = how.sizes ? b.i64('sizes', how.sizes) : null;
      b.output(b.op('Resize', [b.input('x', shape), roi, scales, sizes], attrs, 'y'));
    },
  };
}

const COORDINATE_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
const RESIZES: How[] = [{ scales: [1, 1, 2, 2] }, { scales: [1, 1, 0.5, 0.5] }, { scales: [1, 1, 1.7, 0.6] }, { sizes: [2, 3, 11, 5] }, { sizes: [2, 3, 1, 9] }];
const howName = (how: How) => (how.scales ? `scales [${how.scales}]` : `sizes [${how.sizes}]`);

export const RESIZE = family('resize', [
  ...['nearest', 'linear'].flatMap((mode) =>
    COORDINATE_MODES.flatMap((ctm) => RESIZES.map((how) => resize(`${mode} ${ctm} ${howName(how)}`, [2, 3, 6, 7], how, { mode, coordinate_transformation_mode: ctm })))),
  ...['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'].flatMap((nearest_mode) =>
    RESIZES.map((how) => resize(`nearest ${nearest_mode} asymmetric ${howName(how)}`, [2, 3, 5, 9], how, { mode: 'nearest', nearest_mode, coordinate_transformation_mode: 'asymmetric' }, { tolerance: { wasm: 0 } }))),
  // 2x nearest upsampling (YOLO/U-Net style) is exact, odd widths included.
  ...[[1, 8, 13, 13], [1, 3, 4, 17]].map((shape) => resize(`nearest 2x [${shape}]`, shape, { scales: [1, 1, 2, 2] }, { mode: 'nearest' }, { tolerance: { wasm: 0 } })),
  resize('cubic up', [1, 2, 8, 9], { scales: [1, 1, 1.5, 2] }, { mode: 'cubic' }),
  resize('cubic down exclude_outside', [1, 2, 8, 9], { scales: [1, 1, 0.6, 0.5] }, { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: -0.5 }),
  resize('linear antialias down', [1, 2, 12, 16], { scales: [1, 1, 0.5, 0.4] }, { mode: 'linear', antialias: 1 }),
  resize('tf_crop_and_resize extrapolation', [1, 2, 6, 8], { sizes: [1, 2, 5, 7], roi: [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3] }, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 3.5 }),
  resize('linear axes keep_aspect_ratio_policy not_larger', [1, 2, 6, 8], { sizes: [9, 10] }, { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }),
  resize('nearest axes [-1]', [1, 2, 6, 8], { scales: [3] }, { mode: 'nearest', axes: [-1] }),
  // Cubic under every coordinate transformation, up and down.
  ...COORDINATE_MODES.flatMap((ctm) =>
    [{ scales: [1, 1, 1.5, 2] }, { scales: [1, 1, 0.6, 0.5] }].map((how) => resize(`cubic ${ctm} ${howName(how)}`, [1, 2, 8, 9], how, { mode: 'cubic', coordinate_transformation_mode: ctm }))),
  resize('cubic align_corners exclude_outside a=-0.5', [1, 2, 7, 9], { sizes: [1, 2, 11, 4] }, { mode: 'cubic', coordinate_transformation_mode: 'align_corners', exclude_outside: 1, cubic_coeff_a: -0.5 }),
  resize('linear exclude_outside', [1, 2, 6, 7], { scales: [1, 1, 1.5, 2] }, { mode: 'linear', exclude_outside: 1 }),
  resize('cubic antialias down', [1, 2, 12, 16], { scales: [1, 1, 0.4, 0.55] }, { mode: 'cubic', antialias: 1 }),
  resize('linear antialias down H up W', [1, 2, 12, 6], { scales: [1, 1, 0.3, 1.5] }, { mode: 'linear', antialias: 1 }),
  // tf_crop_and_resize: every mode, scales as well as sizes, a roi reaching past both ends.
  ...['nearest', 'linear', 'cubic'].map((mode) =>
    resize(`tf_crop_and_resize ${mode} scales`, [1, 3, 7, 9], { scales: [1, 1, 1.3, 0.8], roi: [0, 0, -0.3, 0.2, 1, 1, 1.2, 0.7] }, { mode, coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: -2 })),
  resize('tf_crop_and_resize axes [3,2]', [1, 2, 6, 8], { sizes: [5, 4], roi: [0.1, -0.5, 1.4, 0.9] }, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', axes: [3, 2] }),
  resize('linear axes keep_aspect_ratio_policy not_smaller', [1, 2, 6, 8], { sizes: [9, 10] }, { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }),
  resize('nearest axes keep_aspect_ratio_policy not_smaller', [1, 2, 6, 8], { sizes: [4, 20] }, { mode: 'nearest', axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }),
  // PyTorch's export: pytorch_half_pixel with batch 1 maps the batch index to -0.5, whose taps all read index 0.
  ...['linear', 'cubic'].map((mode) => resize(`${mode} pytorch_half_pixel batch 1`, [1, 3, 5, 6], { scales: [1, 1, 2, 2] }, { mode, coordinate_transformation_mode: 'pytorch_half_pixel' })),
  resize('linear axes [2] (H only)', [2, 2, 5, 6], { scales: [2.5] }, { mode: 'linear', axes: [2] }),
  // Rows longer than one vector at every VLEN (LMUL 4: 64 f32 lanes at VLEN 512).
  resize('linear half_pixel 2x wide', [1, 4, 9, 75], { scales: [1, 1, 2, 2] }, { mode: 'linear' }),
  resize('nearest 2x wide', [1, 2, 5, 83], { scales: [1, 1, 2, 2] }, { mode: 'nearest' }, { tolerance: { wasm: 0, rvv: 0, webgpu: 0 } }),
  // N and C resized too (a second, separable step over whole planes).
  resize('linear every axis', [2, 4, 5, 6], { scales: [2, 0.75, 1.6, 0.5] }, { mode: 'linear' }),
  resize('linear pytorch_half_pixel sizes batch down', [3, 2, 4, 4], { sizes: [1, 3, 3, 2] }, { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }),
  resize('nearest channels only', [1, 3, 4, 5], { scales: [1, 2, 1, 1] }, { mode: 'nearest' }, { tolerance: { wasm: 0 } }),
  resize('tf_crop_and_resize channel outside the roi', [1, 3, 4, 5], { sizes: [1, 4, 3, 5], roi: [0, -0.5, 0, 0, 1, 1.2, 1, 1] }, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: -2 }),
]);
