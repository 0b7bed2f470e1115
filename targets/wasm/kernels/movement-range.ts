import { allocArray, isBigInt, type DType, type Tensor } from '../../../ir/index.js';
import { rangeLength } from '../../../ir/ops/tensor-ops.js';

/**
 * Range's values from constant operands, computed at compile time exactly as the reference interpreter does
 * (BigInt for the 64-bit integers, start + i * delta stored into the dtype otherwise). f16/bf16 are rejected
 * by check() before this is reached.
 */
export function rangeTensor([start, limit, delta]: readonly [Tensor, Tensor, Tensor]): Tensor {
  const dtype: DType = start.dtype;
  if (isBigInt(dtype)) {
    const [s, l, d] = [start, limit, delta].map((t) => (t.data as BigInt64Array)[0]!) as [bigint, bigint, bigint];
    const span = l - s;
    let n = span / d;
    if (n * d !== span && span > 0n === d > 0n) n += 1n;
    const count = n > 0n ? Number(n) : 0;
    const data = allocArray(dtype, count) as BigInt64Array;
    for (let i = 0; i < count; i++) data[i] = s + BigInt(i) * d;
    return { dtype, shape: [count], data };
  }
  const [s, l, d] = [start, limit, delta].map((t) => Number(t.data[0]));
  const count = rangeLength(s!, l!, d!);
  const data = allocArray(dtype, count);
  for (let i = 0; i < count; i++) (data as Float64Array)[i] = s! + i * d!;
  return { dtype, shape: [count], data };
}
