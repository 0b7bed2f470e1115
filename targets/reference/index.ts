import { getKernel } from './kernels/index.js';
import type { Target } from '../target.js';

export { runGraph, checkFeeds, unsupportedByReference, type Feeds, type RunOptions } from './interpreter.js';
export { kernelOps } from './kernels/index.js';

export const referenceTarget: Target = {
  name: 'reference',
  description: 'plain TypeScript interpreter with ONNX semantics; the numerical oracle',
  pipeline: '',
  supports: (node) => getKernel(node.op) !== undefined,
};
