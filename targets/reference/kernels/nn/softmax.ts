import { normalizeAxis, numel, type Tensor } from '../../../../ir/index.js';
import type { KernelContext } from '../registry.js';
import { floatData, floatResult } from './common.js';

/**
 * Softmax and LogSoftmax along one axis (opset-13 semantics), viewing the input as [outer, axis, inner].
 * The row maximum is subtracted first so exp never overflows.
 */
function softmax(X: Tensor, axisAttr: number, log: boolean): Tensor {
  if (X.shape.length === 0) return floatResult(X.dtype, [], Float64Array.of(log ? 0 : 1));
  const axis = normalizeAxis(axisAttr, X.shape.length);
  const len = X.shape[axis]!;
  const inner = numel(X.shape.slice(axis + 1));
  const outer = numel(X.shape.slice(0, axis));
  const data = floatData(X);
  const out = new Float64Array(data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, data[base + k * inner]!);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(data[base + k * inner]! - max);
      const logSum = Math.log(sum);
      for (let k = 0; k < len; k++) {
        const shifted = data[base + k * inner]! - max;
        out[base + k * inner] = log ? shifted - logSum : Math.exp(shifted) / sum;
      }
    }
  }
  return floatResult(X.dtype, X.shape, out);
}

export const softmaxKernel = ([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] => [softmax(x!, ctx.attr<number>('axis'), false)];
export const logSoftmaxKernel = ([x]: readonly (Tensor | null)[], ctx: KernelContext): Tensor[] => [softmax(x!, ctx.attr<number>('axis'), true)];
