import { POOL } from './cases/pool.js';
import { runFamily } from './run-family.js';

runFamily(POOL);
