import { parseGraph, printGraph, type Graph } from '../../../ir/index.js';
import type { Target } from '../../../targets/index.js';
import { referenceTarget } from '../../../targets/reference/index.js';

/**
 * A target for tests only (not shipped), proving that a new target is its folder plus one registry entry: it
 * "compiles" a graph to a tagged IR text and runs it with the reference interpreter. Its node check is its
 * own, so it is visibly a different target: it runs float32 only.
 */
export const TOY_MAGIC = 'edgec-toy\n';

export const toyTarget: Target = {
  name: 'toy',
  description: 'test target: the optimized IR behind a tag, run by the reference interpreter (float32 only)',
  pipeline: (level) => referenceTarget.pipeline(level),
  check: (node) => (node.outputs.every((v) => v.type.dtype === 'f32') ? null : `toy runs float32 only, ${node.op} makes ${node.outputs.map((v) => v.type.dtype).join(', ')}`),
  compile: (graph) => ({ bytes: new TextEncoder().encode(TOY_MAGIC + printGraph(graph)), extension: '.toy', summary: { nodes: graph.nodes.length } }),
};

/** The graph back from a toy artifact. */
export function readToyArtifact(bytes: Uint8Array): Graph {
  const text = new TextDecoder().decode(bytes);
  if (!text.startsWith(TOY_MAGIC)) throw new Error('not a toy artifact');
  return parseGraph(text.slice(TOY_MAGIC.length));
}
