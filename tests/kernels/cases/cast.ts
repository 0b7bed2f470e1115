import { makeTensor, type DType } from '../../../ir/index.js';
import { family, type KernelCase } from '../case.js';

/**
 * Cast between element types at the edges of the reference's semantics: floats to integers truncating and
 * wrapping (NaN and infinities), to and from the half-precision encodings, 64-bit integers, bool.
 */

/** Values with fractions of both signs, wrap-around magnitudes, NaN and infinities. */
const EDGES = [0.5, -0.5, 1.9, -1.9, 127.6, 128.2, -129.7, 255.5, 256.25, 70000.5, -70000.5, 3e9, -3e9, 1e20, NaN, Infinity, -Infinity, 0, -0, 42];

function cast(name: string, from: DType, to: DType, values: (number | bigint)[]): KernelCase {
  return {
    name,
    comparison: 'exact',
    feeds: () => ({ x: makeTensor(from, [values.length], values as number[]) }),
    build: (b) => b.output(b.op('Cast', [b.input('x', { dtype: from, shape: [values.length] })], { to }, 'y')),
  };
}

const many = (n: number) => Array.from({ length: n }, (_, i) => (i - n / 2) * 1.37);

export const CAST = family('cast', [
  cast('f32 to i8 (wrapping, NaN to 0)', 'f32', 'i8', [...EDGES, ...many(40)]),
  cast('f32 to u16', 'f32', 'u16', [...EDGES, ...many(21)]),
  cast('f32 to i32', 'f32', 'i32', many(70)),
  cast('f32 to i64', 'f32', 'i64', EDGES),
  cast('f32 to f16', 'f32', 'f16', [...EDGES, 1e-6, 6.1e-5, 65519, 65520, ...many(9)]),
  cast('f16 to f32', 'f16', 'f32', [0.5, -2, 65504, -65504, 6.103515625e-5, 5.960464477539063e-8, Infinity, NaN, 0, 1.5]),
  cast('f32 to bf16', 'f32', 'bf16', [...EDGES, ...many(13)]),
  cast('bf16 to f32', 'bf16', 'f32', [0.5, -2, 3.140625, Infinity, NaN, 0, 1e30]),
  cast('f64 to f32', 'f64', 'f32', [0.1, 1e40, -1e-50, NaN, 3.000000001, ...many(30)]),
  cast('f32 to f64', 'f32', 'f64', many(33)),
  cast('u8 to f32', 'u8', 'f32', Array.from({ length: 45 }, (_, i) => (i * 37) % 256)),
  cast('i64 to f32', 'i64', 'f32', [0n, -1n, 9007199254740993n, -(2n ** 62n) - 1n, 123456789n]),
  cast('i32 to bool', 'i32', 'bool', [0, 1, -1, 7, 0, 2147483647]),
  cast('f32 to bool', 'f32', 'bool', [0, -0, NaN, 0.1, -3, Infinity]),
]);
