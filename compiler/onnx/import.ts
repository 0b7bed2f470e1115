import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  EdgecError,
  GraphBuilder,
  getOpSchema,
  isRegisteredOp,
  makeTensor,
  verifyGraph,
  type Attributes,
  type ErrorLocation,
  type Graph,
  type Tensor,
  type TensorType,
  type Value,
} from '../../ir/index.js';
import { buildScan8, scan8BodyInputs } from './scan8.js';
import { freeNames, nestedGraphProtos, nodeCaptureNames, subgraphAttributes, subgraphInputTypes } from './subgraphs.js';
import { attributeBigInts, decodeAttribute } from './attributes.js';
import { nodeLabel, orderNodes } from './graph-order.js';
import { declaredInput, resolveInputTypes } from './input-types.js';
import { resolveBindings, type Bindings } from './bind-inputs.js';
import { NormalizeContext, type ImportSession } from './normalize-context.js';
import { irOpFor, normalizeNode } from './normalize.js';
import { foldSmallNode } from './fold-shapes.js';
import { hasField, int64ToNumber, onnx, type AttributeProto, type GraphProto, type ModelProto, type NodeProto } from './proto.js';
import { tensorFromProto } from './tensor-proto.js';

export interface ImportOptions {
  /** Path of the model: named in messages, and its folder is where external data is looked up. */
  file?: string;
  /** Fixes symbolic or unknown input dims, e.g. { input: [1, 32, 64] }. */
  inputShapes?: Record<string, number[]>;
  /**
   * Compute small constant subgraphs (Shape of a static value and the index arithmetic after it) at import
   * time, so fixed input shapes make the whole graph static. Default true.
   */
  foldShapeComputations?: boolean;
  /**
   * Graph inputs fixed to constants (`--bind`): each becomes a constant of its declared type, so what is
   * computed from it folds away, and it is no longer an input of the graph.
   */
  bind?: Bindings;
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);
const isDefaultDomain = (node: NodeProto): boolean => DEFAULT_DOMAINS.has(node.domain ?? '');
const isConstantNode = (node: NodeProto): boolean => isDefaultDomain(node) && node.opType === 'Constant';

/** Decodes an ONNX ModelProto and builds the verified IR graph: canonical IR ops, typed by op inference. */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): Graph {
  const { file } = options;
  const model = decodeModel(bytes, file);
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const opset = defaultOpset(model, nodes, file);
  checkSupportedOps(
    nestedGraphProtos(graph).flatMap((g) => g.node ?? []),
    file,
  );

  const builder = new GraphBuilder(graph.name || (file ? basename(file).replace(/\.onnx$/, '') : 'model'), modelMetadata(model, opset));
  try {
    return buildGraph(builder, graph, opset, options);
  } catch (e) {
    throw withFile(e, file);
  }
}

export function importOnnxFile(path: string, options: Omit<ImportOptions, 'file'> = {}): Graph {
  return importOnnx(readModelFile(path), { ...options, file: path });
}

function readModelFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new EdgecError('IO', `cannot read the model: ${(e as Error).message}`, { file: path });
  }
}

/**
 * The constants `bind` fixes a model file's inputs to, resolved against their declared types, as the import
 * with that `bind` makes them (what a seal records and what peers running the original model are fed).
 */
export function resolveFileBindings(path: string, bind: Bindings): Map<string, Tensor> {
  if (Object.keys(bind).length === 0) return new Map();
  const graph = decodeModel(readModelFile(path), path).graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  return resolveBindings(inputs.map((i) => declaredInput(i, path)), bind, path);
}

export function decodeModel(bytes: Uint8Array, file?: string): ModelProto {
  if (bytes.length === 0) throw new EdgecError('ONNX_DECODE', 'the file is empty, not an ONNX model', { file });
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new EdgecError('ONNX_DECODE', `not a valid ONNX model, or a truncated one (${why})`, { file });
  }
  if (!model.graph) throw new EdgecError('ONNX_DECODE', 'not an ONNX model: it decodes, but holds no graph', { file });
  return model;
}

export function defaultOpset(model: ModelProto, nodes: readonly NodeProto[], file?: string): number {
  const entry = (model.opsetImport ?? []).find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''));
  if (entry) {
    const version = int64ToNumber(entry.version);
    if (!Number.isInteger(version) || version < 1) throw new EdgecError('ONNX_INVALID', `opset version ${version} of the default domain is invalid`, { file });
    return version;
  }
  // IR versions before 3 had no opset_import: those models are opset 1.
  if (int64ToNumber(model.irVersion) >= 3 && nodes.some(isDefaultDomain)) {
    throw new EdgecError('ONNX_INVALID', 'the model uses default-domain ops but imports no default-domain opset', { file });
  }
  return 1;
}

/** Op types edgec cannot import (domain-qualified outside the default domain), with the nodes using each. */
export function unsupportedOnnxOps(nodes: readonly NodeProto[]): Map<string, string[]> {
  const missing = new Map<string, string[]>();
  for (const node of nodes) {
    if (isConstantNode(node)) continue;
    const opType = node.opType ?? '';
    const name = printable(isDefaultDomain(node) ? opType : `${node.domain}.${opType}`);
    // edgec's own ops (FusedConv, QConv...) are made by its optimizer, never read from a model file.
    if (isDefaultDomain(node) && isRegisteredOp(irOpFor(opType)) && !getOpSchema(irOpFor(opType))!.internal) continue;
    const list = missing.get(name) ?? [];
    list.push(printable(nodeLabel(node)));
    missing.set(name, list);
  }
  return missing;
}

/** Every op edgec cannot import, reported together with the nodes that use it, before building anything. */
function checkSupportedOps(nodes: readonly NodeProto[], file?: string): void {
  const missing = unsupportedOnnxOps(nodes);
  if (missing.size === 0) return;
  const parts = [...missing].map(([op, names]) => {
    const shown = names.slice(0, 5).map((n) => `'${n}'`).join(', ');
    const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
    return `${op} (node${names.length > 1 ? 's' : ''} ${shown}${more})`;
  });
  throw new EdgecError('UNSUPPORTED_OP', `unsupported ops: ${parts.join(', ')}`, { file });
}

/** Names from a hostile model may hold control characters; keep messages on one readable line. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function modelMetadata(model: ModelProto, opset: number): Record<string, string> {
  const md: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) md[p.key ?? ''] = p.value ?? '';
  if (model.producerName) md['onnx.producer_name'] = model.producerName;
  if (model.producerVersion) md['onnx.producer_version'] = model.producerVersion;
  if (hasField(model, 'irVersion')) md['onnx.ir_version'] = String(int64ToNumber(model.irVersion));
  md['onnx.opset'] = String(opset);
  if (model.domain) md['onnx.domain'] = model.domain;
  if (hasField(model, 'modelVersion')) md['onnx.model_version'] = String(int64ToNumber(model.modelVersion));
  if (model.docString) md['onnx.doc_string'] = model.docString;
  return md;
}

/** A subgraph to build for a control-flow node: its own inputs' types and the captures it binds. */
interface SubgraphRequest {
  proto: GraphProto;
  inputTypes: TensorType[];
  captures: { name: string; type: TensorType }[];
  /** Outer constants the subgraph reads: copied into it as its own constants. */
  constants: { name: string; data: Tensor }[];
}

/**
 * Builds the model graph and every subgraph. A graph's builder is a generator that yields a request for each
 * subgraph it needs and resumes with the built graph; the driver keeps the builders on an explicit stack, so
 * nesting depth (which the model controls) never deepens the JS call stack.
 */
function buildGraph(builder: GraphBuilder, graph: GraphProto, opset: number, options: ImportOptions): Graph {
  const free = freeNames(graph);
  const stack = [buildScope(builder, graph, opset, options, free)];
  let built: Graph | undefined;
  for (;;) {
    const step = stack[stack.length - 1]!.next(built as Graph);
    built = undefined;
    if (step.done) {
      stack.pop();
      if (stack.length === 0) {
        verifyGraph(step.value);
        return step.value;
      }
      built = step.value;
    } else {
      const { proto, ...outer } = step.value;
      stack.push(buildScope(new GraphBuilder(proto.name || 'subgraph'), proto, opset, options, free, outer));
    }
  }
}

function* buildScope(
  builder: GraphBuilder,
  graph: GraphProto,
  opset: number,
  options: ImportOptions,
  free: ReadonlyMap<GraphProto, string[]>,
  sub?: Omit<SubgraphRequest, 'proto'>,
): Generator<SubgraphRequest, Graph, Graph> {
  const { file } = options;
  const nodes = graph.node ?? [];
  const initializers = graph.initializer ?? [];
  if ((graph.sparseInitializer ?? []).length > 0) {
    throw new EdgecError('UNSUPPORTED_FEATURE', 'sparse initializers are not supported', { file });
  }

  // Names defined before any node: initializers, and graph inputs that are not initializers (models before
  // IR version 4 list every initializer as an input too); in a subgraph, also the outer values it captures.
  const predefined = new Map<string, string>();
  for (const t of initializers) {
    const name = t.name ?? '';
    if (predefined.has(name)) throw new EdgecError('ONNX_INVALID', `initializer '${name}' is defined twice`, { file });
    predefined.set(name, `initializer '${name}'`);
  }
  const inputInfos = (graph.input ?? []).filter((i) => !predefined.has(i.name ?? ''));
  for (const i of inputInfos) {
    const name = i.name ?? '';
    if (predefined.has(name)) throw new EdgecError('ONNX_INVALID', `graph input '${name}' is declared twice`, { file });
    predefined.set(name, `graph input '${name}'`);
  }
  for (const c of [...(sub?.captures ?? []), ...(sub?.constants ?? [])]) if (!predefined.has(c.name)) predefined.set(c.name, `outer value '${c.name}'`);
  const ordered = orderNodes(nodes, predefined, file, (node) => nodeCaptureNames(node, free));
  const outputNames = (graph.output ?? []).map((o) => o.name ?? '');
  for (const name of outputNames) {
    if (!predefined.has(name) && !nodes.some((n) => (n.output ?? []).includes(name))) {
      throw new EdgecError('ONNX_INVALID', `graph output '${name}' is not defined by any node, input or initializer`, { file });
    }
  }

  const taken = new Set<string>(predefined.keys());
  for (const n of nodes) for (const o of n.output ?? []) taken.add(o);
  const session: ImportSession = {
    builder,
    file,
    freshName(base) {
      let name = base;
      for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
      taken.add(name);
      return name;
    },
  };

  const values = new Map<string, Value>();
  if (sub) {
    if (inputInfos.length !== sub.inputTypes.length) {
      throw new EdgecError('ONNX_INVALID', `subgraph '${graph.name ?? ''}' declares ${inputInfos.length} inputs; its node passes ${sub.inputTypes.length}`, { file });
    }
    inputInfos.forEach((info, i) => values.set(info.name ?? '', builder.input(info.name ?? '', sub.inputTypes[i]!)));
    for (const c of sub.captures) if (!values.has(c.name)) values.set(c.name, builder.capture(c.name, c.type));
    for (const c of sub.constants) if (!values.has(c.name)) values.set(c.name, builder.constant(c.name, c.data));
  } else {
    const declared = inputInfos.map((i) => declaredInput(i, file));
    // A bound value's shape pins the symbolic dims it covers in the other inputs too, as inputShapes would.
    const bound = resolveBindings(declared, options.bind ?? {}, file);
    const inputShapes: Record<string, readonly number[]> = { ...options.inputShapes };
    for (const [name, t] of bound) inputShapes[name] ??= t.shape;
    const types = resolveInputTypes(declared, inputShapes, file);
    inputInfos.forEach((info, i) => {
      const name = info.name ?? '';
      const constant = bound.get(name);
      if (!constant) {
        values.set(name, builder.input(name, types[i]!));
        return;
      }
      if (constant.shape.join() !== types[i]!.shape.join()) {
        throw new EdgecError('BAD_SHAPE', `input '${name}' is bound to a value of shape [${constant.shape.join(',')}], but inputShapes gives [${types[i]!.shape.join(',')}]`, { file });
      }
      values.set(name, builder.constant(name, constant));
    });
  }
  for (const t of initializers) values.set(t.name ?? '', builder.constant(t.name ?? '', tensorFromProto(t, { file })));

  for (const node of ordered) {
    const where: ErrorLocation = { file, node: nodeLabel(node), op: node.opType ?? '' };
    if (isConstantNode(node)) {
      const name = (node.output ?? [])[0] ?? '';
      values.set(name, builder.constant(name, constantNodeTensor(node, where)));
      continue;
    }
    const subgraphs = subgraphAttributes(node);
    try {
      if (subgraphs.length === 0) {
        buildNode(session, node, opset, values, options.foldShapeComputations !== false);
        continue;
      }
      const own = (node.input ?? []).map((name) => (name === '' ? null : values.get(name)!));
      // Outer constants are copied into the subgraphs rather than captured, so conditions and shapes computed
      // from them fold inside the subgraph too.
      const outer = nodeCaptureNames(node, free).map((name) => [name, values.get(name)!] as const);
      const constants = outer.filter(([, v]) => v.data).map(([name, v]) => ({ name, data: v.data! }));
      const captureNames = outer.filter(([, v]) => !v.data).map(([name]) => name);
      const captures = captureNames.map((name) => values.get(name)!);
      const attrs: Attributes = {};
      for (const a of node.attribute ?? []) if (!subgraphs.some((s) => s.name === a.name)) attrs[a.name ?? ''] = decodeAttribute(a, where);
      const scan8 = node.opType === 'Scan' && opset < 9 ? scan8BodyInputs(own, attrs, where) : undefined;
      // An If on a condition already constant here (often a shape test folded at import) builds only the branch
      // it takes: the other may not even type-check for these shapes (a rank-2 branch given a rank-3 input).
      const decided = node.opType === 'If' && own[0]?.data?.data.length === 1 ? (Number(own[0].data.data[0]) !== 0 ? 'then_branch' : 'else_branch') : undefined;
      const taken = decided ? subgraphs.filter((s) => s.name === decided) : subgraphs;
      for (const { name, graph: proto } of taken) {
        const inputTypes = scan8?.inputTypes ?? subgraphInputTypes(irOpFor(node.opType ?? ''), own, attrs, where);
        attrs[name] = yield { proto, inputTypes, constants, captures: captureNames.map((n, i) => ({ name: n, type: captures[i]!.type })) };
      }
      const outputs = [...(node.output ?? [])];
      while (outputs.length > 0 && outputs[outputs.length - 1] === '') outputs.pop();
      const label = nodeLabel(node);
      const outputNames = outputs.map((name, i) => (name === '' ? session.freshName(`${label}_unused_${i}`) : name));
      const made = decided
        ? inlineBranch(session, attrs[decided] as Graph, captures, outputNames, nodeLabel(node))
        : scan8
        ? buildScan8(session, own, captures, attrs, attrs['body'] as Graph, scan8.batch, outputNames, label)
        : builder.node(irOpFor(node.opType ?? ''), [...own, ...captures], attrs, { name: node.name ?? '', outputNames });
      outputs.forEach((name, i) => {
        if (name !== '') values.set(name, made[i]!);
      });
    } catch (e) {
      throw withLocation(e, where);
    }
  }
  builder.output(...outputNames.map((name) => values.get(name)!));
  return builder.build();
}

function buildNode(session: ImportSession, node: NodeProto, opset: number, values: Map<string, Value>, fold: boolean): void {
  const where: ErrorLocation = { file: session.file, node: nodeLabel(node), op: node.opType ?? '' };
  const rawAttrs = new Map<string, AttributeProto>();
  const attrs: Attributes = {};
  for (const a of node.attribute ?? []) {
    const name = a.name ?? '';
    if (rawAttrs.has(name)) throw new EdgecError('ONNX_INVALID', `attribute '${name}' is given twice`, where);
    rawAttrs.set(name, a);
    attrs[name] = decodeAttribute(a, where);
  }
  const inputs = (node.input ?? []).map((name) => (name === '' ? null : values.get(name)!));
  const label = nodeLabel(node);
  const ctx = new NormalizeContext(session, node.opType ?? '', opset, node.name ?? '', label, inputs, attrs, rawAttrs);
  const rewrite = normalizeNode(ctx);

  // Trailing omitted outputs are simply not created; an omitted one in the middle still needs a value.
  const outputs = [...(node.output ?? [])];
  while (outputs.length > 0 && outputs[outputs.length - 1] === '') outputs.pop();
  const outputNames = outputs.map((name, i) => (name === '' ? session.freshName(`${label}_unused_${i}`) : name));
  const folded = fold ? foldSmallNode(rewrite, outputNames.length, node.name ?? '') : undefined;
  if (folded) {
    outputs.forEach((name, i) => {
      if (name !== '') values.set(name, session.builder.constant(name, folded[i]!));
    });
    return;
  }
  const made = session.builder.node(rewrite.op, rewrite.inputs, rewrite.attrs, { name: node.name ?? '', outputNames });
  outputs.forEach((name, i) => {
    if (name !== '') values.set(name, made[i]!);
  });
}

/**
 * The nodes of an If's branch built straight into the enclosing graph (its condition being a constant): its
 * captures read the outer values, its constants and nodes are added under fresh names, and each If output
 * keeps its ONNX name (an Identity where the branch returns a value that is not its own node's output).
 */
function inlineBranch(session: ImportSession, branch: Graph, captures: readonly Value[], outputNames: readonly string[], label: string): Value[] {
  const b = session.builder;
  const map = new Map<Value, Value>();
  branch.captures.forEach((c, i) => map.set(c, captures[i]!));
  for (const c of branch.constants) map.set(c, b.constant(session.freshName(`${label}/${c.name}`), c.data!));
  const named = new Map<Value, string>();
  branch.outputs.forEach((v, i) => {
    if (v.producer && !named.has(v) && outputNames[i] !== undefined) named.set(v, outputNames[i]!);
  });
  for (const n of branch.nodes) {
    const names = n.outputs.map((o) => named.get(o) ?? session.freshName(`${label}/${o.name}`));
    const made = b.node(n.op, n.inputs.map((v) => (v ? map.get(v)! : null)), n.attrs, { name: n.name, outputNames: names });
    n.outputs.forEach((o, i) => map.set(o, made[i]!));
  }
  return outputNames.map((name, i) => {
    const v = map.get(branch.outputs[i]!)!;
    return named.get(branch.outputs[i]!) === name ? v : b.op('Identity', [v], {}, name);
  });
}

/** The value of a Constant node, from whichever of its value attributes is set. */
function constantNodeTensor(node: NodeProto, where: ErrorLocation): Tensor {
  const attrs = node.attribute ?? [];
  if (attrs.length !== 1) throw new EdgecError('ONNX_INVALID', `Constant needs exactly one value attribute, got ${attrs.length}`, where);
  const a = attrs[0]!;
  switch (a.name) {
    case 'value':
      return tensorFromProto(a.t ?? {}, { file: where.file, what: `Constant '${where.node}'` });
    case 'value_float':
      return makeTensor('f32', [], [a.f ?? 0]);
    case 'value_floats':
      return makeTensor('f32', [(a.floats ?? []).length], a.floats ?? []);
    case 'value_int':
      return makeTensor('i64', [], attributeBigInts(a));
    case 'value_ints': {
      const ints = a.ints && a.ints.length ? attributeBigInts(a) : [];
      return makeTensor('i64', [ints.length], ints);
    }
    case 'value_string':
    case 'value_strings':
      throw new EdgecError('UNSUPPORTED_DTYPE', `Constant holds strings (${a.name}), which edgec does not support`, where);
    case 'sparse_value':
      throw new EdgecError('UNSUPPORTED_FEATURE', 'Constant holds a sparse tensor, which edgec does not support', where);
    default:
      throw new EdgecError('ONNX_INVALID', `Constant has an unknown attribute '${a.name}'`, where);
  }
}

/** Errors from helpers that know no node (e.g. normalizeAxis) get the ONNX node that was being built. */
function withLocation(e: unknown, where: ErrorLocation): unknown {
  if (!(e instanceof EdgecError) || e.location.node !== undefined || e.location.op) return e;
  const wrapped = new EdgecError(e.code, e.message, { ...where, file: e.location.file ?? where.file });
  wrapped.stack = e.stack;
  return wrapped;
}

/** Adds the model file to errors raised below us (the IR layer does not know it); wraps non-edgec errors. */
function withFile(e: unknown, file: string | undefined): EdgecError {
  if (e instanceof EdgecError) {
    if (!file || e.location.file) return e;
    const prefix = composedPrefix(e.location);
    const message = prefix && e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    const wrapped = new EdgecError(e.code, message, { ...e.location, file });
    wrapped.stack = e.stack;
    return wrapped;
  }
  // Hostile input must never crash the caller with a bare RangeError or TypeError.
  const why = e instanceof Error ? e.message : String(e);
  return new EdgecError('ONNX_INVALID', `the model could not be imported: ${why}`, { file });
}

/** The location prefix EdgecError puts in front of its message (see ir/errors.ts), so we can re-compose it. */
function composedPrefix({ node, op }: ErrorLocation): string {
  return node !== undefined || op ? `node '${node ?? ''}'${op ? ` (${op})` : ''}: ` : '';
}
