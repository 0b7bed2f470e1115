import { allocArray, isBigInt, isFloat, roundToDType, type DType, type Tensor } from '../../../../ir/index.js';
import { withShape } from './copy.js';

/**
 * Cast with ONNX (and ONNX Runtime) semantics: floats to integers truncate toward zero and wrap like a C
 * store; anything to bool is x != 0 (NaN is true); to f16/bf16 rounds to nearest even. int64 <-> int64 and
 * int64 -> narrower integers go through BigInt so no precision is lost on the way.
 */
export function castTensor(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return withShape(x, x.shape);
  const n = x.data.length;
  const out = allocArray(to, n);
  const result: Tensor = { dtype: to, shape: [...x.shape], data: out };
  if (isBigInt(x.dtype)) {
    const src = x.data as BigInt64Array | BigUint64Array;
    if (isBigInt(to)) {
      const dst = out as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) dst[i] = to === 'i64' ? BigInt.asIntN(64, src[i]!) : BigInt.asUintN(64, src[i]!);
    } else if (to === 'bool') {
      for (let i = 0; i < n; i++) out[i] = src[i] !== 0n ? 1 : 0;
    } else if (isFloat(to)) {
      for (let i = 0; i < n; i++) out[i] = roundToDType(to, Number(src[i]!));
    } else {
      // Keep the low 32 bits exactly; the typed-array store then wraps to 8 or 16 bits.
      const dst = out as Int32Array;
      for (let i = 0; i < n; i++) dst[i] = Number(BigInt.asIntN(32, src[i]!));
    }
    return result;
  }
  const src = x.data as Float32Array; // any non-bigint array reads as numbers
  if (isBigInt(to)) {
    const dst = out as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) dst[i] = toBigInt(src[i]!, to);
  } else if (to === 'bool') {
    for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
  } else if (to === 'f16' || to === 'bf16') {
    for (let i = 0; i < n; i++) out[i] = roundToDType(to, src[i]!);
  } else {
    // Float32Array/Float64Array stores round; integer array stores truncate toward zero and wrap (NaN -> 0).
    const dst = out as Float32Array;
    for (let i = 0; i < n; i++) dst[i] = src[i]!;
  }
  return result;
}

const INT64_MIN = -(2n ** 63n);

function toBigInt(v: number, to: DType): bigint {
  // NaN and infinities have no integer value; x86 conversions give INT64_MIN, which ONNX Runtime inherits.
  if (!Number.isFinite(v)) return to === 'i64' ? INT64_MIN : BigInt.asUintN(64, INT64_MIN);
  const t = BigInt(Math.trunc(v));
  return to === 'i64' ? BigInt.asIntN(64, t) : BigInt.asUintN(64, t);
}
