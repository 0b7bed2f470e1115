import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { dtypeBytes, EdgecError, formatType, isFloat } from '../../ir/index.js';
import { onnxDTypeToIr } from './dtypes.js';
import { decodeModel, defaultOpset, modelMetadata, unsupportedOnnxOps } from './import.js';
import { declaredInput } from './input-types.js';
import { int64ToNumber, type ValueInfoProto } from './proto.js';

/**
 * What can be said of an ONNX model straight from its protobuf, without building the IR: enough for
 * `edgec inspect` to describe a model whose ops edgec cannot import (yet), and to list those ops.
 */
export interface OnnxOutline {
  name: string;
  inputs: { name: string; type: string }[];
  outputs: { name: string; type: string }[];
  nodes: number;
  /** Op type -> node count, most frequent first. */
  ops: Record<string, number>;
  /** Elements and bytes of all floating-point constants (the learned weights). */
  parameters: number;
  parameterBytes: number;
  /** Bytes of all constants. */
  constantBytes: number;
  /** Ops of nodes edgec cannot run, with their node names. */
  unsupported: { op: string; nodes: string[] }[];
  metadata: Record<string, string>;
}

function describeValue(info: ValueInfoProto, file: string): string {
  try {
    const v = declaredInput(info, file);
    return v.shape ? formatType({ dtype: v.dtype, shape: v.shape }) : `${v.dtype}[unknown rank]`;
  } catch (e) {
    if (e instanceof EdgecError) return `(${e.message.replace(`${file}: `, '')})`;
    throw e;
  }
}

export function outlineOnnxFile(path: string): OnnxOutline {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new EdgecError('IO', `cannot read the model: ${(e as Error).message}`, { file: path });
  }
  const model = decodeModel(bytes, path);
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const ops: Record<string, number> = {};
  for (const n of nodes) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : (n.opType ?? '');
    ops[op] = (ops[op] ?? 0) + 1;
  }
  let parameters = 0;
  let parameterBytes = 0;
  let constantBytes = 0;
  for (const t of graph.initializer ?? []) {
    let dtype;
    try {
      dtype = onnxDTypeToIr(t.dataType ?? 0);
    } catch {
      continue; // element types edgec does not have are not counted
    }
    const elements = (t.dims ?? []).reduce<number>((a, d) => a * int64ToNumber(d), 1);
    constantBytes += elements * dtypeBytes(dtype);
    if (isFloat(dtype)) {
      parameters += elements;
      parameterBytes += elements * dtypeBytes(dtype);
    }
  }
  return {
    name: graph.name || basename(path).replace(/\.onnx$/, ''),
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name ?? '')).map((i) => ({ name: i.name ?? '', type: describeValue(i, path) })),
    outputs: (graph.output ?? []).map((o) => ({ name: o.name ?? '', type: describeValue(o, path) })),
    nodes: nodes.length,
    ops: Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    parameters,
    parameterBytes,
    constantBytes,
    unsupported: [...unsupportedOnnxOps(nodes)].map(([op, names]) => ({ op, nodes: names })),
    metadata: modelMetadata(model, defaultOpset(model, nodes, path)),
  };
}
