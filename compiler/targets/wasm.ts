import { wasmTarget } from '../../targets/wasm/index.js';
import { toArtifactFeeds } from '../io/artifact-io.js';
import { profileWasmBuild } from '../bench/profile.js';
import { binaryenVersion, compilerVersion } from '../provenance/build-info.js';
import { readProvenance } from '../provenance/verify.js';
import type { TargetEntry } from './entry.js';
import { openRuntimeArtifact, prepareRuntimeBench } from './runtime-artifacts.js';

/** WebAssembly SIMD128: runs in this process through the runtime; timed; profiled per kernel by a hooked build. */
export const wasmEntry: TargetEntry = {
  target: wasmTarget,
  runsOn: 'in Node through the runtime',
  artifactExtension: '.wasm',
  compileFlags: {
    winograd: { type: 'boolean', default: true, describe: 'wasm: Winograd convolution for 3x3 stride-1 layers (--no-winograd to disable)' },
  },
  options: (flags) => ({ winograd: flags['winograd'] ?? true }),
  missing: async () => null,
  session: async () => ({ label: 'wasm', open: (bytes) => openRuntimeArtifact(bytes, {}), close: () => {} }),
  seal: { tools: () => [compilerVersion(), binaryenVersion()], read: readProvenance },
  bench: {
    rtol: 1e-4,
    options: { winograd: true },
    measure: 'timed',
    note: () => null,
    async prepare(build, context) {
      const prepared = await prepareRuntimeBench(build.bytes, context.feeds, {});
      return { ...prepared, profile: (options) => profileWasmBuild(build.graph, toArtifactFeeds(context.feeds), options) };
    },
  },
};
