import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';

/**
 * A tiny ModelProto maker for importer tests: nodes, inputs, initializers and attributes spelled compactly,
 * encoded with onnx-proto so the importer reads exactly what a real exporter would write.
 */
const { onnx } = onnxProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type Long = protobuf.Long;

export const T = { FLOAT: 1, UINT8: 2, INT8: 3, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, BFLOAT16: 16, FLOAT8E4M3FN: 17 } as const;

/** An exact int64 for protobufjs fields (numbers beyond 2^53 would round). */
export function i64(v: bigint | string): Long {
  const LongCtor = protobuf.util.Long as unknown as { fromString(s: string, unsigned?: boolean): Long };
  return LongCtor.fromString(String(v));
}

export type AttrInit = Omit<IAttributeProto, 'name'>;
export const attr = {
  int: (i: number | Long): AttrInit => ({ type: 2, i }),
  ints: (...ints: (number | Long)[]): AttrInit => ({ type: 7, ints }),
  float: (f: number): AttrInit => ({ type: 1, f }),
  floats: (...floats: number[]): AttrInit => ({ type: 6, floats }),
  str: (s: string): AttrInit => ({ type: 3, s: new TextEncoder().encode(s) }),
  tensor: (t: ITensorProto): AttrInit => ({ type: 4, t }),
  graph: (): AttrInit => ({ type: 5, g: { name: 'body' } }),
};

export interface NodeInit {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrInit>;
}

export interface InputInit {
  name: string;
  elemType?: number;
  /** number = dim_value, string = dim_param, null = neither; undefined shape = no shape at all. */
  shape?: (number | string | null | Long)[];
}

export interface ModelInit {
  opset?: number;
  inputs?: InputInit[];
  outputs: string[];
  nodes?: NodeInit[];
  initializers?: ITensorProto[];
  metadata?: Record<string, string>;
  irVersion?: number;
  producerName?: string;
  extraOpsets?: { domain: string; version: number }[];
}

export function node(op: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrInit>, name?: string): NodeInit {
  return { op, inputs, outputs, attrs, name: name ?? outputs[0] };
}

export function modelProto(init: ModelInit): onnxProto.onnx.IModelProto {
  const valueInfo = (i: InputInit): onnxProto.onnx.IValueInfoProto => ({
    name: i.name,
    type: {
      tensorType: {
        elemType: i.elemType ?? T.FLOAT,
        ...(i.shape
          ? {
              shape: {
                dim: i.shape.map((d) => (d === null ? {} : typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
              },
            }
          : {}),
      },
    },
  });
  return {
    irVersion: init.irVersion ?? 8,
    producerName: init.producerName ?? 'edgec-tests',
    opsetImport: [{ domain: '', version: init.opset ?? 13 }, ...(init.extraOpsets ?? [])],
    metadataProps: Object.entries(init.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'test',
      input: (init.inputs ?? []).map(valueInfo),
      output: init.outputs.map((name) => ({ name, type: { tensorType: { elemType: T.FLOAT } } })),
      initializer: init.initializers ?? [],
      node: (init.nodes ?? []).map((n) => ({
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? '',
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([name, a]) => ({ name, ...a })),
      })),
    },
  };
}

export function makeModel(init: ModelInit): Uint8Array {
  return onnx.ModelProto.encode(modelProto(init)).finish();
}

export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** A float32 initializer with raw little-endian data. */
export function rawF32(name: string, dims: number[], values: number[]): ITensorProto {
  return { name, dims, dataType: T.FLOAT, rawData: new Uint8Array(new Float32Array(values).buffer) };
}

/** An int64 initializer in int64_data. */
export function typedI64(name: string, dims: number[], values: (number | Long)[]): ITensorProto {
  return { name, dims, dataType: T.INT64, int64Data: values };
}
