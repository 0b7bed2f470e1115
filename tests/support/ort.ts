import * as ort from 'onnxruntime-node';
import { makeTensor, type DType, type Tensor } from '../../ir/index.js';

/** onnxruntime-node as the oracle: single-threaded, graph optimizations off (the strictest reference). */

const TO_ORT: Partial<Record<DType, ort.Tensor.Type>> = {
  f32: 'float32', f64: 'float64', i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16', i32: 'int32', u32: 'uint32',
  i64: 'int64', u64: 'uint64', bool: 'bool',
};
const FROM_ORT: Record<string, DType> = Object.fromEntries(Object.entries(TO_ORT).map(([k, v]) => [v, k as DType]));

export async function ortSession(modelPath: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1 });
}

export async function runOrt(session: ort.InferenceSession, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const type = TO_ORT[t.dtype];
    if (!type) throw new Error(`onnxruntime-node feed '${name}': no ORT type for ${t.dtype}`);
    ortFeeds[name] = new ort.Tensor(type, t.data as ort.Tensor.DataType, [...t.shape]);
  }
  const results = await session.run(ortFeeds);
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(results)) {
    const dtype = FROM_ORT[t.type];
    if (!dtype) throw new Error(`onnxruntime-node output '${name}' has type ${t.type}`);
    out[name] = makeTensor(dtype, t.dims as number[], t.data as ArrayLike<number>);
  }
  return out;
}
