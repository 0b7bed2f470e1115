import { printGraph } from '../../ir/index.js';
import { pipelineFor } from '../../passes/pipelines.js';
import type { Target } from '../target.js';
import { getKernel } from './kernels/index.js';

export { runGraph, checkFeeds, unsupportedByReference, type Feeds, type RunOptions } from './interpreter.js';
export { kernelOps } from './kernels/index.js';
export { referenceEvaluate } from './evaluate.js';

/** The reference interpreter as a target: its artifact is the optimized graph in the IR text form. */
export const referenceTarget: Target = {
  name: 'reference',
  description: 'plain TypeScript interpreter with ONNX semantics; the numerical oracle',
  pipeline: (level) => pipelineFor(level),
  check: (node) => (getKernel(node.op) ? null : `no reference kernel for ${node.op}`),
  compile(graph) {
    const text = printGraph(graph);
    return { bytes: new TextEncoder().encode(text), extension: '.ir', summary: { nodes: graph.nodes.length } };
  },
};
