import { NORM } from './cases/norm.js';
import { runFamily } from './run-family.js';

runFamily(NORM);
