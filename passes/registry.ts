import type { Pass } from './pass.js';
import { foldConstantsPass } from './fold-constants.js';
import { eliminateDeadCodePass } from './eliminate-dead-code.js';
import { eliminateCommonSubexpressionsPass } from './eliminate-common-subexpressions.js';
import { removeIdentityPass } from './remove-identity.js';
import { simplifyShapeComputationsPass } from './simplify-shape-computations.js';
import { foldTransposesPass } from './fold-transposes.js';
import { planMemoryPass } from './plan-memory.js';
import { fuseConvBn } from './fuse-conv-bn.js';
import { fuseConvAddMul } from './fuse-conv-add-mul.js';
import { fuseMatmulAdd } from './fuse-matmul-add.js';
import { fuseActivation } from './fuse-activation.js';
import { recognizeGelu } from './recognize-gelu.js';
import { recognizeLayernorm } from './recognize-layernorm.js';
import { fuseElementwise } from './fuse-elementwise.js';
import { quantizePass } from './quantize.js';
import { lowerQdqPass } from './lower-qdq.js';
import { lowerRecurrentPass } from './lower-recurrent.js';
import { foldIfPass } from './fold-if.js';
import { selectIfPass } from './select-if.js';
import { unrollLoopsPass } from './unroll-loops.js';

/**
 * Every pass by name, in one table: pipelines (from users, tests and targets alike) name passes from here.
 * Each pass lives in its own file under passes/.
 */
const ALL_PASSES: Pass[] = [
  foldConstantsPass,
  eliminateDeadCodePass,
  eliminateCommonSubexpressionsPass,
  removeIdentityPass,
  simplifyShapeComputationsPass,
  foldTransposesPass,
  planMemoryPass,
  fuseConvBn,
  fuseConvAddMul,
  fuseMatmulAdd,
  fuseActivation,
  recognizeGelu,
  recognizeLayernorm,
  fuseElementwise,
  quantizePass,
  lowerQdqPass,
  lowerRecurrentPass,
  foldIfPass,
  unrollLoopsPass,
  selectIfPass,
];

export const PASSES: ReadonlyMap<string, Pass> = new Map(ALL_PASSES.map((p) => [p.name, p]));
