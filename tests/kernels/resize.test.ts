import { RESIZE } from './cases/resize.js';
import { runFamily } from './run-family.js';

runFamily(RESIZE);
