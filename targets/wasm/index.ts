import { pipelineFor } from '../../passes/pipelines.js';
import type { Target } from '../target.js';
import { compileWasm } from './compile.js';
import { parseWasmOptions } from './kernel.js';
import { WASM_KERNELS } from './kernels/index.js';

export { compileWasm, unsupportedByWasm, type WasmArtifact } from './compile.js';
export { wasmOps } from './kernels/index.js';

export const wasmTarget: Target = {
  name: 'wasm',
  description: 'WebAssembly SIMD128 module (one self-contained .wasm: code, weights, static arena)',
  pipeline: (level) => pipelineFor(level, 'plan-memory'),
  check: (node) => WASM_KERNELS.check(node),
  compile(graph, options) {
    const artifact = compileWasm(graph, parseWasmOptions(options));
    return {
      bytes: artifact.bytes,
      extension: '.wasm',
      summary: {
        bytes: artifact.bytes.length,
        arenaBytes: artifact.layout.arenaBytes,
        scratchBytes: artifact.layout.scratchBytes,
        dataBytes: artifact.layout.dataBytes,
        memoryBytes: artifact.layout.memoryBytes,
        functions: artifact.functions,
      },
    };
  },
};
