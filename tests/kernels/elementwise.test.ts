import { ELEMENTWISE } from './cases/elementwise.js';
import { runFamily } from './run-family.js';

runFamily(ELEMENTWISE);
