import { CAST } from './cases/cast.js';
import { runFamily } from './run-family.js';

runFamily(CAST);
