import { EdgecError, type AttrValue, type ErrorLocation } from '../../ir/index.js';
import { ATTR, int64ToBigInt, int64ToNumber, type AttributeProto } from './proto.js';
import { tensorFromProto } from './tensor-proto.js';

/**
 * ONNX attributes as IR attribute values: ints and floats become numbers, strings are UTF-8 decoded, tensors
 * become IR tensors. Graph-valued attributes are built by the importer itself (compiler/onnx/subgraphs.ts, for
 * ops whose schema takes a graph: If, Loop, Scan); on any other op, and sparse tensors, they are not supported.
 */

const utf8 = new TextDecoder('utf-8');

/** The attribute's type, inferring it from the filled field for very old models that leave `type` unset. */
function attrType(a: AttributeProto): number {
  if (a.type) return a.type;
  if (a.t) return ATTR.TENSOR;
  if (a.g) return ATTR.GRAPH;
  if (a.floats && a.floats.length) return ATTR.FLOATS;
  if (a.ints && a.ints.length) return ATTR.INTS;
  if (a.strings && a.strings.length) return ATTR.STRINGS;
  if (a.s && a.s.length) return ATTR.STRING;
  if (Object.prototype.hasOwnProperty.call(a, 'f')) return ATTR.FLOAT;
  if (Object.prototype.hasOwnProperty.call(a, 'i')) return ATTR.INT;
  return 0;
}

export function decodeAttribute(a: AttributeProto, where: ErrorLocation): AttrValue {
  const name = a.name ?? '';
  const unsupported = (what: string): never => {
    throw new EdgecError('UNSUPPORTED_FEATURE', `attribute '${name}' is ${what}, which edgec does not support`, where);
  };
  if (a.refAttrName) unsupported('a reference to a function attribute');
  switch (attrType(a)) {
    case ATTR.FLOAT:
      return a.f ?? 0;
    case ATTR.INT:
      return int64ToNumber(a.i);
    case ATTR.STRING:
      return utf8.decode(a.s ?? new Uint8Array());
    case ATTR.TENSOR:
      return tensorFromProto(a.t!, { file: where.file, what: `attribute '${name}' of node '${where.node ?? ''}'` });
    case ATTR.FLOATS:
      return [...(a.floats ?? [])];
    case ATTR.INTS:
      return (a.ints ?? []).map((x) => int64ToNumber(x));
    case ATTR.STRINGS:
      return (a.strings ?? []).map((s) => utf8.decode(s));
    case ATTR.GRAPH:
    case ATTR.GRAPHS:
      return unsupported('a subgraph');
    case ATTR.SPARSE_TENSOR:
    case ATTR.SPARSE_TENSORS:
      return unsupported('a sparse tensor');
    case ATTR.TENSORS:
      return unsupported('a list of tensors');
    case ATTR.TYPE_PROTO:
    case ATTR.TYPE_PROTOS:
      return unsupported('a type');
    default:
      throw new EdgecError('ONNX_INVALID', `attribute '${name}' has no value`, where);
  }
}

/** Exact int64 values of an INT or INTS attribute (Slice's INT64_MAX ends must not round past 2^63). */
export function attributeBigInts(a: AttributeProto): bigint[] {
  if (a.ints && a.ints.length) return a.ints.map((x) => int64ToBigInt(x));
  return [int64ToBigInt(a.i)];
}
