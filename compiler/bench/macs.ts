import { nodeMacs } from '../inspect.js';
import type { Graph, Node } from '../../ir/index.js';

/** MACs of a node (fused ops count their Conv/Gemm); 0 for ops without multiply-accumulate work or with symbolic shapes. */
export function macsOf(node: Node): number {
  return nodeMacs(node) ?? 0;
}

export function graphMacs(graph: Graph): number {
  return graph.nodes.reduce((sum, n) => sum + macsOf(n), 0);
}
