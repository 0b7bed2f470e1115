import { makeTensor, type DType, type Tensor } from '../../ir/index.js';

/** Seeded integers in [lo, hi] and floats in [lo, hi) (an LCG: the same sequence on every machine). */
export function seededNumbers(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  return {
    ints: (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1))),
    floats: (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + next() * (hi - lo)),
  };
}

export const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
export const int8Range = (d: DType): [number, number] => (d === 'u8' ? [0, 255] : [-128, 127]);

/** A tensor of seeded values over the whole range of an 8-bit dtype. */
export function int8Tensor(numbers: ReturnType<typeof seededNumbers>, d: DType, shape: number[]): Tensor {
  return makeTensor(d, shape, numbers.ints(count(shape), ...int8Range(d)));
}
