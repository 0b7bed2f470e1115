import { EdgecError, getAttr, inferNodeTypes, makeTensor, Node, nodeActivation, opTraits, Value, type DType, type Graph, type QuantParams, type Tensor } from '../ir/index.js';
import { ACTIVATIONS } from '../ir/ops/activations.js';
import type { Pass, PassOptions } from './pass.js';
import { addConstant, NameAllocator, pruneConstants } from './rewriter.js';
import { isPerTensor, quantizeBias, quantizeWeights } from './quantize-params.js';

/**
 * Static int8 quantization, step one: turns a calibrated float graph into QDQ form. Calibration (compiler/quantize)
 * has put activation parameters on float values (`f32[...] q(scale, zp)`); this pass decides which nodes run in
 * int8 and writes that decision as QuantizeLinear -> DequantizeLinear pairs on their activations, symmetric
 * per-output-channel int8 weights and int32 biases behind DequantizeLinear. lower-qdq then turns the QDQ form
 * into the integer ops of ir/ops/quantized.ts; the QDQ form itself is what `edgec quantize` exports to ONNX.
 *
 * A node runs in int8 when its op is supported, it is not kept in float (`keep-float`: node names or op types,
 * separated by ';'), and its activation operands and result carry parameters. A Relu / Clip right after a
 * computing node is absorbed into it (one requantization, clamped). Data-movement ops (MaxPool, reshapes) take
 * their operand's parameters, so they run on int8 unchanged; Concat gives its parameters to the computing nodes
 * that feed only it, so no requantization is needed there.
 */

const COMPUTE = new Set(['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul', 'Add', 'GlobalAveragePool']);
/** Data movement that runs on int8 unchanged: every output element is one of the operand's (OpTraits). */
const passesThrough = (node: Node) => opTraits(node.op).selectsElements === true;
/** Whether a FusedConv / FusedGemm activation is a clamp, which the int8 output range absorbs. */
const clampActivation = (name: string) => Object.hasOwn(ACTIVATIONS, name) && ACTIVATIONS[name]!.clamp === true;

/** The operands of a node that are activations (quantized at run time), by op. */
function activationOperands(node: Node): number[] {
  if (passesThrough(node)) return [0];
  switch (node.op) {
    case 'Conv':
    case 'FusedConv':
    case 'Gemm':
    case 'FusedGemm':
    case 'GlobalAveragePool':
      return [0];
    case 'MatMul':
      return node.inputs[1]?.data ? [0] : [0, 1];
    case 'Add':
      return [0, 1];
    case 'Concat':
      return node.inputs.map((_, i) => i);
    default:
      return [];
  }
}

const annotated = (v: Value | null | undefined): v is Value => !!v && v.type.dtype === 'f32' && !!v.quant && isPerTensor(v.quant) && !v.data;

/** Whether the node's own form is one the int8 ops can express (constant weights, fusable activation, ...). */
function supportedForm(node: Node): boolean {
  const constOrAbsent = (v: Value | null | undefined) => !v || (!!v.data && v.type.dtype === 'f32');
  switch (node.op) {
    case 'Conv':
    case 'FusedConv':
      if (node.op === 'FusedConv' && (node.inputs[3] || !clampActivation(getAttr<string>(node, 'activation')))) return false;
      return !!node.inputs[1]?.data && node.inputs[1].type.dtype === 'f32' && constOrAbsent(node.inputs[2]) && getAttr<string>(node, 'auto_pad') === 'NOTSET';
    case 'Gemm':
    case 'FusedGemm': {
      if (node.op === 'FusedGemm' && !clampActivation(getAttr<string>(node, 'activation'))) return false;
      if (getAttr<number>(node, 'alpha') !== 1 || getAttr<number>(node, 'transA') !== 0) return false;
      const b = node.inputs[1];
      const c = node.inputs[2];
      if (!b?.data || b.type.dtype !== 'f32' || b.type.shape.length !== 2) return false;
      if (!c) return true;
      const n = b.type.shape[getAttr<number>(node, 'transB') ? 0 : 1];
      const cShape = c.type.shape;
      return constOrAbsent(c) && getAttr<number>(node, 'beta') === 1 && cShape[cShape.length - 1] === n && cShape.slice(0, -1).every((d) => d === 1);
    }
    case 'MatMul': {
      const b = node.inputs[1];
      return !b?.data || (b.type.dtype === 'f32' && b.type.shape.length === 2);
    }
    case 'GlobalAveragePool':
      return node.inputs[0]!.type.shape.slice(2).every((d) => typeof d === 'number');
    case 'Reshape':
      return !!node.inputs[1]?.data;
    case 'Squeeze':
    case 'Unsqueeze':
      return !node.inputs[1] || !!node.inputs[1].data;
    case 'MaxPool':
      return node.outputs.length === 1;
    default:
      return true;
  }
}

/** An activation node the computing node before it can absorb: a clamp by constant (or absent) bounds (Relu, Clip). */
function absorbableActivation(node: Node): boolean {
  const act = nodeActivation(node);
  return act !== undefined && clampActivation(act.name);
}

export function parseKeepFloat(spec: string | undefined): Set<string> {
  return new Set((spec ?? '').split(/[;|]/).map((s) => s.trim()).filter((s) => s.length > 0));
}

const LINEAR = new Set(['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul']);

/**
 * A graph output computed by a linear layer (the logits, typically) is not requantized to 8 bits: lower-qdq
 * dequantizes the layer's int32 accumulator straight to float. 256 levels would round logits that differ by
 * less than a step to the same value, and the top class with them.
 */
function keepsAccumulator(graph: Graph, node: Node, result: Value, users: Map<Value, Node[]>): boolean {
  const activation = node.op.startsWith('Fused') ? getAttr<string>(node, 'activation') : 'None';
  return LINEAR.has(node.op) && result === node.outputs[0] && activation === 'None' && graph.outputs.includes(result) && (users.get(result) ?? []).length === 0;
}

interface Plan {
  /** Nodes that run in int8 (computing, data-movement and absorbed activation nodes). */
  quantized: Set<Node>;
  /** Absorbed activation nodes (part of their producer's requantization). */
  absorbed: Set<Node>;
  /** Values that get a QuantizeLinear -> DequantizeLinear pair. */
  boundaries: Value[];
}

function plan(graph: Graph, keep: Set<string>): Plan {
  const users = graph.users();
  const kept = (n: Node) => keep.has(n.name) || keep.has(n.op) || keep.has(n.outputs[0]!.name);
  const quantized = new Set<Node>();
  const absorbed = new Set<Node>();
  const resultOf = new Map<Node, Value>();
  for (const node of graph.nodes) {
    if (kept(node) || absorbed.has(node)) continue;
    const kind = COMPUTE.has(node.op) ? 'compute' : passesThrough(node) || node.op === 'Concat' ? 'move' : undefined;
    if (!kind || !supportedForm(node)) continue;
    if (!activationOperands(node).every((i) => annotated(node.inputs[i]))) continue;
    let result = node.outputs[0]!;
    const readers = users.get(result) ?? [];
    const act = readers.length === 1 ? readers[0]! : undefined;
    if (kind === 'compute' && act && act.inputs[0] === result && !graph.outputs.includes(result) && !kept(act) && absorbableActivation(act)) {
      absorbed.add(act);
      result = act.outputs[0]!;
    }
    if (!annotated(result)) {
      absorbed.delete(act!);
      continue;
    }
    quantized.add(node);
    if (absorbed.has(act!)) quantized.add(act!);
    resultOf.set(node, result);
  }
  // Concat: the computing nodes that feed only it take its parameters, so it needs no requantization.
  for (const node of graph.nodes) {
    if (node.op !== 'Concat' || !quantized.has(node)) continue;
    const out = node.outputs[0]!.quant!;
    for (const v of node.inputs) {
      const producer = v?.producer;
      const owner = producer && (absorbed.has(producer) ? producer.inputs[0]!.producer! : producer);
      const only = (users.get(v!) ?? []).length === 1 && !graph.outputs.includes(v!);
      if (owner && quantized.has(owner) && COMPUTE.has(owner.op) && only) v!.quant = { scale: [...out.scale], zeroPoint: [...out.zeroPoint] };
    }
  }
  // Data movement keeps its operand's parameters (in graph order, so chains of them agree).
  for (const node of graph.nodes) {
    if (!quantized.has(node) || !passesThrough(node)) continue;
    const q = node.inputs[0]!.quant!;
    node.outputs[0]!.quant = { scale: [...q.scale], zeroPoint: [...q.zeroPoint] };
  }
  const boundaries: Value[] = [];
  const seen = new Set<Value>();
  const consider = (v: Value) => {
    if (!seen.has(v) && annotated(v)) {
      seen.add(v);
      boundaries.push(v);
    }
  };
  for (const v of graph.inputs) if ((users.get(v) ?? []).some((u) => quantized.has(u) && !absorbed.has(u))) consider(v);
  for (const node of graph.nodes) {
    const result = resultOf.get(node);
    if (result && quantized.has(node)) {
      if (!keepsAccumulator(graph, node, result, users)) consider(result);
      else delete result.quant;
    }
    for (const out of node.outputs) if ((users.get(out) ?? []).some((u) => quantized.has(u) && !absorbed.has(u))) consider(out);
  }
  return { quantized, absorbed, boundaries };
}

class QdqBuilder {
  readonly names: NameAllocator;
  constructor(
    readonly graph: Graph,
    readonly dtype: DType,
  ) {
    this.names = new NameAllocator(graph);
  }

  constant(base: string, data: Tensor, quant?: QuantParams): Value {
    const v = addConstant(this.graph, this.names, base, data);
    if (quant) v.quant = quant;
    return v;
  }

  node(op: string, inputs: (Value | null)[], outName: string, attrs: Node['attrs'] = {}): Node {
    const out = new Value(this.names.fresh(outName), { dtype: 'f32', shape: [] });
    const node = new Node(op, inputs, [out], attrs);
    out.type = inferNodeTypes(node)[0]!;
    return node;
  }

  /** DequantizeLinear of integer constant data with (per-axis) parameters. */
  dequantizeConstant(base: string, data: Tensor, quant: QuantParams): Node {
    const perAxis = quant.axis !== undefined;
    const shape = perAxis ? [quant.scale.length] : [];
    const q = this.constant(`${base}_q`, data, quant);
    const scale = this.constant(`${base}_scale`, makeTensor('f32', shape, quant.scale));
    const zp = this.constant(`${base}_zero_point`, makeTensor(data.dtype, shape, quant.zeroPoint));
    return this.node('DequantizeLinear', [q, scale, zp], `${base}_dq`, perAxis ? { axis: quant.axis! } : {});
  }
}

function insertAt(graph: Graph, index: number, nodes: Node[]): void {
  graph.nodes.splice(index, 0, ...nodes);
}

/** Puts QuantizeLinear -> DequantizeLinear after `v` and makes its readers read the dequantized value. */
function insertBoundary(b: QdqBuilder, v: Value): void {
  const graph = b.graph;
  const q = v.quant!;
  const scale = b.constant(`${v.name}_scale`, makeTensor('f32', [], [q.scale[0]!]));
  const zp = b.constant(`${v.name}_zero_point`, makeTensor(b.dtype, [], [q.zeroPoint[0]!]));
  const quantize = b.node('QuantizeLinear', [v, scale, zp], `${v.name}_q`);
  quantize.outputs[0]!.quant = { scale: [...q.scale], zeroPoint: [...q.zeroPoint] };
  const dequantize = b.node('DequantizeLinear', [quantize.outputs[0]!, scale, zp], `${v.name}_dq`);
  for (const node of graph.nodes) node.inputs.forEach((x, i) => x === v && (node.inputs[i] = dequantize.outputs[0]!));
  const outAt = graph.outputs.indexOf(v);
  if (outAt >= 0) {
    // The graph output keeps its name, now on the value that went through int8.
    const name = v.name;
    v.name = b.names.fresh(`${name}_float`);
    dequantize.outputs[0]!.name = name;
    graph.outputs[outAt] = dequantize.outputs[0]!;
  }
  const at = v.producer ? graph.nodes.indexOf(v.producer) + 1 : 0;
  insertAt(graph, at, [quantize, dequantize]);
}

/** Replaces the float weights (and bias) of a quantized computing node by DequantizeLinear of int8 (int32) data. */
function quantizeParameters(b: QdqBuilder, node: Node): void {
  const x = node.inputs[0]!;
  const w = node.inputs[1];
  if (!w?.data || node.op === 'Add') return;
  const isGemm = node.op === 'Gemm' || node.op === 'FusedGemm';
  const axis = node.op === 'MatMul' || (isGemm && !getAttr<number>(node, 'transB')) ? 1 : 0;
  const weights = quantizeWeights(w.data, axis);
  const added: Node[] = [];
  const wdq = b.dequantizeConstant(w.name, weights.data, weights.quant);
  added.push(wdq);
  node.inputs[1] = wdq.outputs[0]!;
  const bias = node.inputs[2];
  if (bias?.data && node.op !== 'MatMul') {
    const flat = { ...bias.data, shape: [bias.data.data.length] };
    const q = quantizeBias(flat, x.quant!.scale[0]!, weights.quant.scale);
    let bdq = b.dequantizeConstant(bias.name, q.data, q.quant);
    added.push(bdq);
    if (bias.type.shape.length !== 1) {
      const shape = b.constant(`${bias.name}_shape`, makeTensor('i64', [bias.type.shape.length], bias.type.shape.map((d) => BigInt(d as number))));
      bdq = b.node('Reshape', [bdq.outputs[0]!, shape], `${bias.name}_reshaped`);
      added.push(bdq);
    }
    node.inputs[2] = bdq.outputs[0]!;
  }
  insertAt(b.graph, b.graph.nodes.indexOf(node), added);
}

export function quantizeGraph(graph: Graph, options: PassOptions): boolean {
  const dtype = (options['activations'] ?? 'u8') as DType;
  if (dtype !== 'u8' && dtype !== 'i8') throw new EdgecError('USAGE', `quantize: activations must be u8 or i8, got '${dtype}'`);
  const { quantized, boundaries } = plan(graph, parseKeepFloat(options['keep-float']));
  if (quantized.size === 0) return false;
  const b = new QdqBuilder(graph, dtype);
  for (const node of [...graph.nodes]) if (quantized.has(node) && COMPUTE.has(node.op)) quantizeParameters(b, node);
  for (const v of boundaries) insertBoundary(b, v);
  pruneConstants(graph);
  return true;
}

export const quantizePass: Pass = {
  name: 'quantize',
  modelOnly: true,
  description: 'static int8 quantization of a calibrated graph into QDQ form (run lower-qdq after it for the int8 ops)',
  options: {
    activations: 'activation dtype: u8 (default) or i8; the calibrated zero points must fit it',
    'keep-float': "node names or op types to keep in float, separated by ';'",
  },
  run: (graph, options) => quantizeGraph(graph, options),
};
