import { arrayToBytes, EdgecError, getAttr, getOpSchema, isDType, type AttrValue, Graph, type Node, type Tensor, type Value } from '../../ir/index.js';
import { irDTypeToOnnx } from './dtypes.js';
import { ATTR, onnx, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/**
 * IR -> ONNX ModelProto, for graphs made of standard ONNX ops (the IR's canonical op forms are the newest
 * opset's, so they are written under one recent opset) plus FusedConv / FusedGemm, which are written back as
 * Conv / Gemm followed by the residual Add and the activation. This is how `edgec quantize` writes its QDQ
 * model; edgec's own integer ops (QConv, ...) have no ONNX form and are refused.
 */
export const EXPORT_OPSET = 21;
const EXPORT_IR_VERSION = 10;
/** Attributes whose value is an element type: IR dtype names go back to ONNX enum numbers. */
const DTYPE_ATTRS = new Set(['to', 'output_dtype', 'dtype']);

function tensorProto(name: string, t: Tensor): TensorProto {
  const rawData = t.dtype === 'bool' ? Uint8Array.from(t.data as Uint8Array, (x) => (x ? 1 : 0)) : arrayToBytes(t.dtype, t.data);
  return { name, dims: [...t.shape], dataType: irDTypeToOnnx(t.dtype), rawData };
}

function valueInfo(v: Value): ValueInfoProto {
  const dim = v.type.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === '?' ? {} : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: irDTypeToOnnx(v.type.dtype), shape: { dim } } } };
}

function attribute(name: string, value: AttrValue, node: Node): AttributeProto | undefined {
  if (typeof value === 'string') {
    if (DTYPE_ATTRS.has(name)) {
      if (value === '') return undefined;
      if (isDType(value)) return { name, type: ATTR.INT, i: irDTypeToOnnx(value) };
    }
    return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  }
  if (typeof value === 'number') {
    return isFloatAttr(node, name) ? { name, type: ATTR.FLOAT, f: value } : { name, type: ATTR.INT, i: value };
  }
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') return { name, type: ATTR.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) };
    return isFloatAttr(node, name) ? { name, type: ATTR.FLOATS, floats: value as number[] } : { name, type: ATTR.INTS, ints: value as number[] };
  }
  if (value instanceof Graph) {
    throw new EdgecError('UNSUPPORTED_FEATURE', `attribute '${name}' is a subgraph, which the ONNX exporter does not write`, { node: node.label, op: node.op });
  }
  return { name, type: ATTR.TENSOR, t: tensorProto('', value) };
}

/** Whether the op's schema types the attribute as float(s): numbers alone cannot tell 1.0 from 1. */
function isFloatAttr(node: Node, name: string): boolean {
  const type = getOpSchema(node.op)?.attrs[name]?.type;
  return type === 'float' || type === 'floats';
}

class Writer {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly taken: Set<string>;

  constructor(graph: Graph) {
    this.taken = new Set(graph.valuesByName().keys());
  }

  fresh(base: string): string {
    let name = `${base}_${this.counter++}`;
    while (this.taken.has(name)) name = `${base}_${this.counter++}`;
    this.taken.add(name);
    return name;
  }

  node(op: string, inputs: string[], outputs: string[], attrs: AttributeProto[] = [], name = ''): void {
    this.nodes.push({ opType: op, input: inputs, output: outputs, attribute: attrs, name });
  }

  scalar(base: string, x: number): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, { dtype: 'f32', shape: [], data: Float32Array.of(x) }));
    return name;
  }
}

function plainAttrs(node: Node, skip: readonly string[] = []): AttributeProto[] {
  return Object.keys(node.attrs)
    .sort()
    .filter((k) => !skip.includes(k))
    .map((k) => attribute(k, node.attrs[k]!, node))
    .filter((a): a is AttributeProto => a !== undefined);
}

/** Writes the activation of a fused op from `input` to `output`. */
function activation(w: Writer, node: Node, input: string, output: string): void {
  const name = getAttr<string>(node, 'activation');
  const params = getAttr<number[]>(node, 'activation_params');
  switch (name) {
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
      return w.node(name, [input], [output]);
    case 'Clip': {
      const lo = Number.isFinite(params[0]!) ? w.scalar(`${output}_min`, params[0]!) : '';
      const hi = Number.isFinite(params[1]!) ? w.scalar(`${output}_max`, params[1]!) : '';
      return w.node('Clip', [input, lo, hi], [output]);
    }
    case 'LeakyRelu':
      return w.node('LeakyRelu', [input], [output], [{ name: 'alpha', type: ATTR.FLOAT, f: params[0] ?? 0.01 }]);
    case 'HardSigmoid':
      return w.node('HardSigmoid', [input], [output], [
        { name: 'alpha', type: ATTR.FLOAT, f: params[0] ?? 0.2 },
        { name: 'beta', type: ATTR.FLOAT, f: params[1] ?? 0.5 },
      ]);
    case 'HardSwish':
      return w.node('HardSwish', [input], [output]);
    default:
      throw new EdgecError('UNSUPPORTED_OP', `cannot export activation ${name} of ${node.op} to ONNX`, { node: node.label, op: node.op });
  }
}

function writeNode(w: Writer, node: Node): void {
  const ins = node.inputs.map((v) => (v ? v.name : ''));
  const outs = node.outputs.map((v) => v.name);
  if (node.op === 'FusedConv' || node.op === 'FusedGemm') {
    const base = node.op === 'FusedConv' ? 'Conv' : 'Gemm';
    const hasAct = getAttr<string>(node, 'activation') !== 'None';
    const z = node.op === 'FusedConv' ? node.inputs[3] : null;
    let current = hasAct || z ? w.fresh(`${outs[0]}_${base.toLowerCase()}`) : outs[0]!;
    w.node(base, ins.slice(0, 3).filter((_, i) => i < 2 || ins[2] !== ''), [current], plainAttrs(node, ['activation', 'activation_params']), node.name);
    if (z) {
      const sum = hasAct ? w.fresh(`${outs[0]}_sum`) : outs[0]!;
      w.node('Add', [current, z.name], [sum]);
      current = sum;
    }
    if (hasAct) activation(w, node, current, outs[0]!);
    return;
  }
  if (getOpSchema(node.op)?.internal) {
    throw new EdgecError('UNSUPPORTED_OP', `${node.op} has no ONNX form; export the QDQ graph (before lower-qdq) of a graph without it`, { node: node.label, op: node.op });
  }
  while (ins.length > 0 && ins[ins.length - 1] === '') ins.pop();
  w.node(node.op, ins, outs, plainAttrs(node), node.name);
}

/** The graph as a serialized ONNX model (opset 21). */
export function exportOnnx(graph: Graph, options: { producer?: string } = {}): Uint8Array {
  const w = new Writer(graph);
  for (const c of graph.constants) w.initializers.push(tensorProto(c.name, c.data!));
  for (const node of graph.nodes) writeNode(w, node);
  const metadataProps = Object.entries(graph.metadata)
    .filter(([k]) => !k.startsWith('onnx.'))
    .map(([key, value]) => ({ key, value }));
  const model = {
    irVersion: EXPORT_IR_VERSION,
    producerName: options.producer ?? 'edgec',
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    metadataProps,
    graph: {
      name: graph.name,
      node: w.nodes,
      initializer: w.initializers,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
