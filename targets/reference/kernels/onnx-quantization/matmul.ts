import { EdgecError, numel, type Tensor } from '../../../../ir/index.js';
import { matmulLayout, matmulParamShape, type MatmulLayout } from '../../../../ir/ops/onnx-quantization.js';
import { broadcastIndexers } from '../util.js';
import { toInt32 } from './numeric.js';

/**
 * Exact integer numpy.matmul shared by QLinearMatMul and MatMulInteger, on zero-point-shifted operands.
 * 1-D operands are promoted to matrices ([K] -> [1, K] for A, [K, 1] for B) and the promoted dim is dropped.
 */

/** The layout, or a RUNTIME error naming why the shapes do not multiply. */
export function matmulLayoutOrThrow(aShape: readonly number[], bShape: readonly number[]): MatmulLayout {
  const layout = matmulLayout(aShape, bShape);
  if (typeof layout === 'string') throw new EdgecError('RUNTIME', `matmul ${layout}`);
  return layout;
}

/**
 * For a per-row (A side) or per-column (B side) parameter, its flat index for each (batch, row) or
 * (batch, column) of the result, over the broadcast batch dims.
 */
export function matmulParamIndex(param: Tensor, matrix: readonly number[], layout: MatmulLayout, side: 'row' | 'column'): Int32Array {
  const shape = matmulParamShape(param.shape, matrix, side);
  if (typeof shape === 'string') throw new EdgecError('RUNTIME', shape);
  const target = side === 'row' ? [...layout.batch, layout.m, 1] : [...layout.batch, 1, layout.n];
  const { shape: full, index } = broadcastIndexers([target, shape as number[]]);
  if (full.length !== target.length || full.some((d, i) => d !== target[i])) {
    throw new EdgecError('RUNTIME', `parameter of shape [${param.shape.join(',')}] does not fit the result [${layout.outShape.join(',')}]`);
  }
  return index[1]!;
}

/** The operand minus its (per-row or per-column) zero point, as exact int32 values in promoted layout. */
export function shiftedOperand(t: Tensor, zeroPoint: Tensor | null, layout: MatmulLayout, side: 'row' | 'column'): Int32Array {
  const values = Int32Array.from(toInt32(t));
  if (!zeroPoint) return values;
  const zps = toInt32(zeroPoint);
  if (zps.length === 1) {
    for (let i = 0; i < values.length; i++) values[i] -= zps[0]!;
    return values;
  }
  const promoted = side === 'row' ? layout.a : layout.b;
  const paramShape = matmulParamShape(zeroPoint.shape, promoted, side);
  if (typeof paramShape === 'string') throw new EdgecError('RUNTIME', paramShape);
  const { shape, index } = broadcastIndexers([promoted, paramShape as number[]]);
  if (numel(shape) !== values.length) throw new EdgecError('RUNTIME', `zero point [${zeroPoint.shape.join(',')}] broadcasts beyond its operand`);
  const zpIndex = index[1]!;
  for (let i = 0; i < values.length; i++) values[i] -= zps[zpIndex[i]!]!;
  return values;
}

/** int32 result [batch..., M, N] of shifted A times shifted B; stores into Int32Array wrap like 32-bit sums. */
export function integerMatmul(a: Int32Array, b: Int32Array, layout: MatmulLayout): Int32Array {
  const { m, k, n } = layout;
  const { index } = broadcastIndexers([layout.batch, layout.a.slice(0, -2), layout.b.slice(0, -2)]);
  const batches = numel(layout.batch);
  const out = new Int32Array(batches * m * n);
  for (let bi = 0; bi < batches; bi++) {
    const aBase = index[1]![bi]! * m * k;
    const bBase = index[2]![bi]! * k * n;
    for (let i = 0; i < m; i++) {
      const row = out.subarray((bi * m + i) * n, (bi * m + i + 1) * n);
      for (let p = 0; p < k; p++) {
        const av = a[aBase + i * k + p]!;
        if (av === 0) continue;
        const bRow = bBase + p * n;
        for (let j = 0; j < n; j++) row[j] += av * b[bRow + j]!;
      }
    }
  }
  return out;
}
