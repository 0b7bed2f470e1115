import { isBigInt, isFloat, makeTensor, numel, type DType, type Tensor } from '../../ir/index.js';

/** mulberry32: a tiny seeded PRNG, so random inputs are the same on every machine and run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random tensor: standard normal values for floats (what image and embedding inputs look like after
 * normalization), small non-negative integers for integer types (valid as indices into small dims), 0/1 for bool.
 */
export function randomTensor(dtype: DType, shape: readonly number[], random: () => number): Tensor {
  const n = numel(shape);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (isFloat(dtype)) {
      // Box-Muller transform.
      const u = Math.max(random(), 1e-12);
      values[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    } else if (dtype === 'bool') {
      values[i] = random() < 0.5 ? 0 : 1;
    } else {
      values[i] = Math.floor(random() * 10);
    }
  }
  return makeTensor(dtype, shape, isBigInt(dtype) ? values.map((v) => BigInt(v)) : values);
}
