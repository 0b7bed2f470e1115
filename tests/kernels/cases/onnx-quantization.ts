import { makeTensor, type DType } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';

/**
 * The ONNX linear quantization ops, bit-exact with the reference: QuantizeLinear per tensor, per axis and
 * blocked (ties to even, NaN to the zero point, saturation), DequantizeLinear, DynamicQuantizeLinear, and
 * QLinearMatMul / MatMulInteger (8-bit, broadcast batch dims, f32 and f16 scales).
 */

const bytes = (n: number, seed: number, signed: boolean) => Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % 256) - (signed ? 128 : 0));

function qlinearMatmul(name: string, aShape: number[], aType: DType, bShape: number[], bType: DType, scaleType: DType, yType: DType): KernelCase {
  return {
    name,
    comparison: 'exact',
    feeds: () => ({
      a: makeTensor(aType, aShape, bytes(aShape.reduce((x, y) => x * y, 1), 1, aType === 'i8')),
      b: makeTensor(bType, bShape, bytes(bShape.reduce((x, y) => x * y, 1), 2, bType === 'i8')),
    }),
    build: (b) => {
      const p = (n: string, t: DType, v: number) => b.constant(n, makeTensor(t, [], [v]));
      const inputs = [
        b.input('a', { dtype: aType, shape: aShape }),
        p('as', scaleType, 0.0625),
        p('az', aType, aType === 'u8' ? 130 : -3),
        b.input('b', { dtype: bType, shape: bShape }),
        p('bs', scaleType, 0.03125),
        p('bz', bType, bType === 'u8' ? 120 : 5),
        p('ys', scaleType, 0.75),
        p('yz', yType, yType === 'u8' ? 128 : 0),
      ];
      b.output(b.op('QLinearMatMul', inputs, {}, 'y'));
    },
  };
}

const ramp = (n: number, step: number, from = 0) => Array.from({ length: n }, (_, i) => from + i * step);

function quantize(name: string, out: DType, x: number[], shape: number[], scale: [number[], number[]], zp: number[] | null, attrs = {}): KernelCase {
  return {
    name,
    comparison: 'exact',
    feeds: () => ({ x: makeTensor('f32', shape, x) }),
    build: (b) => {
      const s = b.constant('s', makeTensor('f32', scale[0], scale[1]));
      const z = zp ? b.constant('z', makeTensor(out, scale[0], zp)) : null;
      b.output(b.op('QuantizeLinear', [b.input('x', shape), s, z], zp ? attrs : { ...attrs, output_dtype: out }, 'y'));
    },
  };
}

export const ONNX_QUANTIZATION = family('onnx-quantization', [
  quantize('QuantizeLinear u8 per tensor (ties, NaN, saturation)', 'u8', [0.5, 1.5, 2.5, -0.5, -1.5, NaN, 1e9, -1e9, Infinity, ...ramp(40, 0.37, -7)], [49], [[], [0.5]], [3]),
  quantize('QuantizeLinear i8 per axis', 'i8', ramp(30, 1.3, -19), [2, 3, 5], [[3], [0.25, 1, 3]], [-2, 0, 5], { axis: 1 }),
  quantize('QuantizeLinear i16 blocked', 'i16', ramp(40, 97.5, -1900), [2, 5, 4], [[2, 3, 4], ramp(24, 0.5, 0.25)], null, { axis: 1, block_size: 2 }),
  {
    name: 'DequantizeLinear u8 per axis',
    comparison: 'exact',
    feeds: () => ({ x: makeTensor('u8', [3, 2, 7], ramp(42, 6)) }),
    build: (b) => {
      const s = b.constant('s', makeTensor('f32', [2], [0.1, 3]));
      const z = b.constant('z', makeTensor('u8', [2], [128, 7]));
      b.output(b.op('DequantizeLinear', [b.input('x', { dtype: 'u8', shape: [3, 2, 7] }), s, z], { axis: 1 }, 'y'));
    },
  },
  {
    name: 'DequantizeLinear i32 per tensor, no zero point',
    comparison: 'exact',
    feeds: () => ({ x: makeTensor('i32', [37], ramp(37, 123457, -2000000)) }),
    build: (b) => b.output(b.op('DequantizeLinear', [b.input('x', { dtype: 'i32', shape: [37] }), b.scalar('s', 0.003)], {}, 'y')),
  },
  qlinearMatmul('QLinearMatMul u8 x i8 -> u8, broadcast batch', [2, 3, 19], 'u8', [19, 37], 'i8', 'f32', 'u8'),
  qlinearMatmul('QLinearMatMul i8 x u8 -> i8, f16 scales, batched', [2, 4, 9], 'i8', [2, 9, 21], 'u8', 'f16', 'i8'),
  {
    name: 'MatMulInteger u8 x u8 with zero points',
    comparison: 'exact',
    feeds: () => ({ a: makeTensor('u8', [5, 33], bytes(165, 3, false)), b: makeTensor('u8', [33, 40], bytes(1320, 4, false)) }),
    build: (b) => {
      const [za, zb] = [b.constant('za', makeTensor('u8', [], [12])), b.constant('zb', makeTensor('u8', [], [200]))];
      b.output(b.op('MatMulInteger', [b.input('a', { dtype: 'u8', shape: [5, 33] }), b.input('b', { dtype: 'u8', shape: [33, 40] }), za, zb], {}, 'y'));
    },
  },
  {
    name: 'DynamicQuantizeLinear',
    comparison: 'exact',
    build: (b) => {
      const [y, s, z] = b.node('DynamicQuantizeLinear', [b.input('x', [3, 37])], {}, ['y', 'y_scale', 'y_zero_point']);
      b.output(y!, s!, z!);
    },
  },
]);
