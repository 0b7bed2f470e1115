import { getAttr, Node, Value, type Graph, type Tensor } from '../../ir/index.js';
import { resolveActivation } from '../../ir/ops/activations.js';
import type { Feeds } from '../../targets/reference/index.js';
import { applyActivation } from '../../targets/reference/kernels/fused.js';
import { getKernel, kernelContext } from '../../targets/reference/kernels/index.js';

/**
 * Empirical bias correction (Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias
 * Correction", 2019, in its data-driven form): quantized weights and upstream activation noise shift the mean of
 * every output channel of a layer (noise through a Relu has a positive mean; a weight error w_q - w times a
 * non-zero input mean is a constant offset). Such an offset is the same at every position of a feature map, so
 * global average pooling keeps it while it averages the rest of the noise away; at the logits it moves whole
 * classes. Per quantized Conv / Gemm with a bias, in graph order, the offset E[y_q] - E[y] of the pre-activation
 * output over the calibration samples is measured and subtracted from the int32 bias. Layers are corrected one
 * after the other, each with the ones before it already corrected, so no offset is corrected twice.
 */

const CORRECTABLE = new Set(['Conv', 'FusedConv', 'Gemm', 'FusedGemm']);

/** The int32 bias constant of a quantized layer in QDQ form (DequantizeLinear of i32, maybe reshaped). */
interface QuantizedBias {
  value: Value;
  scale: ArrayLike<number>;
}

function quantizedBias(node: Node): QuantizedBias | undefined {
  let v = node.inputs[2];
  if (!v) return undefined;
  if (v.producer?.op === 'Reshape') v = v.producer.inputs[0]!;
  const dq = v.producer;
  const [q, scale] = dq?.op === 'DequantizeLinear' ? dq.inputs : [];
  if (q?.data?.dtype !== 'i32' || !scale?.data) return undefined;
  return { value: q, scale: scale.data.data as ArrayLike<number> };
}

const weightsQuantized = (node: Node) => node.inputs[1]?.producer?.op === 'DequantizeLinear';

/** How a layer is matched across the float and QDQ graphs: its node name (kept by the quantize pass). */
const layerKey = (node: Node) => node.name;

/** Per-channel (axis 1) sums of a tensor's elements, and the count per channel. */
class ChannelMeans {
  readonly sums: Float64Array;
  count = 0;
  constructor(readonly channels: number) {
    this.sums = new Float64Array(channels);
  }

  add(t: Tensor): void {
    const data = t.data as Float32Array;
    const inner = t.shape.slice(2).reduce<number>((a, d) => a * (d as number), 1);
    const outer = data.length / (inner * this.channels);
    for (let o = 0, i = 0; o < outer; o++) {
      for (let c = 0; c < this.channels; c++) {
        let s = 0;
        for (let k = 0; k < inner; k++) s += data[i++]!;
        this.sums[c]! += s;
      }
    }
    this.count += outer * inner;
  }

  mean(c: number): number {
    return this.sums[c]! / this.count;
  }
}

/**
 * Runs `graph` on all samples node by node, so that `visit` sees the pre-activation results of a layer for
 * every sample (and may change them in place) before any later node runs. A fused activation is applied after
 * `visit`. Intermediates are released after their last use, as in runGraph.
 */
function runLayered(graph: Graph, samples: readonly Feeds[], visit: (node: Node, preActivation: Tensor[]) => void, layers: Set<Node>): void {
  const envs = samples.map((feeds) => {
    const env = new Map<Value, Tensor>();
    for (const c of graph.constants) env.set(c, c.data!);
    for (const input of graph.inputs) env.set(input, feeds[input.name]!);
    return env;
  });
  const lastUse = new Map<Value, number>();
  graph.nodes.forEach((node, i) => node.inputs.forEach((v) => v && lastUse.set(v, i)));
  const keep = new Set<Value>([...graph.outputs, ...graph.constants]);
  graph.nodes.forEach((node, step) => {
    const layer = layers.has(node);
    const activation = layer && node.op.startsWith('Fused') ? resolveActivation(getAttr<string>(node, 'activation'), getAttr<number[]>(node, 'activation_params')) : undefined;
    // The fused layer without its activation (a detached node: its output is a scratch value).
    const run = activation ? new Node(node.op, node.inputs, [new Value(`${node.outputs[0]!.name}_pre`, node.outputs[0]!.type)], { ...node.attrs, activation: 'None', activation_params: [] }, node.name) : node;
    const kernel = getKernel(run.op)!;
    const results = envs.map((env) => kernel(run.inputs.map((v) => (v ? env.get(v)! : null)), kernelContext(run)));
    if (layer) {
      visit(node, results.map((r) => r[0]!));
      if (activation) {
        for (const r of results) {
          const v = Float64Array.from(r[0]!.data as Float32Array);
          applyActivation(v, activation);
          (r[0]!.data as Float32Array).set(v);
        }
      }
    }
    envs.forEach((env, s) => {
      node.outputs.forEach((out, i) => env.set(out, results[s]![i]!));
      for (const v of node.inputs) if (v && lastUse.get(v) === step && !keep.has(v)) env.delete(v);
    });
  });
}

/**
 * Corrects, in place, the int32 biases of the quantized layers of `qdq` (the QDQ form of `float`) so that
 * their per-channel output means over `samples` equal the float graph's. Returns the number of layers corrected.
 */
export function correctBiases(float: Graph, qdq: Graph, samples: readonly Feeds[]): number {
  if (samples.length === 0) return 0;
  const names = new Map<string, number>();
  for (const n of qdq.nodes) if (n.name) names.set(n.name, (names.get(n.name) ?? 0) + 1);
  const qLayers = qdq.nodes.filter((n) => CORRECTABLE.has(n.op) && n.name && names.get(n.name) === 1 && weightsQuantized(n) && quantizedBias(n));
  const keys = new Set(qLayers.map(layerKey));
  const fLayers = float.nodes.filter((n) => CORRECTABLE.has(n.op) && keys.has(layerKey(n)));
  const reference = new Map<string, ChannelMeans>();
  runLayered(
    float,
    samples,
    (node, pre) => {
      const means = new ChannelMeans(pre[0]!.shape[1]!);
      for (const t of pre) means.add(t);
      reference.set(layerKey(node), means);
    },
    new Set(fLayers),
  );
  let corrected = 0;
  runLayered(
    qdq,
    samples,
    (node, pre) => {
      const ref = reference.get(layerKey(node));
      const bias = quantizedBias(node)!;
      const channels = pre[0]!.shape[1]!;
      if (!ref || ref.channels !== channels || bias.value.data!.data.length !== channels) return;
      const means = new ChannelMeans(channels);
      for (const t of pre) means.add(t);
      const values = Int32Array.from(bias.value.data!.data as Int32Array);
      const applied = new Float64Array(channels);
      for (let c = 0; c < channels; c++) {
        const s = bias.scale[bias.scale.length > 1 ? c : 0]!;
        const next = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, values[c]! - Math.round((means.mean(c) - ref.mean(c)) / s)));
        applied[c] = (next - values[c]!) * s;
        values[c] = next;
      }
      // Constants are shared between graph copies: replace the tensor, never write into it.
      bias.value.data = { ...bias.value.data!, data: values };
      // The later layers see this layer's corrected output.
      for (const t of pre) {
        const data = t.data as Float32Array;
        const inner = data.length / (t.shape[0]! * channels);
        for (let i = 0; i < data.length; i++) data[i]! += applied[Math.floor(i / inner) % channels]!;
      }
      corrected++;
    },
    new Set(qLayers),
  );
  return corrected;
}
