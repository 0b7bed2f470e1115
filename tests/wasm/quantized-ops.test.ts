import { describe, expect, it } from 'vitest';
import { dtypeRange, GraphBuilder, makeTensor, type Attributes, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { unsupportedByWasm } from '../../targets/wasm/index.js';
import { int8Tensor, seededNumbers } from '../support/seeded-random.js';
import { DEFAULT_WASM_OPTIONS, type WasmOptions } from '../../targets/wasm/kernel.js';
import { qconvKernelOf } from '../../targets/wasm/kernels/quantized/quantized.js';
import { qAddCase, qGlobalAveragePoolCase, quantizeChainCase } from '../support/quantized-cases.js';
import { runOnWasm } from './harness.js';
import { chooseRequantizer, highWordTable, requantTable, signedTable } from '../../targets/wasm/kernels/quantized/conv-requantize.js';
import { qOutputOf } from '../../targets/wasm/kernels/quantized/numeric.js';
import { packRowsI8 } from '../../targets/wasm/kernels/quantized/dot.js';

const R = seededNumbers(11);
const ints = (d: DType, shape: number[]) => int8Tensor(R, d, shape);

/** Runs the graph on the reference and on wasm with the same feeds and requires identical outputs (tolerance 0). */
async function expectExact(build: () => Graph, feeds: Record<string, Tensor>, wasm: Partial<WasmOptions> = {}): Promise<void> {
  expect(unsupportedByWasm(build()).map((p) => p.reason)).toEqual([]);
  const expected = runGraph(build(), feeds);
  const { outputs } = await runOnWasm(build(), feeds, { wasm });
  for (const [name, e] of Object.entries(expected)) {
    expect(outputs[name]!.dtype).toBe(e.dtype);
    expect(outputs[name]!.shape).toEqual(e.shape);
    expect(Array.from(outputs[name]!.data as ArrayLike<number>), name).toEqual(Array.from(e.data as ArrayLike<number>));
  }
}

interface ConvCase {
  name: string;
  x: [DType, number[]];
  w: [DType, number[]];
  attrs: Attributes;
  bias: boolean;
  /** per-channel, per-tensor or no multiplier (i32 output). */
  requant: 'channel' | 'tensor' | 'none';
  /**
   * Shifts 16 and 62 on the first two channels (multipliers above 1 take the general 64-bit-clamp path of the
   * lane kernels), or only typical shifts (real multipliers below 1: the signed form), shifts 36-37 (one
   * shift for all channels), typical ones with the last channel 9 apart (per-channel shifts), or 31
   * (multipliers in [0.5, 1): the window table).
   */
  shifts?: 'extreme' | 'typical' | 'close' | 'spread' | 'half';
  /** The requantization form the case must get (chooseRequantizer's key). */
  form?: RegExp;
  /** Target options, e.g. Winograd off so a 3x3 stride-1 case runs the lanes kernel's implicit GEMM. */
  wasm?: Partial<WasmOptions>;
  /** The kernel the case must get (checked before running it). */
  kernel?: ReturnType<typeof qconvKernelOf>;
  /** Weights drawn from this range instead of the dtype's. */
  wRange?: [number, number];
}

const convCases: ConvCase[] = [
  { name: 'u8 x i8 3x3 pad 1, bias, per-channel, relu clamp', x: ['u8', [1, 5, 9, 9]], w: ['i8', [7, 5, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 131, y_zero_point: 3, dtype: 'u8', act_min: 3 }, bias: true, requant: 'channel' },
  { name: 'i8 grouped, stride 2, dilation 2, per-tensor, i8 out', x: ['i8', [2, 4, 11, 10]], w: ['i8', [6, 2, 3, 2]], attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [2, 1, 1, 0], x_zero_point: -5, w_zero_point: 2, y_zero_point: -7 }, bias: true, requant: 'tensor' },
  { name: 'depthwise u8 3x3 stride 2', x: ['u8', [1, 9, 8, 8]], w: ['i8', [9, 1, 3, 3]], attrs: { group: 9, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 128 }, bias: true, requant: 'channel' },
  { name: '1x1 u8 x u8 weights', x: ['u8', [1, 19, 5, 6]], w: ['u8', [13, 19, 1, 1]], attrs: { x_zero_point: 7, w_zero_point: 120, dtype: 'i8' }, bias: false, requant: 'channel' },
  { name: '1-D, i32 accumulator out (ConvInteger form)', x: ['u8', [2, 3, 17]], w: ['i8', [5, 3, 4]], attrs: { pads: [2, 1], x_zero_point: 100, dtype: 'i32' }, bias: false, requant: 'none' },
  // The lane kernels (quantized/conv-lanes.ts, quantized/conv-depthwise.ts): row tails, partial channel blocks, odd channel
  // counts, the gathered-taps path of strides 2 and 3, dilation in the implicit GEMM, both column phases of a
  // stride-2 depthwise plane, and i32 outputs.
  { name: 'lanes 3x3 pad 1, 21 columns, 9 channels', x: ['u8', [1, 6, 13, 21]], w: ['i8', [9, 6, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 90, dtype: 'u8', y_zero_point: 10 }, bias: true, requant: 'channel', wasm: { winograd: false } },
  { name: 'lanes 1x1, odd channels, batch 2', x: ['u8', [2, 7, 4, 8]], w: ['i8', [5, 7, 1, 1]], attrs: { x_zero_point: 200, dtype: 'u8', y_zero_point: 0 }, bias: true, requant: 'tensor' },
  { name: 'lanes 7x7 stride 2 pad 3 (a stem)', x: ['u8', [1, 3, 20, 19]], w: ['i8', [8, 3, 7, 7]], attrs: { strides: [2, 2], pads: [3, 3, 3, 3], x_zero_point: 128, dtype: 'u8', y_zero_point: 5, act_min: 5 }, bias: true, requant: 'channel' },
  // The flat reduction of the gathered path (odd channel counts below 8): pairs of consecutive (c, ky, kx)
  // entries across channel boundaries, a lone last entry, strides 2 x 1 and 1 x 2 along the row, groups.
  { name: 'lanes flat 3x3 stride 2, one channel, 9 columns', x: ['u8', [1, 1, 11, 9]], w: ['i8', [5, 1, 3, 3]], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 255, dtype: 'u8', y_zero_point: 0 }, bias: true, requant: 'channel' },
  { name: 'lanes flat 3x3 strides 2 x 1, 5 channels, 13 columns, typical', x: ['i8', [2, 5, 12, 13]], w: ['i8', [6, 5, 3, 3]], attrs: { strides: [2, 1], pads: [1, 1, 1, 1], x_zero_point: -128, y_zero_point: 3 }, bias: true, requant: 'channel', shifts: 'typical' },
  { name: 'lanes flat 3x2 strides 1 x 2, dilation 2, grouped 2 x 3 channels, u8 weights', x: ['u8', [1, 6, 10, 22]], w: ['u8', [4, 3, 3, 2]], attrs: { group: 2, strides: [1, 2], dilations: [2, 2], pads: [2, 1, 2, 0], x_zero_point: 0, w_zero_point: 128, dtype: 'u8', y_zero_point: 128 }, bias: true, requant: 'tensor' },
  { name: 'lanes flat 5x5 stride 2, 7 channels, i32 out', x: ['u8', [1, 7, 14, 17]], w: ['i8', [9, 7, 5, 5]], attrs: { strides: [2, 2], pads: [2, 2, 2, 2], x_zero_point: 77, dtype: 'i32' }, bias: false, requant: 'none' },
  { name: 'lanes stride 3, asymmetric pads', x: ['i8', [1, 4, 14, 16]], w: ['i8', [6, 4, 3, 2]], attrs: { strides: [3, 3], pads: [0, 1, 2, 0], x_zero_point: 4 }, bias: false, requant: 'channel' },
  { name: 'lanes dilation 2, stride 1', x: ['u8', [1, 4, 12, 12]], w: ['i8', [4, 4, 3, 3]], attrs: { dilations: [2, 2], pads: [2, 2, 2, 2], x_zero_point: 30, dtype: 'u8', y_zero_point: 100 }, bias: true, requant: 'channel' },
  { name: 'depthwise 3x3 stride 1, 33 columns, i8 out', x: ['u8', [1, 10, 17, 33]], w: ['i8', [10, 1, 3, 3]], attrs: { group: 10, pads: [1, 1, 1, 1], x_zero_point: 128, y_zero_point: -3 }, bias: true, requant: 'tensor' },
  { name: 'depthwise 3x3 stride 2, odd left pad, 37 columns', x: ['u8', [2, 4, 9, 37]], w: ['i8', [4, 1, 3, 3]], attrs: { group: 4, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 77, dtype: 'u8', y_zero_point: 128 }, bias: true, requant: 'channel' },
  { name: 'depthwise 5x5 stride 2, even left pad, dilation 2', x: ['i8', [1, 3, 16, 35]], w: ['i8', [3, 1, 5, 5]], attrs: { group: 3, strides: [2, 2], dilations: [2, 2], pads: [4, 4, 4, 4], x_zero_point: -1 }, bias: true, requant: 'channel' },
  { name: 'depthwise 1-D, i32 accumulator out', x: ['u8', [1, 3, 40]], w: ['u8', [3, 1, 5]], attrs: { group: 3, pads: [2, 2], x_zero_point: 50, w_zero_point: 128, dtype: 'i32' }, bias: false, requant: 'none' },
  { name: 'lanes 3x3, typical shifts, activation bounds', x: ['u8', [1, 8, 10, 18]], w: ['i8', [12, 8, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 7, act_min: 7, act_max: 200 }, bias: true, requant: 'channel', shifts: 'typical', wasm: { winograd: false } },
  { name: 'lanes 1x1 i8 out, typical shifts', x: ['i8', [1, 16, 7, 7]], w: ['i8', [8, 16, 1, 1]], attrs: { x_zero_point: -4, y_zero_point: 11 }, bias: true, requant: 'channel', shifts: 'typical' },
  // Row pairs of the depthwise kernel: even and odd kernel heights, widths and heights 1..3, dilated rows
  // (pairs of rows DH apart), unequal strides, zero points at the ends of the input range.
  { name: 'depthwise row pairs 3x3 stride 1, width 1, height 2, u8 zp 255', x: ['u8', [1, 3, 2, 1]], w: ['i8', [3, 1, 3, 3]], attrs: { group: 3, pads: [1, 1, 1, 1], x_zero_point: 255, dtype: 'u8', y_zero_point: 0 }, bias: true, requant: 'channel' },
  { name: 'depthwise row pairs 3x3 stride 1, width 2, height 3, u8 zp 0, typical', x: ['u8', [1, 4, 3, 2]], w: ['i8', [4, 1, 3, 3]], attrs: { group: 4, pads: [1, 1, 1, 1], x_zero_point: 0, dtype: 'u8', y_zero_point: 255 }, bias: true, requant: 'channel', shifts: 'typical' },
  { name: 'depthwise row pairs 3x3 stride 2, width 3, height 1, i8 zp -128', x: ['i8', [1, 5, 1, 3]], w: ['i8', [5, 1, 3, 3]], attrs: { group: 5, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: -128, y_zero_point: 127 }, bias: true, requant: 'channel' },
  { name: 'depthwise row pairs 3x3 stride 2, 23x19, i8 zp 127, u8 weights', x: ['i8', [1, 6, 23, 19]], w: ['u8', [6, 1, 3, 3]], attrs: { group: 6, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 127, w_zero_point: 255, y_zero_point: -128 }, bias: true, requant: 'tensor', shifts: 'typical' },
  // Two output rows per pass (stride 1 vertically, no dilation, odd kernel height): even and odd row counts,
  // the second row's shifted weight pairs for 5 kernel rows, column phases of stride 2 along the row.
  { name: 'depthwise two rows 5x5 stride 1 x 2, 12 rows, i32 out', x: ['u8', [1, 3, 12, 21]], w: ['i8', [3, 1, 5, 5]], attrs: { group: 3, strides: [1, 2], pads: [2, 2, 2, 2], x_zero_point: 100, dtype: 'i32' }, bias: true, requant: 'none' },
  { name: 'depthwise two rows 3x3 stride 1, 7 rows of 7, u8 zp 255', x: ['u8', [2, 5, 7, 7]], w: ['i8', [5, 1, 3, 3]], attrs: { group: 5, pads: [1, 1, 1, 1], x_zero_point: 255, dtype: 'u8', y_zero_point: 9 }, bias: true, requant: 'channel', shifts: 'close' },
  { name: 'depthwise row pairs 2x3 (even height), no pads, i32 out', x: ['u8', [1, 3, 7, 11]], w: ['i8', [3, 1, 2, 3]], attrs: { group: 3, x_zero_point: 9, dtype: 'i32' }, bias: false, requant: 'none' },
  { name: 'depthwise row pairs 4x4 stride 1, dilation 2', x: ['u8', [2, 3, 13, 17]], w: ['i8', [3, 1, 4, 4]], attrs: { group: 3, dilations: [2, 2], pads: [3, 3, 3, 3], x_zero_point: 200, dtype: 'u8', y_zero_point: 20 }, bias: true, requant: 'channel' },
  { name: 'depthwise row pairs 3x3 strides 3 x 1, asymmetric pads', x: ['u8', [1, 4, 16, 10]], w: ['i8', [4, 1, 3, 3]], attrs: { group: 4, strides: [3, 1], pads: [2, 0, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 128 }, bias: true, requant: 'channel', shifts: 'typical' },
  { name: 'depthwise row pairs 3x3 strides 2 x 1, 11 columns', x: ['i8', [1, 3, 12, 11]], w: ['i8', [3, 1, 3, 3]], attrs: { group: 3, strides: [2, 1], pads: [1, 1, 1, 1], x_zero_point: 0, y_zero_point: 5 }, bias: true, requant: 'tensor' },
  { name: 'depthwise row pairs 3x3 strides 1 x 2, 20 columns', x: ['u8', [1, 3, 9, 20]], w: ['i8', [3, 1, 3, 3]], attrs: { group: 3, strides: [1, 2], pads: [1, 0, 1, 1], x_zero_point: 100, dtype: 'u8', y_zero_point: 0 }, bias: true, requant: 'channel' },
  { name: 'depthwise 3x3 stride 2, typical shifts', x: ['u8', [1, 6, 15, 20]], w: ['i8', [6, 1, 3, 3]], attrs: { group: 6, strides: [2, 2], pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 0, act_max: 100 }, bias: true, requant: 'channel', shifts: 'typical' },
  { name: 'depthwise 3x3 stride 1, typical shifts, i8 out', x: ['i8', [1, 5, 9, 13]], w: ['i8', [5, 1, 3, 3]], attrs: { group: 5, pads: [1, 1, 1, 1], x_zero_point: 3, y_zero_point: -100 }, bias: true, requant: 'channel', shifts: 'typical' },
  // Integer Winograd F(2x2, 3x3) (quantized/conv-winograd.ts): odd output sizes, partial tile groups, odd channels,
  // a partial channel block, both requantization forms, u8 weights with a zero point.
  { name: 'winograd 3x3 pad 1, 13x21, odd channels', x: ['u8', [1, 7, 13, 21]], w: ['i8', [10, 7, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 5 }, bias: true, requant: 'channel', shifts: 'typical', wasm: { winograd4: false }, kernel: 'winograd' },
  { name: 'winograd 3x3 no pad, batch 2, i8, general requantization', x: ['i8', [2, 4, 10, 17]], w: ['i8', [6, 4, 3, 3]], attrs: { x_zero_point: -3, y_zero_point: 2, act_min: -100 }, bias: true, requant: 'channel', wasm: { winograd4: false }, kernel: 'winograd' },
  { name: 'winograd 3x3 asymmetric pads, u8 weights, per-tensor', x: ['u8', [1, 16, 8, 8]], w: ['u8', [4, 16, 3, 3]], attrs: { pads: [2, 0, 0, 1], x_zero_point: 60, w_zero_point: 130, dtype: 'u8', y_zero_point: 128 }, bias: false, requant: 'tensor', kernel: 'winograd' },
  { name: 'winograd 3x3 pad 1, 32 channels, 16x16', x: ['u8', [1, 32, 16, 16]], w: ['i8', [8, 32, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 0, dtype: 'u8', y_zero_point: 0 }, bias: true, requant: 'channel', shifts: 'typical', wasm: { winograd4: false }, kernel: 'winograd' },
  // Integer Winograd F(4x4, 3x3) (quantized/conv-winograd4.ts): partial tile rows and column groups, odd channels, a
  // partial channel block, i8 and u8 inputs with zero points at the ends of their ranges, u8 weights, both
  // requantization forms; and the fallback to F(2x2) when a channel's sums could reach 2^25.
  { name: 'winograd4 3x3 pad 1, 18x23, odd channels', x: ['u8', [1, 7, 18, 23]], w: ['i8', [10, 7, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 5 }, bias: true, requant: 'channel', shifts: 'typical', kernel: 'winograd4' },
  { name: 'winograd4 3x3 no pad, batch 2, i8 at zero point -128, general requantization', x: ['i8', [2, 5, 14, 30]], w: ['i8', [6, 5, 3, 3]], attrs: { x_zero_point: -128, y_zero_point: 2, act_min: -100 }, bias: true, requant: 'channel', kernel: 'winograd4' },
  { name: 'winograd4 3x3 asymmetric pads, u8 at zero point 255, u8 weights, per-tensor', x: ['u8', [1, 16, 16, 16]], w: ['u8', [4, 16, 3, 3]], attrs: { pads: [2, 0, 0, 1], x_zero_point: 255, w_zero_point: 0, dtype: 'u8', y_zero_point: 128 }, bias: false, requant: 'tensor', kernel: 'winograd4' },
  { name: 'winograd4 3x3 pad 1, 32 channels, 20x20, partial channel block', x: ['u8', [1, 32, 20, 20]], w: ['i8', [9, 32, 3, 3]], attrs: { pads: [1, 1, 1, 1], x_zero_point: 0, dtype: 'u8', y_zero_point: 0 }, bias: true, requant: 'channel', shifts: 'typical', kernel: 'winograd4' },
  { name: 'winograd4 3x3 8x32 (whole tiles), i8 out, i8 weights at zero point 127', x: ['u8', [1, 4, 10, 34]], w: ['i8', [5, 4, 3, 3]], attrs: { x_zero_point: 3, w_zero_point: 127, y_zero_point: -5 }, bias: true, requant: 'channel', kernel: 'winograd4' },
  { name: 'winograd4 falls back to F(2x2): 64 channels of weights near 255 could reach 2^25', x: ['u8', [1, 64, 12, 12]], w: ['u8', [4, 64, 3, 3]], wRange: [240, 255], attrs: { pads: [1, 1, 1, 1], x_zero_point: 0, w_zero_point: 0, dtype: 'u8', y_zero_point: 0 }, bias: true, requant: 'channel', shifts: 'typical', kernel: 'winograd' },
  // The requantization forms (quantized/conv-requantize.ts) in the lane kernels.
  { name: 'signed requantization, one shift: depthwise 3x3, u8 out with activation bounds', x: ['u8', [1, 6, 9, 12]], w: ['i8', [6, 1, 3, 3]], attrs: { group: 6, pads: [1, 1, 1, 1], x_zero_point: 3, dtype: 'u8', y_zero_point: 20, act_min: 25, act_max: 240 }, bias: true, requant: 'channel', shifts: 'close', form: /^S\d+$/ },
  { name: 'signed requantization, per-channel shifts: lanes 1x1, i8 out', x: ['u8', [1, 12, 6, 7]], w: ['i8', [9, 12, 1, 1]], attrs: { x_zero_point: 128, y_zero_point: -100 }, bias: true, requant: 'channel', shifts: 'spread', form: /^S\*$/ },
  { name: 'window-table requantization (multipliers in [0.5, 1)): winograd 3x3', x: ['u8', [1, 4, 8, 8]], w: ['i8', [5, 4, 3, 3]], wRange: [-2, 2], attrs: { pads: [1, 1, 1, 1], x_zero_point: 128, dtype: 'u8', y_zero_point: 128 }, bias: false, requant: 'channel', shifts: 'half', wasm: { winograd4: false }, kernel: 'winograd', form: /^[HT]/ },
  { name: '3-D with bias, per-channel', x: ['i8', [1, 2, 4, 5, 5]], w: ['i8', [3, 2, 2, 3, 3]], attrs: { pads: [0, 1, 1, 1, 1, 1] }, bias: true, requant: 'channel' },
];

describe('wasm QConv (bit-exact with the reference)', () => {
  for (const c of convCases) {
    it(c.name, async () => {
      const M = c.w[1][0]!;
      const n = c.requant === 'channel' ? M : 1;
      // Multipliers in [2^30, 2^31) with shifts that land most outputs in range, plus extreme shifts (16, 62).
      const mults = R.ints(n, 2 ** 30, 2 ** 31 - 1);
      const shifts = R.ints(n, 36, 44);
      if (n > 2 && c.shifts === undefined) (shifts[0] = 16), (shifts[1] = 62);
      if (c.shifts === 'spread') shifts[n - 1] = Math.max(...shifts.slice(0, -1)) + 9;
      if (c.shifts === 'close') shifts.forEach((_, i) => (shifts[i] = 36 + (i % 2)));
      if (c.shifts === 'half') shifts.fill(31);
      const wTensor = c.wRange ? makeTensor(c.w[0], c.w[1], R.ints(c.w[1].reduce((a, b) => a * b, 1), ...c.wRange)) : ints(c.w[0], c.w[1]);
      const biasTensor = makeTensor('i32', [M], R.ints(M, -20000, 20000));
      const build = () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: c.x[0], shape: c.x[1] });
        const w = b.constant('w', wTensor);
        const bias = c.bias ? b.constant('bias', biasTensor) : null;
        const ms = c.requant === 'none' ? null : b.constant('m', makeTensor('i32', [n], mults));
        const ss = c.requant === 'none' ? null : b.constant('s', makeTensor('i32', [n], shifts));
        b.output(b.op('QConv', [x, w, bias, ms, ss], c.attrs, 'y'));
        return b.build();
      };
      if (c.kernel) expect(qconvKernelOf(build().nodes[0]!, { ...DEFAULT_WASM_OPTIONS, ...c.wasm })).toBe(c.kernel);
      if (c.form) expect(chooseRequantizer(build().nodes[0]!, qOutputOf(build().nodes[0]!), M).key).toMatch(c.form);
      await expectExact(build, { x: ints(c.x[0], c.x[1]) }, c.wasm);
    });
  }
});

describe('wasm QMatMul (bit-exact with the reference)', () => {
  const cases: { name: string; a: [DType, number[]]; b: [DType, number[]]; attrs: Attributes; bias: boolean; requant: 'channel' | 'tensor' | 'none' }[] = [
    { name: 'batched u8 a x i8 b, bias, per-column', a: ['u8', [2, 3, 20]], b: ['i8', [20, 11]], attrs: { a_zero_point: 127, dtype: 'u8', y_zero_point: 120 }, bias: true, requant: 'channel' },
    { name: '1-D a, per-tensor, i8 out with clamp', a: ['i8', [13]], b: ['i8', [13, 5]], attrs: { a_zero_point: 3, b_zero_point: -2, act_min: -10, act_max: 50 }, bias: true, requant: 'tensor' },
    { name: 'i32 accumulator out (MatMulInteger form)', a: ['u8', [4, 33]], b: ['u8', [33, 9]], attrs: { a_zero_point: 10, b_zero_point: 200, dtype: 'i32' }, bias: false, requant: 'none' },
    // b - b_zp in [-128, 127]: i8 rows widened as they are read (the others above keep i16 rows, or may).
    { name: 'u8 b at zero point 128 (i8 rows), 37-long rows, 3 rows of a', a: ['u8', [3, 37]], b: ['u8', [37, 10]], attrs: { a_zero_point: 0, b_zero_point: 128, dtype: 'u8', y_zero_point: 3 }, bias: true, requant: 'channel' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const N = c.b[1][1]!;
      const n = c.requant === 'channel' ? N : 1;
      const mults = R.ints(n, 2 ** 30, 2 ** 31 - 1);
      const shifts = R.ints(n, 36, 42);
      const bTensor = ints(c.b[0], c.b[1]);
      const biasTensor = makeTensor('i32', [N], R.ints(N, -5000, 5000));
      const build = () => {
        const g = new GraphBuilder('g');
        const a = g.input('a', { dtype: c.a[0], shape: c.a[1] });
        const b = g.constant('b', bTensor);
        const bias = c.bias ? g.constant('bias', biasTensor) : null;
        const ms = c.requant === 'none' ? null : g.constant('m', makeTensor('i32', [n], mults));
        const ss = c.requant === 'none' ? null : g.constant('s', makeTensor('i32', [n], shifts));
        g.output(g.op('QMatMul', [a, b, bias, ms, ss], c.attrs, 'y'));
        return g.build();
      };
      await expectExact(build, { a: ints(c.a[0], c.a[1]) });
    });
  }

  it('packs b as i8 rows only when every b - b_zp fits', () => {
    expect(Array.from(new Int8Array(packRowsI8(2, 3, 8, (r, k) => (r ? -128 : 127) + k * (r ? 1 : -1))!.buffer))).toEqual([127, 126, 125, 0, 0, 0, 0, 0, -128, -127, -126, 0, 0, 0, 0, 0]);
    expect(packRowsI8(1, 2, 8, (_, k) => (k ? 128 : 0))).toBeNull();
    expect(packRowsI8(1, 2, 8, (_, k) => (k ? -129 : 0))).toBeNull();
  });

  it('check() names a non-constant b', () => {
    const g = new GraphBuilder('g');
    const a = g.input('a', { dtype: 'u8', shape: [2, 4] });
    const b = g.input('b', { dtype: 'i8', shape: [4, 3] });
    g.output(g.op('QMatMul', [a, b, null, null, null], { dtype: 'i32' }, 'y'));
    expect(unsupportedByWasm(g.build()).map((p) => p.reason)).toEqual(['QMatMul b must be constant (it is packed at compile time)']);
  });
});

describe('wasm QuantizeF32 / DequantizeF32 / QRequantize / QAdd / QGlobalAveragePool (bit-exact)', () => {
  it('QuantizeF32 (ties, NaN, saturation) -> QRequantize -> DequantizeF32', async () => {
    const { build, feeds } = quantizeChainCase(R, { quantize: 0.1, dequantize: 0.0371 });
    await expectExact(build, feeds);
  });

  // f32 scales take the SIMD lanes (16 at a time) and the scalar loop for the tail: ties, NaN, infinities
  // and saturation in both parts.
  for (const out of ['u8', 'i8'] as DType[]) {
    it(`QuantizeF32 -> DequantizeF32 with f32 scales, ${out} (vector lanes and tail)`, async () => {
      const xs = R.floats(75, -40, 40);
      const specials = [0.0625, 0.1875, -0.0625, -0.1875, NaN, Infinity, -Infinity, -0, 1e9, -1e9, 15.9375, -16.0625];
      specials.forEach((v, k) => ((xs[k * 3] = v), (xs[60 + k] = v)));
      const build = () => {
        const b = new GraphBuilder('g');
        const x = b.input('x', { dtype: 'f32', shape: [75] });
        const q = b.op('QuantizeF32', [x], { scale: 0.125, zero_point: out === 'u8' ? 100 : -7, dtype: out }, 'q');
        const d = b.op('DequantizeF32', [q], { scale: Math.fround(0.0371), zero_point: out === 'u8' ? 100 : -7 }, 'd');
        b.output(q, d);
        return b.build();
      };
      await expectExact(build, { x: makeTensor('f32', [75], xs) });
    });
  }

  for (const [name, aShape, bShape, dtype] of [
    ['same shapes, i8', [2, 3, 4, 5], [2, 3, 4, 5], 'i8'],
    ['broadcast [3,1,5] into [2,3,4,5], u8', [2, 3, 4, 5], [3, 1, 5], 'u8'],
    ['broadcast both sides', [4, 1], [1, 6], 'u8'],
  ] as [string, number[], number[], DType][]) {
    it(`QAdd ${name}`, async () => {
      const { build, feeds } = qAddCase(R, aShape, bShape, dtype);
      await expectExact(build, feeds);
    });
  }

  // Equal shapes take the 16-lane path (qAddSplit) and the scalar loop for the tail; shifts outside [17, 46]
  // and a multiplier whose high half does not fit i16 stay scalar. Zero points at the ends of the ranges,
  // mixed operand dtypes, clamps, multipliers whose low half is -2^15, and results that saturate i16.
  for (const [name, [ad, bd, out], length, attrs] of [
    ['u8, typical (mobilenet) parameters, 16k + 7 elements', ['u8', 'u8', 'u8'], 119, { a_zero_point: 125, b_zero_point: 116, a_multiplier: 1200584544, b_multiplier: 1843725145, shift: 31, y_zero_point: 118 }],
    ['i8, extreme zero points, clamp', ['i8', 'i8', 'i8'], 64, { a_zero_point: -128, b_zero_point: 127, a_multiplier: 2 ** 30 + 32768, b_multiplier: 2 ** 31 - 32769, shift: 30, y_zero_point: -128, act_max: 90 }],
    ['u8 + i8 to u8, shift 17 (sums saturating i16)', ['u8', 'i8', 'u8'], 50, { a_zero_point: 0, b_zero_point: -128, a_multiplier: 2 ** 31 - 65536, b_multiplier: 12345, shift: 17, y_zero_point: 255, act_min: 3 }],
    ['u8 + i8 to i8, shift 18', ['u8', 'i8', 'i8'], 77, { a_zero_point: 255, b_zero_point: 0, a_multiplier: 150000, b_multiplier: 300001, shift: 18, y_zero_point: -20 }],
    ['i8, shift 39, large multipliers', ['i8', 'i8', 'i8'], 48, { a_zero_point: 5, b_zero_point: -7, a_multiplier: 2 ** 31 - 32769, b_multiplier: 2 ** 31 - 98304, shift: 39, y_zero_point: 1 }],
    ['i8 + u8 to i8, shift 46, multiplier 0', ['i8', 'u8', 'i8'], 33, { a_zero_point: 127, b_zero_point: 255, a_multiplier: 0, b_multiplier: 2 ** 31 - 40000, shift: 46, y_zero_point: 0 }],
    ['u8, fewer elements than a vector', ['u8', 'u8', 'u8'], 15, { a_zero_point: 128, b_zero_point: 128, a_multiplier: 1073741824, b_multiplier: 1073741824, shift: 31, y_zero_point: 128 }],
    ['u8, shift 16 (scalar)', ['u8', 'u8', 'u8'], 40, { a_zero_point: 1, b_zero_point: 2, a_multiplier: 40000, b_multiplier: 70000, shift: 16, y_zero_point: 3 }],
    ['u8, shift 47 (scalar)', ['u8', 'u8', 'i8'], 40, { a_zero_point: 1, b_zero_point: 2, a_multiplier: 2 ** 31 - 1, b_multiplier: 2 ** 31 - 1, shift: 47, y_zero_point: 3 }],
    ['u8, multiplier 2^31 - 1 (scalar: high half 2^15)', ['u8', 'u8', 'u8'], 40, { a_zero_point: 10, b_zero_point: 20, a_multiplier: 2 ** 31 - 1, b_multiplier: 5, shift: 38, y_zero_point: 30 }],
  ] as [string, [DType, DType, DType], number, Attributes][]) {
    it(`QAdd ${name}`, async () => {
      const shape = [1, length];
      const build = () => {
        const g = new GraphBuilder('g');
        const a = g.input('a', { dtype: ad, shape });
        const b = g.input('b', { dtype: bd, shape });
        g.output(g.op('QAdd', [a, b], { ...attrs, dtype: out }, 'y'));
        return g.build();
      };
      const feeds = { a: ints(ad, shape), b: ints(bd, shape) };
      // The ends of both ranges, paired every way, in the vector part and in the tail.
      const [aLo, aHi, bLo, bHi] = [...dtypeRange(ad), ...dtypeRange(bd)];
      for (const at of [0, length - 4]) {
        [aLo, aHi, aLo, aHi].forEach((v, k) => ((feeds.a.data as Int8Array)[at + k] = v));
        [bLo, bLo, bHi, bHi].forEach((v, k) => ((feeds.b.data as Int8Array)[at + k] = v));
      }
      await expectExact(build, feeds);
    });
  }

  it('QGlobalAveragePool u8 and i8', async () => {
    const { build, feeds } = qGlobalAveragePoolCase(R);
    await expectExact(build, feeds);
  });
});


describe('high-word requantization tables (bit-exact over the whole accumulator window)', () => {
  // One table entry: A_lo, A_hi, M, S, B_lo (as requantTable lays them out); the window [A_lo, A_hi] is the one
  // whose images span `levels` output levels from B_lo.
  const entry = (M: number, S: number, bLo: number, levels: number): Uint8Array => {
    const t = new DataView(new ArrayBuffer(32));
    const D = Math.ceil(((levels + 1) * 2 ** S - bLo) / M) - 1;
    t.setInt32(0, -1000, true);
    t.setInt32(4, -1000 + D, true);
    t.setInt32(8, M, true);
    t.setInt32(12, S, true);
    t.setBigInt64(16, BigInt(bLo), true);
    return new Uint8Array(t.buffer);
  };
  const levelsOf = (t: Uint8Array, d: bigint): bigint => {
    const v = new DataView(t.buffer);
    return (d * BigInt(v.getUint32(8, true)) + v.getBigInt64(16, true)) >> BigInt(v.getInt32(12, true));
  };

  it('matches the original levels at every d, or declines', () => {
    const found = { yes: 0, no: 0 };
    for (let k = 0; k < 40; k++) {
      const S = R.ints(1, 34, 42)[0]!;
      const M = R.ints(1, 2 ** 30, 2 ** 31 - 1)[0]!;
      const bLo = Math.floor(R.floats(1, 0, 1)[0]! * 2 ** S);
      const levels = k % 5 === 0 ? R.ints(1, 0, 3)[0]! : 255;
      const own = entry(M, S, bLo, levels);
      const high = highWordTable(own);
      if (!high) {
        found.no++;
        continue;
      }
      found.yes++;
      expect(new DataView(high.table.buffer).getInt32(12, true)).toBe(32 + high.extraShift);
      const D = new DataView(own.buffer).getInt32(4, true) + 1000;
      for (let d = 0n; d <= BigInt(D); d++) if (levelsOf(high.table, d) !== levelsOf(own, d)) expect([Number(d), levelsOf(high.table, d)]).toEqual([Number(d), levelsOf(own, d)]);
    }
    // A single channel always has one: shift S + 1, M' = 2M, B' = 2 B_lo.
    expect(found).toEqual({ yes: 40, no: 0 });
  });

  it('is exact, when it accepts them, for channels whose shifts are ten apart', () => {
    const two = new Uint8Array(64);
    two.set(entry(2 ** 31 - 12345, 34, 5, 255), 0);
    two.set(entry(1234567891, 44, 2 ** 40 + 17, 255), 32);
    const high = highWordTable(two);
    if (high) {
      for (const c of [0, 1]) {
        const own = two.slice(c * 32, c * 32 + 32);
        const mine = high.table.slice(c * 32, c * 32 + 32);
        const D = new DataView(own.buffer).getInt32(4, true) + 1000;
        for (let d = 0n; d <= BigInt(D); d += 1n) expect(levelsOf(mine, d)).toBe(levelsOf(own, d));
      }
    }
  });
});

describe('signed requantization tables (bit-exact at every accumulator of the window and beyond)', () => {
  // A one-node QConv whose requantization parameters are the ones under test.
  const qconv = (mults: number[], shifts: number[], attrs: Attributes) => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'u8', shape: [1, 1, 4, 4] });
    const w = b.constant('w', makeTensor('i8', [mults.length, 1, 1, 1], new Array(mults.length).fill(1)));
    const m = b.constant('m', makeTensor('i32', [mults.length], mults));
    const s = b.constant('s', makeTensor('i32', [shifts.length], shifts));
    b.output(b.op('QConv', [x, w, null, m, s], attrs, 'y'));
    return b.build().nodes[0]!;
  };
  // The reference's requantization and clamp, and the signed form's (acc·M' + C) >> s with the 8-bit clamp.
  const reference = (acc: bigint, M: number, S: number, zp: number, [lo, hi]: [number, number]) => {
    const y = Number(((acc * BigInt(M) + (1n << BigInt(S - 1))) >> BigInt(S)) + BigInt(zp));
    return Math.min(hi, Math.max(lo, y));
  };
  const signedForm = (table: Uint8Array, c: number, acc: bigint, [lo, hi]: [number, number]) => {
    const v = new DataView(table.buffer, table.byteOffset + 32 * c, 32);
    const y = Number((acc * BigInt(v.getInt32(8, true)) + v.getBigInt64(16, true)) >> BigInt(v.getInt32(12, true)));
    return Math.min(hi, Math.max(lo, y));
  };
  // Every accumulator of the window (where the output is not clamped) and a margin, plus the i32 extremes.
  const accumulators = (own: Uint8Array, c: number): bigint[] => {
    const v = new DataView(own.buffer, own.byteOffset + 32 * c, 32);
    const [aLo, aHi] = [v.getInt32(0, true), v.getInt32(4, true)];
    const list: bigint[] = [-(2n ** 31n), 2n ** 31n - 1n, 0n];
    for (let a = aLo - 300; a <= aHi + 300; a++) list.push(BigInt(a));
    return list;
  };

  it('declines a shift whose constant would leave the i64 range, and keeps the i32 extremes exact at shift 62', () => {
    const M = 2 ** 31 - 1;
    // C = 2^61 + zp·2^62 does not fit an i64 for zp = 5; for zp = 0 it does.
    expect(signedTable(qconv([M], [62], { dtype: 'u8', y_zero_point: 5 }), qOutputOf(qconv([M], [62], { dtype: 'u8', y_zero_point: 5 })), 1)).toBeNull();
    const node = qconv([M], [62], { dtype: 'i8', y_zero_point: 0 });
    const table = signedTable(node, qOutputOf(node), 1)!;
    for (const acc of [-(2n ** 31n), -1n, 0n, 1n, 2n ** 31n - 1n]) expect(signedForm(table, 0, acc, [-128, 127])).toBe(reference(acc, M, 62, 0, [-128, 127]));
  });

  for (const [dtype, zp, act] of [['u8', 0, {}], ['u8', 37, { act_min: 40, act_max: 250 }], ['i8', -128, {}], ['i8', 5, { act_min: -3 }]] as const) {
    it(`${dtype} zero point ${zp}${'act_min' in act ? ', activation bounds' : ''}: the common shift and the per-channel form`, () => {
      const mults = R.ints(6, 2 ** 30, 2 ** 31 - 1);
      // Close shifts (the search finds a common one), one channel 9 apart (usually only per-channel shifts), S < 32.
      for (const shifts of [[36, 36, 37, 38, 36, 37], [33, 33, 34, 35, 33, 42], [31, 33, 34, 34, 33, 33]]) {
        const node = qconv(mults, shifts, { dtype, y_zero_point: zp, ...act });
        const out = qOutputOf(node);
        const bounds: [number, number] = [out.lo, out.hi];
        const own = requantTable(node, out, 6)!;
        const common = highWordTable(own, 'signed');
        const perChannel = signedTable(node, out, 6);
        for (const table of [common?.table, perChannel]) {
          if (!table) continue;
          for (let c = 0; c < 6; c++) {
            for (const acc of accumulators(own, c)) {
              const [want, got] = [reference(acc, mults[c]!, shifts[c]!, zp, bounds), signedForm(table, c, acc, bounds)];
              if (want !== got) expect({ c, acc: Number(acc), got }).toEqual({ c, acc: Number(acc), got: want });
            }
          }
        }
        const key = chooseRequantizer(node, out, 6).key;
        if (shifts[0] === 31) {
          // M·2 >= 2^31 does not fit the signed form: the unsigned window table takes it.
          expect([common, perChannel, key]).toEqual([null, null, expect.stringMatching(/^[HT]/)]);
        } else {
          expect(perChannel).not.toBeNull();
          expect(key).toBe(common ? `S${common.extraShift}` : 'S*');
        }
      }
    });
  }
});
