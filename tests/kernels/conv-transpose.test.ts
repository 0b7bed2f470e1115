import { CONV_TRANSPOSE } from './cases/conv-transpose.js';
import { runFamily } from './run-family.js';

runFamily(CONV_TRANSPOSE);
