import { EdgecError, type ErrorCode } from '../errors.js';
import { Graph, type AttrValue, type Attributes, type Node } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { formatType, type TensorType } from '../types.js';
import type { Activation } from './activations.js';
import { exprOperand, type Expr } from './expression.js';

/**
 * The op registry: one schema per IR op, registered once. An IR op has one canonical form, the form of the
 * newest ONNX opset (operands where ONNX moved attributes to inputs, e.g. Reshape's shape or ReduceSum's axes);
 * the ONNX front end rewrites older forms into it. Attributes that name an element type hold an IR dtype name
 * ('f32'), not an ONNX enum.
 */
export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor' | 'graph';

export interface AttrSpec {
  type: AttrType;
  default?: AttrValue;
  required?: boolean;
}

export interface OperandSpec {
  name: string;
  /** May be omitted (null) — only trailing operands in ONNX, but null anywhere is accepted. */
  optional?: boolean;
  /** Takes all remaining operands (must be the last spec). */
  variadic?: boolean;
}

export interface InferContext {
  readonly node: Node;
  /** Operand types in schema order; null where an optional operand is omitted. */
  readonly inputs: readonly (TensorType | null)[];
  /** The operand's data when it is a constant, so shapes that depend on values can be inferred. */
  constant(index: number): Tensor | undefined;
  /** The attribute's value, or its schema default. */
  attr<T extends AttrValue>(name: string): T;
  /** Whether the attribute was given explicitly on the node. */
  hasAttr(name: string): boolean;
  /** The operand's type; fails if the operand is omitted. */
  input(index: number): TensorType;
  fail(message: string, code?: ErrorCode): never;
}

/**
 * What passes and targets may assume about an op, stated once here rather than in lists beside each pass and
 * target. Each trait is a promise every target's kernel keeps (tests/ir/op-traits.test.ts checks them).
 */
export interface OpTraits {
  /**
   * y[i] is a function of the operands' elements at i, ONNX-broadcast: 'unary' when operand 0 is the only data
   * operand (any others are scalar parameters, like Clip's bounds), 'broadcast' when all operands broadcast
   * against each other.
   */
  readonly elementwise?: 'unary' | 'broadcast';
  /**
   * The kernel reads every operand element before it writes the output element at the same index, so the
   * output may be placed over a same-shaped operand of the same dtype that dies at this node (plan-memory).
   */
  readonly inPlace?: boolean;
  /** Output 0 is operand 0's elements in the same order (a reshape): it takes operand 0's bytes, no copy. */
  readonly view?: boolean;
  /**
   * Every element of output 0 is one of operand 0's elements (rearranged, or picked by a max), so a quantized
   * operand's scale and zero point carry over unchanged (quantize, lower-qdq).
   */
  readonly selectsElements?: boolean;
}

export interface OpSchema {
  name: string;
  doc: string;
  inputs: OperandSpec[];
  outputs: OperandSpec[];
  attrs: Record<string, AttrSpec>;
  traits?: OpTraits;
  /**
   * Operands whose values, not only their shapes, decide the output shape (Reshape's shape, Slice's starts,
   * ends, axes and steps, a reduction's axes, Range's bounds...; Resize's roi too, which places its sampling
   * grid). Shape inference reads only these operands' values, so a node's output shape is static once its
   * operand shapes are and these operands are constants: a graph input that reaches one must be bound
   * (`--bind`) for a static-shape target to plan the graph (plan-memory names them; the conformance runner
   * binds them).
   */
  shapeOperands?: readonly number[];
  /**
   * An op of edgec's own (fused or lowered integer forms the optimizer makes), not an ONNX op: the ONNX front
   * end refuses it in a model file and the exporter has no form for it (FusedConv / FusedGemm excepted, which
   * it writes back as their ONNX parts).
   */
  internal?: boolean;
  /**
   * For elementwise ops: what the op computes, as an expression over its operands (`args[i]` stands for operand
   * i, null where it is omitted), or undefined when this node's attributes have no expression. Passes fuse and
   * targets lower ops through it; the reference interpreter keeps its own kernel, as the independent oracle.
   */
  expression?(node: Node, args: readonly (Expr | null)[]): Expr | undefined;
  /** For ops FusedConv / FusedGemm can absorb: the activation this node applies, or undefined when it cannot. */
  activation?(node: Node): Activation | undefined;
  /** Output types (dtype + shape) from operand types; validates operand dtypes and shapes. */
  infer(ctx: InferContext): TensorType[];
}

const registry = new Map<string, OpSchema>();

export function registerOp(schema: OpSchema): void {
  if (registry.has(schema.name)) throw new Error(`op ${schema.name} registered twice`);
  registry.set(schema.name, schema);
}

export function getOpSchema(op: string): OpSchema | undefined {
  return registry.get(op);
}

export function isRegisteredOp(op: string): boolean {
  return registry.has(op);
}

/** Registered op names, sorted. */
export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}

const NO_TRAITS: OpTraits = {};

/** The op's traits (none for an unknown op). */
export function opTraits(op: string): OpTraits {
  return registry.get(op)?.traits ?? NO_TRAITS;
}

/** The operand indices whose values decide an op's output shape (none for an unknown op). */
export function shapeOperands(op: string): readonly number[] {
  return registry.get(op)?.shapeOperands ?? [];
}

/**
 * The expression a node computes over its operands x0, x1, ... (operand i = the node's input i), or undefined
 * when its op has none or this node's attributes have none.
 */
export function nodeExpression(node: Node): Expr | undefined {
  return registry.get(node.op)?.expression?.(node, node.inputs.map((v, i) => (v ? exprOperand(i) : null)));
}

/** The activation a node applies when FusedConv / FusedGemm could absorb it, else undefined. */
export function nodeActivation(node: Node): Activation | undefined {
  return registry.get(node.op)?.activation?.(node);
}

function requireSchema(node: Node): OpSchema {
  const schema = registry.get(node.op);
  if (!schema) throw new EdgecError('UNSUPPORTED_OP', `unknown op '${node.op}'`, { node: node.label, op: node.op });
  return schema;
}

/** The value of an attribute on a node, falling back to the schema default. */
export function getAttr<T extends AttrValue>(node: Node, name: string): T {
  const given = node.attrs[name];
  if (given !== undefined) return given as T;
  const spec = requireSchema(node).attrs[name];
  if (!spec) throw new EdgecError('VERIFY', `op ${node.op} has no attribute '${name}'`, { node: node.label, op: node.op });
  if (spec.default === undefined) {
    throw new EdgecError('ONNX_INVALID', `required attribute '${name}' is missing`, { node: node.label, op: node.op });
  }
  return spec.default as T;
}

/** Every attribute with defaults filled in (for interpreters and code generators). */
export function resolvedAttrs(node: Node): Attributes {
  const out: Attributes = {};
  for (const [name, spec] of Object.entries(requireSchema(node).attrs)) {
    const v = node.attrs[name] ?? spec.default;
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function checkOperandCount(node: Node, specs: OperandSpec[], actual: number, what: 'inputs' | 'outputs'): void {
  const variadic = specs.length > 0 && specs[specs.length - 1]!.variadic === true;
  let minimum = 0;
  for (let i = 0; i < specs.length; i++) if (!specs[i]!.optional && !specs[i]!.variadic) minimum = i + 1;
  if (variadic && !specs[specs.length - 1]!.optional) minimum = specs.length;
  const maximum = variadic ? Infinity : specs.length;
  if (actual < minimum || actual > maximum) {
    const range = maximum === Infinity ? `at least ${minimum}` : minimum === maximum ? `${minimum}` : `${minimum} to ${maximum}`;
    throw new EdgecError('ONNX_INVALID', `${node.op} takes ${range} ${what}, got ${actual}`, { node: node.label, op: node.op });
  }
}

function attrMatches(type: AttrType, v: AttrValue): boolean {
  switch (type) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'ints':
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
    case 'floats':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'tensor':
      return typeof v === 'object' && !Array.isArray(v) && 'dtype' in v;
    case 'graph':
      return v instanceof Graph;
  }
}

/** Check a node's arity and attributes against its schema, then infer its output types. */
export function inferNodeTypes(node: Node): TensorType[] {
  const schema = requireSchema(node);
  const where = { node: node.label, op: node.op };
  checkOperandCount(node, schema.inputs, node.inputs.length, 'inputs');
  checkOperandCount(node, schema.outputs, node.outputs.length, 'outputs');
  for (const [name, value] of Object.entries(node.attrs)) {
    const spec = schema.attrs[name];
    if (!spec) throw new EdgecError('ONNX_INVALID', `unknown attribute '${name}'`, where);
    if (!attrMatches(spec.type, value)) throw new EdgecError('ONNX_INVALID', `attribute '${name}' must be of type ${spec.type}`, where);
  }
  for (const [name, spec] of Object.entries(schema.attrs)) {
    if (spec.required && node.attrs[name] === undefined) throw new EdgecError('ONNX_INVALID', `required attribute '${name}' is missing`, where);
  }
  node.inputs.forEach((v, i) => {
    const spec = schema.inputs[Math.min(i, schema.inputs.length - 1)]!;
    if (v === null && !spec.optional) throw new EdgecError('ONNX_INVALID', `operand ${i} ('${spec.name}') is required`, where);
  });
  const ctx: InferContext = {
    node,
    inputs: node.inputs.map((v) => (v ? v.type : null)),
    constant: (i) => node.inputs[i]?.data,
    attr: <T extends AttrValue>(name: string) => getAttr<T>(node, name),
    hasAttr: (name) => node.attrs[name] !== undefined,
    input: (i) => {
      const v = node.inputs[i];
      if (!v) throw new EdgecError('ONNX_INVALID', `operand ${i} is required`, where);
      return v.type;
    },
    fail: (message, code = 'TYPE_MISMATCH') => {
      throw new EdgecError(code, message, where);
    },
  };
  const types = schema.infer(ctx);
  if (types.length < node.outputs.length) {
    throw new EdgecError('VERIFY', `inference gave ${types.length} output types for ${node.outputs.length} outputs`, where);
  }
  return types.slice(0, node.outputs.length);
}

/** For messages: `f32[1,3]` for each operand type. */
export function describeOperands(ctx: InferContext): string {
  return ctx.inputs.map((t) => (t ? formatType(t) : '_')).join(', ');
}
