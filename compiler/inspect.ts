import { dimProduct, dtypeBytes, formatType, getAttr, isFloat, type Graph, type Node } from '../ir/index.js';
import type { OnnxOutline } from './onnx/outline.js';

/**
 * What `edgec inspect` reports about a model: what its protobuf says (signature, op mix, size; see OnnxOutline),
 * plus its arithmetic cost once imported.
 */
export interface ModelSummary extends OnnxOutline {
  /** Multiply-accumulates of Conv/ConvTranspose/Gemm/MatMul and their integer and fused forms; null when a shape is symbolic or the model could not be imported. */
  macs: number | null;
}

/** MACs of one node, 0 for ops that do no multiply-accumulate work, null if its shapes are not static. */
export function nodeMacs(node: Node): number | null {
  const out = node.outputs[0]!.type.shape;
  switch (node.op) {
    case 'Conv':
    case 'FusedConv':
    case 'ConvInteger':
    case 'QConv':
    case 'QLinearConv': {
      const w = node.inputs[node.op === 'QLinearConv' ? 3 : 1]!.type.shape;
      const outputs = dimProduct(out);
      const perOutput = dimProduct(w.slice(1));
      return outputs === undefined || perOutput === undefined ? null : outputs * perOutput;
    }
    case 'ConvTranspose': {
      const x = dimProduct(node.inputs[0]!.type.shape);
      const w = node.inputs[1]!.type.shape;
      const perInput = dimProduct(w.slice(1));
      return x === undefined || perInput === undefined ? null : x * perInput;
    }
    case 'Gemm':
    case 'FusedGemm': {
      const a = node.inputs[0]!.type.shape;
      const k = getAttr<number>(node, 'transA') ? a[0] : a[1];
      const outputs = dimProduct(out);
      return outputs === undefined || typeof k !== 'number' ? null : outputs * k;
    }
    case 'MatMul':
    case 'MatMulInteger':
    case 'QMatMul':
    case 'QLinearMatMul': {
      const a = node.inputs[0]!.type.shape;
      const k = a[a.length - 1];
      const outputs = dimProduct(out);
      return outputs === undefined || typeof k !== 'number' ? null : outputs * k;
    }
    default:
      return 0;
  }
}

export function summarizeModel(graph: Graph, supports: (node: Node) => boolean): ModelSummary {
  const ops: Record<string, number> = {};
  for (const n of graph.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const sortedOps = Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  let parameters = 0;
  let parameterBytes = 0;
  let constantBytes = 0;
  for (const c of graph.constants) {
    const bytes = c.data!.data.length * dtypeBytes(c.type.dtype);
    constantBytes += bytes;
    if (isFloat(c.type.dtype)) {
      parameters += c.data!.data.length;
      parameterBytes += bytes;
    }
  }
  let macs: number | null = 0;
  for (const n of graph.nodes) {
    const m = nodeMacs(n);
    macs = m === null || macs === null ? null : macs + m;
  }
  const unsupported = new Map<string, string[]>();
  for (const n of graph.nodes) {
    if (supports(n)) continue;
    unsupported.set(n.op, [...(unsupported.get(n.op) ?? []), n.label]);
  }
  return {
    name: graph.name,
    inputs: graph.inputs.map((v) => ({ name: v.name, type: formatType(v.type) })),
    outputs: graph.outputs.map((v) => ({ name: v.name, type: formatType(v.type) })),
    nodes: graph.nodes.length,
    ops: sortedOps,
    parameters,
    parameterBytes,
    constantBytes,
    macs,
    unsupported: [...unsupported].map(([op, nodes]) => ({ op, nodes })),
    metadata: { ...graph.metadata },
  };
}
