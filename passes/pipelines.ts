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
  'fold-constants',
  // Control flow decided at compile time: an If on a constant condition becomes its branch, a Loop or Scan
  // with a static trip count becomes straight-line code (within a budget); the code they expose (copies of
  // Identity outputs, constant iteration numbers) is cleaned up and folded again.
  'fold-if',
  'unroll-loops',
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

export const STANDARD_PIPELINES: Readonly<Record<OptLevel, string>> = {
  0: '',
  1: CLEANUP.join(','),
  2: [...CLEANUP, ...FUSION].join(','),
};

/** The standard pipeline for a level with target-specific passes appended. */
export function pipelineFor(level: OptLevel, ...extra: string[]): string {
  return [STANDARD_PIPELINES[level], ...extra].filter((s) => s.length > 0).join(',');
}
