import { EdgecError, numel } from '../../../../ir/index.js';
import { quantGranularity, type Granularity } from '../../../../ir/ops/onnx-quantization.js';

/**
 * For each element of a tensor of `shape`, the flat index of its scale / zero point under ONNX's quantization
 * granularity (per-tensor, per-axis or blocked, see ir/ops/onnx-quantization.ts quantGranularity).
 */
export function quantParamIndex(shape: readonly number[], scaleShape: readonly number[], axis: number, blockSize: number): Int32Array {
  const g: Granularity | string = quantGranularity(shape, scaleShape, axis, blockSize);
  if (typeof g === 'string') throw new EdgecError('RUNTIME', g);
  const n = numel(shape);
  const index = new Int32Array(n);
  if (g.kind === 'tensor') return index;
  const size = shape[g.axis]!;
  const inner = numel(shape.slice(g.axis + 1));
  const outer = n / Math.max(1, size * inner);
  const blocks = g.kind === 'block' ? scaleShape[g.axis]! : size;
  const blockSize_ = g.kind === 'block' ? g.blockSize : 1;
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < size; c++) {
      const row = g.kind === 'axis' ? c : (o * blocks + Math.floor(c / blockSize_)) * inner;
      for (let j = 0; j < inner; j++) index[i++] = g.kind === 'axis' ? row : row + j;
    }
  }
  return index;
}
