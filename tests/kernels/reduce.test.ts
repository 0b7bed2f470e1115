import { REDUCE } from './cases/reduce.js';
import { runFamily } from './run-family.js';

runFamily(REDUCE);
