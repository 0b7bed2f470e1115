import { EdgecError, type DType, type Tensor } from '../../ir/index.js';
import type { Outputs } from './compare.js';

/**
 * The peers, single-threaded as BENCHMARKS.md asks: onnxruntime-web (wasm backend) and onnxruntime-node (CPU).
 * Both are loaded on first use with a dynamic import(), so the edgec CLI starts (and every other command runs)
 * without them; a missing package is a PEER_MISSING error naming it.
 *
 * onnxruntime-web in Node: `import 'onnxruntime-web'` resolves (package exports, "node" condition) to
 * dist/ort.node.min.mjs, which finds its runtime next to itself — dist/ort-wasm-simd-threaded.{mjs,wasm},
 * located through import.meta.url — so no `env.wasm.wasmPaths` is needed. 1.30 ships only SIMD builds of the
 * plain wasm backend; `env.wasm.simd = true` makes it check SIMD is available rather than fall back silently.
 */
type OrtWeb = typeof import('onnxruntime-web');
type OrtNode = typeof import('onnxruntime-node');

let ortWebModule: Promise<OrtWeb> | undefined;
let ortNodeModule: Promise<OrtNode> | undefined;

async function importPeer<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw new EdgecError('PEER_MISSING', `the peer ${name} cannot be loaded (npm install ${name}): ${(e as Error).message}`);
  }
}

function ortWeb(): Promise<OrtWeb> {
  ortWebModule ??= importPeer('onnxruntime-web', async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
    ort.env.logLevel = 'error';
    return ort;
  });
  return ortWebModule;
}

function ortNode(): Promise<OrtNode> {
  ortNodeModule ??= importPeer('onnxruntime-node', () => import('onnxruntime-node'));
  return ortNodeModule;
}

const ORT_TYPES: Partial<Record<DType, string>> = {
  f32: 'float32', f64: 'float64', i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16', i32: 'int32', u32: 'uint32',
  i64: 'int64', u64: 'uint64', bool: 'bool',
};

function ortType(name: string, t: Tensor): string {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new EdgecError('UNSUPPORTED_DTYPE', `input '${name}': onnxruntime has no tensor type for ${t.dtype}`);
  return type;
}

export interface Peer {
  name: string;
  /** One inference on the prepared feeds; resolves to the outputs as flat arrays. */
  run(): Promise<Outputs>;
  release(): Promise<void>;
}

/** onnxruntime-web, wasm execution provider, 1 thread, default (full) graph optimizations. */
export async function ortWebPeer(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Peer> {
  const ort = await ortWeb();
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const inputs: Record<string, InstanceType<OrtWeb['Tensor']>> = {};
  for (const [name, t] of Object.entries(feeds)) {
    inputs[name] = new ort.Tensor(ortType(name, t) as 'float32', t.data as Float32Array, [...t.shape]);
  }
  return {
    name: 'ort-web',
    async run() {
      const results = await session.run(inputs);
      return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.data as ArrayLike<number>]));
    },
    release: () => session.release(),
  };
}

/**
 * onnxruntime-node, CPU, intra/inter-op threads 1. `optimized: false` disables graph optimizations: the
 * strictest reference, used as the oracle every side is checked against.
 */
export async function ortNodePeer(model: Uint8Array, feeds: Record<string, Tensor>, options: { optimized: boolean }): Promise<Peer> {
  const ort = await ortNode();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimized ? 'all' : 'disabled',
  });
  const inputs: Record<string, InstanceType<OrtNode['Tensor']>> = {};
  for (const [name, t] of Object.entries(feeds)) {
    inputs[name] = new ort.Tensor(ortType(name, t) as 'float32', t.data as Float32Array, [...t.shape]);
  }
  return {
    name: options.optimized ? 'ort-node' : 'oracle',
    async run() {
      const results = await session.run(inputs);
      return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.data as ArrayLike<number>]));
    },
    release: () => session.release(),
  };
}
