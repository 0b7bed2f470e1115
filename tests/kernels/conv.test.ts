import { CONV } from './cases/conv.js';
import { runFamily } from './run-family.js';

runFamily(CONV);
