import { GraphBuilder, type Tensor } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { TARGETS } from '../../targets/index.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';
import { VLENS } from '../../targets/rvv/qemu.js';
import { unsupportedBy } from '../../targets/shared/compilable.js';
import { buildForRvv, missingRvvTools, runBuild } from '../rvv/harness.js';
import { gpuProblem, runOnWebGpu } from '../webgpu/harness.js';
import { runOnWasm } from '../wasm/harness.js';
import { CaseBuilder, caseFeeds, caseGraph, toleranceOf, type CorpusTarget, type KernelCase } from './case.js';
import { mismatch } from './compare.js';

/**
 * Whether a target accepts a case: its check passes every node of the graph as compiled (after plan-memory,
 * the pipeline the old per-target tests ran). Needs no tool, so the support matrix is the same on every machine.
 */
export function supports(target: CorpusTarget, c: KernelCase): boolean {
  const graph = caseGraph(c);
  runPipeline(graph, 'plan-memory', PASSES, { verifyEach: true, evaluate: referenceEvaluate });
  return unsupportedBy(graph, (node) => TARGETS.get(target)!.check(node)).length === 0;
}

/** What this machine lacks to run a target's cases (null when nothing). */
export function missingFor(target: CorpusTarget): string | null {
  if (target === 'rvv') {
    const missing = missingRvvTools();
    return missing.length === 0 ? null : `${missing.join(', ')} (run scripts/setup.sh)`;
  }
  if (target === 'webgpu') return gpuProblem ? `a WebGPU adapter in Node: ${gpuProblem}` : null;
  return null;
}

/** The reference's outputs for a case. */
export function expectedOutputs(c: KernelCase, feeds: Record<string, Tensor>): Record<string, Tensor> {
  return runGraph(caseGraph(c), feeds);
}

/** Runs one case on wasm or webgpu; a mismatch (or null) per case. */
export async function runSingle(target: 'wasm' | 'webgpu', c: KernelCase): Promise<string | null> {
  const feeds = caseFeeds(c);
  const expected = expectedOutputs(c, feeds);
  const { outputs } = target === 'wasm' ? await runOnWasm(caseGraph(c), feeds, { wasm: c.wasm }) : await runOnWebGpu(caseGraph(c), feeds, { webgpu: c.webgpu });
  c.expectOutputs?.(outputs);
  return mismatch(outputs, expected, c.comparison ?? 'relative', toleranceOf(c, target));
}

/**
 * Runs many cases on rvv as ONE graph (each case under its own name prefix, with its own inputs and outputs),
 * so one clang build and one qemu run per VLEN check them all; each case is compared on its own, so a failure
 * names its case and VLEN. Returns the mismatches ("case at VLEN n: why").
 */
export function runRvvBatch(cases: readonly KernelCase[]): string[] {
  const prefix = (i: number) => `c${i}_`;
  const b = new GraphBuilder('rvv_kernel_cases');
  const outputsOf: string[][] = [];
  cases.forEach((c, i) => {
    const builder = new CaseBuilder(b, prefix(i));
    c.build(builder);
    outputsOf.push(builder.outputs.map((v) => v.name));
  });
  const graph = b.build();
  const feeds: Record<string, Tensor> = {};
  const expected: Record<string, Tensor>[] = [];
  cases.forEach((c, i) => {
    const own = caseFeeds(c);
    for (const [name, t] of Object.entries(own)) feeds[prefix(i) + name] = t;
    expected.push(expectedOutputs(c, own));
  });
  const build = buildForRvv(graph);
  const problems: string[] = [];
  for (const vlen of VLENS) {
    const { outputs } = runBuild(build, feeds, vlen);
    cases.forEach((c, i) => {
      // The case's outputs under the names they have when it is built alone (the reference's), by position.
      const own: Record<string, Tensor> = {};
      Object.keys(expected[i]!).forEach((name, j) => (own[name] = outputs[outputsOf[i]![j]!]!));
      c.expectOutputs?.(own);
      const why = mismatch(own, expected[i]!, c.comparison ?? 'relative', toleranceOf(c, 'rvv'));
      if (c.knownToDiffer?.rvv) {
        if (!why) problems.push(`${c.name} at VLEN ${vlen}: now matches the reference (drop knownToDiffer, regenerate the support matrix)`);
      } else if (why) problems.push(`${c.name} at VLEN ${vlen}: ${why}`);
    });
  }
  return problems;
}
