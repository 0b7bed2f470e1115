import { arrayToBytes, EdgecError, type Graph, type Node, type Value } from '../../ir/index.js';
import { BUNDLE_FORMAT, encodeBundle, type BundleDispatch, type BundleIoEntry, type BundleManifest } from '../../runtime/formats/webgpu-bundle.js';
import { DEFAULT_WEBGPU_OPTIONS, type GpuEmitContext, type ValueLocation, type WebGpuOptions } from './kernel.js';
import { checkCompilable, unsupportedBy } from '../shared/compilable.js';
import { ConstantPool } from '../shared/constant-pool.js';
import { gpuKernelFor, WEBGPU_KERNELS } from './kernels/index.js';
import { bundleLimits } from './limits.js';

/**
 * Code generation for WebGPU: every node becomes zero or more compute dispatches of WGSL shaders specialized
 * to its static shapes, recorded in order in the bundle's manifest. Values live in two buffers: the arena laid
 * out by plan-memory (inputs, intermediates, outputs) and the weights (constants, placed on first use).
 */
export interface WebGpuArtifact {
  bytes: Uint8Array;
  manifest: BundleManifest;
}

/** The reason a node cannot be compiled for webgpu, or null. */
const checkWebGpu = (node: Node): string | null => WEBGPU_KERNELS.check(node);

/** Every node the webgpu target cannot compile, with the reason. */
export function unsupportedByWebGpu(graph: Graph): { node: Node; reason: string }[] {
  return unsupportedBy(graph, checkWebGpu);
}

export function compileWebGpu(graph: Graph, options: Partial<WebGpuOptions> = {}): WebGpuArtifact {
  const opts: WebGpuOptions = { ...DEFAULT_WEBGPU_OPTIONS, ...options };
  checkCompilable(graph, 'webgpu', checkWebGpu);
  const arenaBytes = Number(graph.metadata['edgec.arena_bytes'] ?? 0);
  // Constants' plain row-major bytes, each 16-byte aligned, in order of first use.
  const weights = new ConstantPool(0, 16);
  const locate = (v: Value): ValueLocation => {
    if (v.arenaOffset !== undefined) return { buffer: 'arena', offset: v.arenaOffset / 4 };
    if (!v.data) throw new EdgecError('VERIFY', `%${v.name} is neither placed in the arena nor a constant`);
    return { buffer: 'weights', offset: weights.place(`const:${weights.identity(v)}`, arrayToBytes(v.data.dtype, v.data.data)) / 4 };
  };
  const ctx: GpuEmitContext = { options: opts, locate };
  const shaders: string[] = [];
  const shaderIndex = new Map<string, number>();
  const dispatches: BundleDispatch[] = [];
  const indexOf = (code: string): number => {
    let index = shaderIndex.get(code);
    if (index === undefined) {
      index = shaders.push(code) - 1;
      shaderIndex.set(code, index);
    }
    return index;
  };
  for (const node of graph.nodes) {
    let emitted;
    try {
      emitted = gpuKernelFor(node.op)!.emit(node, ctx);
    } catch (e) {
      if (e instanceof EdgecError) throw e;
      throw new EdgecError('UNSUPPORTED_OP', `the webgpu target cannot compile ${node.op} (node '${node.label}'): ${(e as Error).message}`);
    }
    for (const d of emitted) {
      const dispatch: BundleDispatch = { shader: indexOf(d.code), workgroups: d.workgroups, node: node.label, op: node.op };
      if (d.languageFeature && d.fallback) {
        dispatch.languageFeature = d.languageFeature;
        dispatch.fallback = indexOf(d.fallback);
      }
      dispatches.push(dispatch);
    }
  }
  const ioEntry = (v: Value): BundleIoEntry => {
    const loc = locate(v);
    return { name: v.name, dtype: v.type.dtype, shape: v.type.shape as number[], buffer: loc.buffer, offset: loc.offset * 4 };
  };
  const inputs = graph.inputs.map(ioEntry);
  const outputs = graph.outputs.map(ioEntry);
  const weightBytes = weights.bytes(Math.ceil(weights.size / 16) * 16);
  const largestBuffer = Math.max(arenaBytes, weightBytes.length, 4);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bindings: ['arena', 'weights'],
    arenaBytes,
    weightsBytes: weightBytes.length,
    limits: bundleLimits(shaders, dispatches.map((d) => d.workgroups), largestBuffer),
    // Features without which the bundle cannot run at all (those with a fallback shader are optional).
    languageFeatures: [...new Set(dispatches.filter((d) => d.languageFeature && d.fallback === undefined).map((d) => d.languageFeature!))].sort(),
    shaders,
    dispatches,
    inputs,
    outputs,
  };
  return { bytes: encodeBundle(manifest, weightBytes), manifest };
}
