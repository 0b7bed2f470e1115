import { QUANTIZED } from './cases/quantized.js';
import { runFamily } from './run-family.js';

runFamily(QUANTIZED);
