import type { Pass } from './pass.js';
import { planMemoryPass } from './plan-memory.js';

/**
 * Every pass by name, in one table: pipelines (from users, tests and targets alike) name passes from here.
 * Each pass lives in its own file under passes/.
 */
const ALL_PASSES: Pass[] = [
  planMemoryPass,
];

export const PASSES: ReadonlyMap<string, Pass> = new Map(ALL_PASSES.map((p) => [p.name, p]));
