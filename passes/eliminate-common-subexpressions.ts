import { getOpSchema, resolvedAttrs, type AttrValue, Graph, type Node, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { eraseNodes, moveGraphOutput, pruneConstants } from './rewriter.js';
import { UseLists } from './use-lists.js';
import { tensorHash, tensorsEqual } from './util-tensors.js';
import { refreshTypes } from './util-types.js';

/** Ops whose two operands may be swapped without changing the result (broadcasting is symmetric for them). */
const COMMUTATIVE = new Set(['Add', 'Mul', 'Max', 'Min', 'Sum', 'Mean', 'Equal']);

/**
 * Merges equal constants (same dtype, shape and bytes), then nodes computing the same thing: same op, same
 * operands and equal attributes (defaults filled in, tensors compared by content). Visits in graph order and
 * keeps the first of each class, so the result is deterministic.
 */
export const eliminateCommonSubexpressionsPass: Pass = {
  name: 'eliminate-common-subexpressions',
  description: 'merges identical constants and nodes with the same op, operands and attributes',
  run(graph, _options, context) {
    const constants = mergeEqualConstants(graph);
    const nodes = mergeEqualNodes(graph);
    if (nodes > 0) refreshTypes(graph);
    context.reports.set('eliminate-common-subexpressions', { constants, nodes });
    return constants > 0 || nodes > 0;
  },
};

/**
 * replaceAllUses over use-lists built once for the pass: each merge costs the reads it moves, not a scan of the
 * graph (which made merging quadratic in graph size).
 */
function useReplacer(graph: Graph): (from: Value, to: Value) => boolean {
  const index = new Map(graph.nodes.map((n, i) => [n, i]));
  const uses = new UseLists(graph.nodes, (a, b) => index.get(a)! - index.get(b)!);
  return (from, to) => {
    uses.replaceAllUses(from, to);
    return moveGraphOutput(graph, from, to);
  };
}

function mergeEqualConstants(graph: Graph): number {
  const replaceAllUses = useReplacer(graph);
  const buckets = new Map<string, Value[]>();
  let merged = 0;
  for (const c of [...graph.constants]) {
    const key = tensorHash(c.data!);
    const bucket = buckets.get(key) ?? [];
    const twin = bucket.find((k) => tensorsEqual(k.data!, c.data!));
    if (!twin) {
      bucket.push(c);
      buckets.set(key, bucket);
    } else if (replaceAllUses(c, twin)) {
      merged++;
    }
  }
  pruneConstants(graph);
  return merged;
}

function mergeEqualNodes(graph: Graph): number {
  const replaceAllUses = useReplacer(graph);
  // Values numbered in graph order: the key of a node names its operands by number, never by name.
  const ids = new Map<Value, number>();
  const number = (v: Value) => {
    let id = ids.get(v);
    if (id === undefined) ids.set(v, (id = ids.size));
    return id;
  };
  for (const v of [...graph.inputs, ...graph.constants]) number(v);
  const seen = new Map<string, Node>();
  const erased: Node[] = [];
  for (const node of graph.nodes) {
    const operands = node.inputs.map((v) => (v ? number(v) : -1));
    if (COMMUTATIVE.has(node.op) && operands.length === 2) operands.sort((a, b) => a - b);
    const key = `${node.op}(${operands.join(',')})${node.outputs.length}${attributesKey(node)}`;
    const twin = seen.get(key);
    if (twin && node.outputs.every((out, i) => replaceAllUses(out, twin.outputs[i]!))) {
      erased.push(node);
      continue;
    }
    if (!twin) seen.set(key, node);
    for (const out of node.outputs) number(out);
  }
  eraseNodes(graph, erased);
  return erased.length;
}

/**
 * A canonical text of the node's attributes with defaults filled in; tensors by dtype, shape and content.
 * Float attributes are compared at float32 precision, the precision ONNX stores them in (a default written as
 * 0.01 equals an explicit 0.01 read back from a model).
 */
function attributesKey(node: Node): string {
  const attrs = resolvedAttrs(node);
  const specs = getOpSchema(node.op)?.attrs ?? {};
  return Object.keys(attrs)
    .sort()
    .map((name) => {
      const type = specs[name]?.type;
      return `${name}=${attrValueKey(attrs[name]!, type === 'float' || type === 'floats')}`;
    })
    .join(';');
}

/** Subgraphs compare by identity: nodes holding different subgraph objects are never merged. */
const subgraphIds = new WeakMap<Graph, number>();
let nextSubgraphId = 0;

function attrValueKey(v: AttrValue, float32: boolean): string {
  if (v instanceof Graph) {
    if (!subgraphIds.has(v)) subgraphIds.set(v, nextSubgraphId++);
    return `graph#${subgraphIds.get(v)!}`;
  }
  const scalar = (x: number | string) => {
    if (typeof x === 'string') return JSON.stringify(x);
    const n = float32 ? Math.fround(x) : x;
    return Object.is(n, -0) ? '-0' : String(n);
  };
  if (Array.isArray(v)) return `[${(v as (number | string)[]).map(scalar).join(',')}]`;
  if (typeof v === 'object') {
    const elements = Array.from(v.data as ArrayLike<number | bigint>, (x) => (Object.is(x, -0) ? '-0' : String(x)));
    return `tensor<${v.dtype}[${v.shape.join(',')}] ${elements.join(',')}>`;
  }
  return scalar(v);
}
