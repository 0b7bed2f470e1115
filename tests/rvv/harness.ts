import { arrayFromBytes, arrayToBytes, makeTensor, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { referenceEvaluate } from '../../targets/reference/index.js';
import { buildRvv, type RvvBuild } from '../../targets/rvv/build.js';
import { hasTool, QEMU_STATIC, runOnQemu } from '../../targets/rvv/qemu.js';
import { CLANG } from '../../targets/rvv/build.js';
import { runCli } from '../../compiler/cli/cli.js';

/** The tools the rvv tests need that are missing on this machine (empty when all are there). */
export function missingRvvTools(): string[] {
  return [CLANG, 'riscv64-linux-gnu-ar', QEMU_STATIC].filter((t) => !hasTool(t));
}

/**
 * Whether rvv tests can run: with every tool present, yes; without, they fail under CI (naming the missing
 * tools) and are skipped elsewhere, saying why.
 */
export function rvvToolsReady(): boolean {
  const missing = missingRvvTools();
  if (missing.length === 0) return true;
  const message = `rvv tests need ${missing.join(', ')} (run scripts/setup.sh)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping: ${message}`);
  return false;
}

/** Compiles a graph (after `pipeline`, ending with plan-memory) for rvv. */
export function buildForRvv(graph: Graph, pipeline = 'plan-memory'): RvvBuild {
  runPipeline(graph, pipeline, PASSES, { verifyEach: true, evaluate: referenceEvaluate });
  return buildRvv(graph);
}

/** Runs a build under qemu at one VLEN with tensors in and tensors out (by the graph's I/O names). */
export function runBuild(build: RvvBuild, feeds: Record<string, Tensor>, vlen: number): { outputs: Record<string, Tensor>; ms: number } {
  const inputs = build.sources.inputs.map((e) => arrayToBytes(e.dtype as DType, feeds[e.name]!.data));
  const run = runOnQemu(build.files['model.elf']!, inputs, build.sources.outputs.map((e) => e.bytes), vlen);
  const outputs: Record<string, Tensor> = {};
  build.sources.outputs.forEach((e, i) => {
    outputs[e.name] = makeTensor(e.dtype as DType, e.shape, arrayFromBytes(e.dtype as DType, run.outputs[i]!));
  });
  return { outputs, ms: run.ms };
}

/** Runs the CLI in process, capturing what it prints. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}
