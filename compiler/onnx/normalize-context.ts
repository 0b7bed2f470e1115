import {
  EdgecError,
  makeTensor,
  type AttrValue,
  type Attributes,
  type DType,
  type ErrorCode,
  type ErrorLocation,
  type GraphBuilder,
  type Tensor,
  type Value,
} from '../../ir/index.js';
import { attributeBigInts } from './attributes.js';
import type { AttributeProto } from './proto.js';

/** What a normalizer hands back: the canonical IR node that takes the ONNX node's name and outputs. */
export interface Rewrite {
  op: string;
  inputs: (Value | null)[];
  attrs: Attributes;
}

/** Shared state of one import: the builder and the name pool (ONNX names plus the ones we invent). */
export interface ImportSession {
  builder: GraphBuilder;
  file?: string;
  /** A name no ONNX value uses and we have not handed out yet. */
  freshName(base: string): string;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function toI64(x: number | bigint): bigint {
  if (typeof x === 'bigint') return x;
  if (x >= 2 ** 63) return INT64_MAX;
  if (x <= -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

/**
 * One ONNX node on its way to the IR: its operands (already IR values), its decoded attributes (mutable, so
 * normalizers take the legacy ones out) and helpers to add the constants and helper nodes a rewrite needs.
 */
export class NormalizeContext {
  op: string;
  inputs: (Value | null)[];
  readonly attrs: Attributes;

  constructor(
    readonly session: ImportSession,
    op: string,
    /** The opset version of the default domain. */
    readonly opset: number,
    /** The ONNX node name, possibly empty. */
    readonly name: string,
    /** Node name, else first output name: the stem of names we derive. */
    readonly label: string,
    inputs: (Value | null)[],
    attrs: Attributes,
    private readonly rawAttrs: ReadonlyMap<string, AttributeProto>,
  ) {
    this.op = op;
    this.inputs = inputs;
    this.attrs = attrs;
  }

  get where(): ErrorLocation {
    return { file: this.session.file, node: this.label, op: this.op };
  }

  fail(message: string, code: ErrorCode = 'ONNX_INVALID'): never {
    throw new EdgecError(code, message, this.where);
  }

  /** Removes an attribute and returns its value (undefined when it was not given). */
  take<T extends AttrValue>(name: string): T | undefined {
    const v = this.attrs[name];
    delete this.attrs[name];
    return v as T | undefined;
  }

  /** A required operand. */
  input(i: number): Value {
    return this.inputs[i] ?? this.fail(`operand ${i} is required`);
  }

  /** Exact int64 values of an INT/INTS attribute, or undefined when it is not on the node. */
  bigInts(name: string): bigint[] | undefined {
    const raw = this.rawAttrs.get(name);
    return raw ? attributeBigInts(raw) : undefined;
  }

  /** An i64 constant named `<label>_<suffix>` (1-D unless `shape` says otherwise). */
  constI64(suffix: string, values: readonly (number | bigint)[], shape: readonly number[] = [values.length]): Value {
    return this.constant(suffix, makeTensor('i64', shape, values.map(toI64)));
  }

  /** An i64 1-D constant from an int-list attribute, taken off the node; undefined when absent. */
  takeIntsAsConstant(attr: string, suffix = attr): Value | undefined {
    const exact = this.bigInts(attr);
    if (this.take(attr) === undefined || !exact) return undefined;
    return this.constI64(suffix, exact);
  }

  scalar(suffix: string, dtype: DType, value: number): Value {
    return this.constant(suffix, makeTensor(dtype, [], [value]));
  }

  constant(suffix: string, tensor: Tensor): Value {
    return this.session.builder.constant(this.session.freshName(`${this.label}_${suffix}`), tensor);
  }

  /** A helper node before the main one (e.g. the Reshape around a legacy Softmax), named `<label>_<suffix>`. */
  emit(op: string, inputs: (Value | null)[], attrs: Attributes, suffix: string): Value {
    const name = this.session.freshName(`${this.label}_${suffix}`);
    return this.session.builder.node(op, inputs, attrs, { name, outputNames: [name] })[0]!;
  }

  rewrite(op = this.op, inputs = this.inputs, attrs = this.attrs): Rewrite {
    return { op, inputs, attrs };
  }
}
