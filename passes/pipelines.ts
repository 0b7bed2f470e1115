/**
 * The standard pipelines by optimization level. Targets start from these and append what they need
 * (plan-memory for targets that run from a static arena).
 */
export type OptLevel = 0 | 1 | 2;

const CLEANUP = [
  // First, while the weights' DequantizeLinear nodes are still there (fold-constants would fold them into
  // float weights): QDQ and QOperator forms become the integer ops every target runs.
  'lower-qdq',
  'remove-identity',
  'simplify-shape-computations',
  // Once shapes are static, before fold-constants (which folds the weight slices it leaves) and fusion (which
  // merges its per-step elementwise nodes): LSTM / GRU / RNN become MatMuls and elementwise ops every target runs.
  'lower-recurrent',
  'fold-constants',
  // Control flow decided at compile time: an If on a constant condition becomes its branch, a Loop or Scan
  // with a static trip count becomes straight-line code (within a budget); the code they expose (copies of
  // Identity outputs, constant iteration numbers) is cleaned up and folded again. An If still standing has a
  // run-time condition: both branches run and a Where picks each output.
  'fold-if',
  'unroll-loops',
  'select-if',
  'remove-identity',
  'fold-constants',
  'eliminate-common-subexpressions',
  'eliminate-dead-code',
];

const FUSION = [
  'recognize-gelu',
  'recognize-layernorm',
  'fuse-conv-bn',
  'fuse-conv-add-mul',
  'fuse-matmul-add',
  'fuse-activation',
  'fold-transposes',
  'fuse-elementwise',
  'eliminate-dead-code',
];

/**
 * What -O0 still runs: rewrites of ops that no code-generating target has a kernel for into ops they all run, so a
 * model compiles at every level (the reference interpreter runs the original ops too; lowering them is harmless).
 */
const LOWERING = ['lower-recurrent', 'select-if'];

export const STANDARD_PIPELINES: Readonly<Record<OptLevel, string>> = {
  0: LOWERING.join(','),
  1: CLEANUP.join(','),
  2: [...CLEANUP, ...FUSION].join(','),
};

/** The standard pipeline for a level with target-specific passes appended. */
export function pipelineFor(level: OptLevel, ...extra: string[]): string {
  return [STANDARD_PIPELINES[level], ...extra].filter((s) => s.length > 0).join(',');
}
