import { arrayToBytes } from '../dtype.js';
import { Graph, type AttrValue, type Node, type QuantParams, type Value } from '../graph.js';
import { nestedGraphs } from '../subgraphs.js';
import { getOpSchema, type AttrType } from '../ops/registry.js';
import type { Tensor } from '../tensor.js';
import { formatType } from '../types.js';
import { formatElement, formatFloat32, formatFloat64, formatName } from './format.js';

/**
 * The IR text form, in the spirit of MLIR's generic syntax:
 *
 *   graph @main(%input: f32[1,3,224,224]) {
 *     meta "onnx.opset" = "13"
 *     %w = const f32[2] [0.5, 1.25]
 *     %y = Conv(%input, %w, _) {group = 1, strides = [2, 2]} : f32[1,64,112,112] @"/conv1/Conv"
 *     return %y
 *   }
 *
 * Operands `_` are omitted optionals; `@name` after the type is the source node name; `arena(N)` after a type is
 * the value's byte offset in the run-time arena once plan-memory has run; `q(scale, zero_point)` (per tensor) or
 * `q[axis=0]([scales...], [zero points...])` (per channel) right after a type are the value's quantization
 * parameters (ir/graph.ts QuantParams). Attributes print
 * sorted by name and typed by the op schema, so the text is canonical: parse(print(g)) prints identically.
 *
 * Subgraphs (If branches, Loop and Scan bodies) print after the graph that holds them, as blocks of their own
 * that the attribute names (`{then_branch = @then, else_branch = @else}`), each with its captures after its
 * inputs: `graph @then() captures(%w: f32[3]) { ... }`. A subgraph is closed, so each block is its own scope;
 * blocks come outer before inner and their names are made unique in the text (`@body`, `@body_1`, ...).
 */
export interface PrintOptions {
  /** Constants with more elements than this print as base64 of their bytes (exact); smaller ones as a list. */
  inlineLimit?: number;
  /** Replace the data of constants above this many bytes by a size note (readable, but no longer parseable). */
  elideAboveBytes?: number;
}

const DEFAULT_INLINE_LIMIT = 16;

export function printGraph(root: Graph, options: PrintOptions = {}): string {
  const graphs = nestedGraphs(root);
  const names = new Map<Graph, string>();
  const taken = new Set<string>();
  for (const g of graphs) {
    let name = g.name || 'graph';
    for (let i = 1; taken.has(name); i++) name = `${g.name || 'graph'}_${i}`;
    taken.add(name);
    names.set(g, name);
  }
  return graphs.map((g) => printOneGraph(g, names, options)).join('');
}

function printOneGraph(graph: Graph, names: ReadonlyMap<Graph, string>, options: PrintOptions): string {
  const ref = (v: Value) => formatName('%', v.name);
  const lines: string[] = [];
  const declare = (list: Value[]) => list.map((v) => `${ref(v)}: ${formatValueType(v)}`).join(', ');
  const captures = graph.captures.length > 0 ? ` captures(${declare(graph.captures)})` : '';
  lines.push(`graph ${formatName('@', names.get(graph)!)}(${declare(graph.inputs)})${captures} {`);
  for (const key of Object.keys(graph.metadata).sort()) {
    lines.push(`  meta ${JSON.stringify(key)} = ${JSON.stringify(graph.metadata[key])}`);
  }
  for (const c of graph.constants) {
    lines.push(`  ${ref(c)} = const ${formatType(c.type)}${formatQuant(c.quant)} ${formatTensorData(c.data!, options)}`);
  }
  for (const node of graph.nodes) lines.push(`  ${printNode(node, options, names)}`);
  lines.push(`  return ${graph.outputs.map(ref).join(', ')}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** One node's line; `graphNames` gives the names its subgraphs print under (their own names by default). */
export function printNode(node: Node, options: PrintOptions = {}, graphNames?: ReadonlyMap<Graph, string>): string {
  const outs = node.outputs.map((v) => formatName('%', v.name)).join(', ');
  const operands = node.inputs.map((v) => (v ? formatName('%', v.name) : '_')).join(', ');
  const attrs = printAttributes(node, options, graphNames);
  const types = node.outputs.map(formatValueType).join(', ');
  const name = node.name ? ` ${formatName('@', node.name)}` : '';
  return `${outs} = ${node.op}(${operands})${attrs} : ${types}${name}`;
}

function printAttributes(node: Node, options: PrintOptions, graphNames?: ReadonlyMap<Graph, string>): string {
  const names = Object.keys(node.attrs).sort();
  if (names.length === 0) return '';
  const specs = getOpSchema(node.op)?.attrs ?? {};
  const parts = names.map((name) => {
    const v = node.attrs[name]!;
    if (v instanceof Graph) return `${name} = ${formatName('@', graphNames?.get(v) ?? v.name)}`;
    return `${name} = ${formatAttr(v, specs[name]?.type, options)}`;
  });
  return ` {${parts.join(', ')}}`;
}

function formatAttr(value: Exclude<AttrValue, Graph>, type: AttrType | undefined, options: PrintOptions): string {
  const scalar = (x: number | string, float: boolean) =>
    typeof x === 'string' ? JSON.stringify(x) : float ? formatFloat32(x) : String(x);
  if (Array.isArray(value)) {
    const float = type === 'floats';
    return `[${(value as (number | string)[]).map((x) => scalar(x, float)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    return `tensor<${formatType({ dtype: value.dtype, shape: value.shape })} ${formatTensorData(value, options)}>`;
  }
  return scalar(value, type === 'float');
}

/** A value's type, its quantization and its arena placement once memory is planned: `i8[1,64] q(0.5, -3) arena(4096)`. */
function formatValueType(v: Value): string {
  const arena = v.arenaOffset === undefined ? '' : ` arena(${v.arenaOffset})`;
  return `${formatType(v.type)}${formatQuant(v.quant)}${arena}`;
}

/** ` q(0.5, -3)` or ` q[axis=0]([0.5, 0.25], [0, 0])`; empty without parameters. Scales print as exact doubles. */
function formatQuant(q: QuantParams | undefined): string {
  if (!q) return '';
  if (q.axis === undefined) return ` q(${formatFloat64(q.scale[0]!)}, ${q.zeroPoint[0]!})`;
  return ` q[axis=${q.axis}]([${q.scale.map(formatFloat64).join(', ')}], [${q.zeroPoint.join(', ')}])`;
}

export function formatTensorData(t: Tensor, options: PrintOptions = {}): string {
  const bytes = t.data.length * (t.data.BYTES_PER_ELEMENT ?? 1);
  if (options.elideAboveBytes !== undefined && bytes > options.elideAboveBytes) return `<elided ${bytes} bytes>`;
  if (t.data.length <= (options.inlineLimit ?? DEFAULT_INLINE_LIMIT)) {
    const items: string[] = [];
    for (let i = 0; i < t.data.length; i++) items.push(formatElement(t.dtype, t.data[i]!));
    return `[${items.join(', ')}]`;
  }
  return `base64"${Buffer.from(arrayToBytes(t.dtype, t.data)).toString('base64')}"`;
}
