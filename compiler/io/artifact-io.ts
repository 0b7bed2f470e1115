import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat, makeTensor, type DType, type Tensor } from '../../ir/index.js';
import type { ElementArray } from '../../runtime/index.js';

/**
 * Tensors in and out of a compiled artifact. The IR holds f16 / bf16 elements as float32 numbers, but an
 * artifact's memory holds their 2-byte encodings (runtime/tensors.ts maps both to Uint16Array): feeds are
 * encoded here (rounding to nearest even) and result views decoded, so every caller of an artifact (the run
 * command, the conformance runner, the wasm test harness) converts the same way.
 */

/** The feed an artifact takes for a tensor: its own data, or the raw 2-byte encodings for f16 / bf16. */
export function toArtifactFeed(t: Tensor): { data: ElementArray; shape: readonly number[] } {
  if (t.dtype === 'f16' || t.dtype === 'bf16') {
    const encode = t.dtype === 'f16' ? floatToHalf : floatToBfloat16;
    const bits = new Uint16Array(t.data.length);
    for (let i = 0; i < bits.length; i++) bits[i] = encode(Number(t.data[i]));
    return { data: bits, shape: t.shape };
  }
  return { data: t.data as ElementArray, shape: t.shape };
}

/** Feeds for every tensor of a record, by name. */
export function toArtifactFeeds(feeds: Record<string, Tensor>): Record<string, { data: ElementArray; shape: readonly number[] }> {
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, toArtifactFeed(t)]));
}

/**
 * A tensor copied out of an artifact's result view (views are overwritten by the next run), decoding f16 / bf16
 * bits into the IR's float32 representation.
 */
export function fromArtifactView(dtype: DType, shape: readonly number[], view: ElementArray): Tensor {
  if (dtype === 'f16' || dtype === 'bf16') {
    const decode = dtype === 'f16' ? halfToFloat : bfloat16ToFloat;
    const values = new Float32Array(view.length);
    for (let i = 0; i < values.length; i++) values[i] = decode(Number(view[i]));
    return { dtype, shape: [...shape], data: values };
  }
  return makeTensor(dtype, shape, view as ArrayLike<number> | ArrayLike<bigint>);
}
