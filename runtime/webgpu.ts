/// <reference types="@webgpu/types" />
import { EdgecRuntimeError } from './errors.js';
import { arrayTypeFor, checkFeed, elementCount, type ElementArray, type Feed, type TensorInfo } from './tensors.js';
import { ARENA_BINDING, SHADER_ENTRY_POINT, WEIGHTS_BINDING, type BundleIoEntry, type BundleManifest } from './formats/webgpu-bundle.js';
import { readBundle } from './webgpu-bundle.js';

/**
 * Runs a WebGPU bundle with the standard WebGPU API only, so the same code runs in browsers (navigator.gpu)
 * and in Node (a GPU object from the `webgpu` package, passed in as `gpu`). Loading creates every pipeline,
 * allocates the arena and uploads the weights once; a run writes the inputs, encodes all dispatches into one
 * command buffer, copies the outputs to a staging buffer and reads them back.
 */
export interface GpuLoadedModel {
  readonly kind: 'webgpu';
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Compute dispatches per run, the IR node each one computes, and whether it uses an optional WGSL feature. */
  readonly dispatches: readonly { node: string; op: string; feature?: string }[];
  readonly adapterInfo: { vendor: string; architecture: string };
  /** Runs the model; resolves to fresh arrays (owned by the caller). Runs are serialized. */
  run(feeds: Record<string, Feed>): Promise<Readonly<Record<string, ElementArray>>>;
  /** Releases the buffers (and the device, when load() created it). */
  destroy(): void;
}

export interface WebGpuLoadOptions {
  /** The WebGPU entry point; default `navigator.gpu`. In Node, pass `create([])` from the `webgpu` package. */
  gpu?: GPU;
  /** A device to run on instead of one load() requests (its limits must suffice). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /**
   * Use shaders that need optional WGSL language features (dot4I8Packed for int8) when the implementation has
   * them (default true); false runs their portable fallbacks.
   */
  optionalFeatures?: boolean;
}

const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;

// The spec's flag values, so the runtime needs no WebGPU globals (Node's webgpu package does not install them).
const BUFFER_MAP_READ = 0x1;
const BUFFER_COPY_SRC = 0x4;
const BUFFER_COPY_DST = 0x8;
const BUFFER_STORAGE = 0x80;
const STAGE_COMPUTE = 0x4;
const MAP_READ = 0x1;

interface Acquired {
  device: GPUDevice;
  owned: boolean;
  info: { vendor: string; architecture: string };
  /** WGSL language features of the implementation (empty when only a device was given). */
  features: ReadonlySet<string>;
}

async function acquireDevice(manifest: BundleManifest, options: WebGpuLoadOptions): Promise<Acquired> {
  const needs = Object.entries(manifest.limits ?? {});
  const checkLimits = (limits: GPUSupportedLimits, what: string) => {
    for (const [name, value] of needs) {
      const available = (limits as unknown as Record<string, number | undefined>)[name];
      if (available === undefined || available < value) {
        throw new EdgecRuntimeError('GPU_LIMIT', `the model needs ${name} = ${value}, but the ${what} allows ${String(available)}`);
      }
    }
  };
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (options.device) {
    checkLimits(options.device.limits, 'device');
    const features = new Set<string>(gpu?.wgslLanguageFeatures ?? []);
    for (const feature of manifest.languageFeatures ?? []) {
      if (!features.has(feature)) throw new EdgecRuntimeError('GPU_LIMIT', `the model needs the WGSL language feature ${feature}; pass the GPU object (options.gpu) whose wgslLanguageFeatures has it`);
    }
    return { device: options.device, owned: false, info: { vendor: '', architecture: '' }, features };
  }
  if (!gpu) {
    throw new EdgecRuntimeError('NO_GPU_ADAPTER', 'no WebGPU implementation: pass options.gpu (in Node, create([]) from the webgpu package) or run where navigator.gpu exists');
  }
  for (const feature of manifest.languageFeatures ?? []) {
    if (!gpu.wgslLanguageFeatures?.has(feature)) throw new EdgecRuntimeError('GPU_LIMIT', `the model needs the WGSL language feature ${feature}, which this WebGPU implementation lacks`);
  }
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (!adapter) throw new EdgecRuntimeError('NO_GPU_ADAPTER', 'WebGPU found no adapter (no GPU, or none it supports; without a GPU, SwiftShader via VK_ICD_FILENAMES works)');
  checkLimits(adapter.limits, 'adapter');
  const device = await adapter.requestDevice({ requiredLimits: Object.fromEntries(needs) });
  const info = adapter.info ?? { vendor: '', architecture: '' };
  return { device, owned: true, info: { vendor: info.vendor, architecture: info.architecture }, features: new Set<string>(gpu.wgslLanguageFeatures ?? []) };
}

/** Pipelines of the shaders `used` (others stay undefined). */
async function createPipelines(device: GPUDevice, manifest: BundleManifest, layout: GPUPipelineLayout, used: ReadonlySet<number>): Promise<(GPUComputePipeline | undefined)[]> {
  return Promise.all(
    manifest.shaders.map(async (code, index) => {
      if (!used.has(index)) return undefined;
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      const pipeline = await device.createComputePipelineAsync({ layout, compute: { module, entryPoint: SHADER_ENTRY_POINT } }).catch((e: unknown) => e as Error);
      const scoped = await device.popErrorScope();
      if (errors.length > 0 || pipeline instanceof Error || scoped) {
        const detail = errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ') || (pipeline instanceof Error ? pipeline.message : scoped?.message);
        throw new EdgecRuntimeError('ARTIFACT_INVALID', `shader ${index} of the bundle does not compile: ${detail}`);
      }
      return pipeline;
    }),
  );
}

export async function loadWebGpu(bytes: Uint8Array, options: WebGpuLoadOptions = {}): Promise<GpuLoadedModel> {
  const { manifest, weights } = readBundle(bytes);
  for (const d of manifest.dispatches) {
    if (!manifest.shaders[d.shader]) throw new EdgecRuntimeError('ARTIFACT_INVALID', `dispatch for node '${d.node}' names shader ${d.shader}, which the bundle lacks`);
  }
  const { device, owned, info, features } = await acquireDevice(manifest, options);
  // Each dispatch's shader: the one needing an optional language feature only where the implementation has it.
  const shaderOf = manifest.dispatches.map((d) => {
    if (d.fallback === undefined || !d.languageFeature) return d.shader;
    if (!manifest.shaders[d.fallback]) throw new EdgecRuntimeError('ARTIFACT_INVALID', `dispatch for node '${d.node}' names fallback shader ${d.fallback}, which the bundle lacks`);
    return options.optionalFeatures !== false && features.has(d.languageFeature) ? d.shader : d.fallback;
  });
  const arena = device.createBuffer({ size: Math.max(16, roundUp4(manifest.arenaBytes)), usage: BUFFER_STORAGE | BUFFER_COPY_DST | BUFFER_COPY_SRC });
  const weightsBuffer = device.createBuffer({ size: Math.max(16, roundUp4(weights.length)), usage: BUFFER_STORAGE | BUFFER_COPY_DST | BUFFER_COPY_SRC });
  // The compiler pads the weights to 16 bytes, as writeBuffer needs a multiple of 4.
  if (weights.length > 0) device.queue.writeBuffer(weightsBuffer, 0, weights.slice());
  const groupLayout = device.createBindGroupLayout({
    entries: [
      { binding: ARENA_BINDING, visibility: STAGE_COMPUTE, buffer: { type: 'storage' } },
      { binding: WEIGHTS_BINDING, visibility: STAGE_COMPUTE, buffer: { type: 'read-only-storage' } },
    ],
  });
  const pipelines = await createPipelines(device, manifest, device.createPipelineLayout({ bindGroupLayouts: [groupLayout] }), new Set(shaderOf));
  const bindGroup = device.createBindGroup({ layout: groupLayout, entries: [{ binding: ARENA_BINDING, resource: { buffer: arena } }, { binding: WEIGHTS_BINDING, resource: { buffer: weightsBuffer } }] });

  const sizeOf = (e: BundleIoEntry) => elementCount(e.shape) * arrayTypeFor(e.dtype).BYTES_PER_ELEMENT;
  const bufferOf = (e: BundleIoEntry) => (e.buffer === 'weights' ? weightsBuffer : arena);
  for (const e of [...manifest.inputs, ...manifest.outputs]) {
    const limit = e.buffer === 'weights' ? weights.length : manifest.arenaBytes;
    if (e.offset % 4 !== 0 || e.offset + sizeOf(e) > Math.max(limit, 0)) throw new EdgecRuntimeError('ARTIFACT_INVALID', `'${e.name}' lies outside the ${e.buffer} buffer`);
  }
  const staged: number[] = [];
  let stagingBytes = 0;
  for (const e of manifest.outputs) {
    staged.push(stagingBytes);
    stagingBytes += roundUp4(sizeOf(e));
  }
  const staging = device.createBuffer({ size: Math.max(16, stagingBytes), usage: BUFFER_MAP_READ | BUFFER_COPY_DST });
  const inputNames = new Set(manifest.inputs.map((e) => e.name));
  const strip = ({ name, dtype, shape }: BundleIoEntry): TensorInfo => Object.freeze({ name, dtype, shape: Object.freeze([...shape]) });
  let queue: Promise<unknown> = Promise.resolve();

  const runOnce = async (feeds: Record<string, Feed>): Promise<Readonly<Record<string, ElementArray>>> => {
    for (const name in feeds) {
      if (!inputNames.has(name)) throw new EdgecRuntimeError('RUNTIME_INPUT', `unknown input '${name}'; the model takes ${manifest.inputs.map((e) => `'${e.name}'`).join(', ')}`);
    }
    const data = manifest.inputs.map((e) => checkFeed(e, feeds[e.name]));
    device.pushErrorScope('validation');
    manifest.inputs.forEach((e, i) => {
      const d = data[i]!;
      // writeBuffer needs a multiple of 4 bytes; the arena slot is padded, so the extra bytes are harmless.
      const bytes = new Uint8Array(roundUp4(d.byteLength));
      bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      if (bytes.length > 0) device.queue.writeBuffer(arena, e.offset, bytes);
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setBindGroup(0, bindGroup);
    for (const [k, d] of manifest.dispatches.entries()) {
      pass.setPipeline(pipelines[shaderOf[k]!]!);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
    manifest.outputs.forEach((e, i) => {
      const size = roundUp4(sizeOf(e));
      if (size > 0) encoder.copyBufferToBuffer(bufferOf(e), e.offset, staging, staged[i]!, size);
    });
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new EdgecRuntimeError('GPU_ERROR', `the GPU rejected the run: ${error.message}`);
    await staging.mapAsync(MAP_READ);
    const mapped = new Uint8Array(staging.getMappedRange());
    const outputs: Record<string, ElementArray> = {};
    manifest.outputs.forEach((e, i) => {
      const type = arrayTypeFor(e.dtype);
      const copy = mapped.slice(staged[i]!, staged[i]! + sizeOf(e));
      outputs[e.name] = new type(copy.buffer, 0, elementCount(e.shape));
    });
    staging.unmap();
    return Object.freeze(outputs);
  };

  return {
    kind: 'webgpu',
    inputs: manifest.inputs.map(strip),
    outputs: manifest.outputs.map(strip),
    dispatches: manifest.dispatches.map(({ node, op, languageFeature }, k) => (shaderOf[k] === manifest.dispatches[k]!.shader && languageFeature ? { node, op, feature: languageFeature } : { node, op })),
    adapterInfo: info,
    run(feeds) {
      const result = queue.then(() => runOnce(feeds));
      queue = result.catch(() => undefined);
      return result;
    },
    destroy() {
      for (const b of [arena, weightsBuffer, staging]) b.destroy();
      if (owned) device.destroy();
    },
  };
}
