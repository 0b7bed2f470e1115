import { MOVEMENT } from './cases/movement.js';
import { runFamily } from './run-family.js';

runFamily(MOVEMENT);
