import { pipelineFor } from '../../passes/pipelines.js';
import type { Target } from '../target.js';
import { buildRvv, parseRvvOptions } from './build.js';
import { RVV_KERNELS } from './kernels/index.js';

export { generateRvvSources, unsupportedByRvv, type RvvSources } from './compile.js';
export { buildRvv, parseRvvOptions, type RvvBuild, type RvvBuildOptions } from './build.js';
export { rvvOps } from './kernels/index.js';

export const rvvTarget: Target = {
  name: 'rvv',
  description: 'RISC-V Vector 1.0 C (VLEN-agnostic intrinsics) built by clang-19 into a static ELF, an object and a library',
  pipeline: (level) => pipelineFor(level, 'plan-memory'),
  check: (node) => RVV_KERNELS.check(node),
  compile(graph, options) {
    const build = buildRvv(graph, parseRvvOptions(options));
    return {
      bytes: build.files['model.elf']!,
      extension: '.elf',
      files: build.files,
      summary: {
        bytes: build.files['model.elf']!.length,
        arenaBytes: build.sources.arenaBytes,
        scratchBytes: build.sources.scratchBytes,
        weightsBytes: build.sources.weights.length,
        kernels: build.sources.nodes.length,
        buildMs: Math.round(build.buildMs),
      },
    };
  },
};
