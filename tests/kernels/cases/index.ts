import type { KernelFamily } from '../case.js';
import { CONV } from './conv.js';

/** Every family of the corpus, in the support matrix's order. */
export const FAMILIES: readonly KernelFamily[] = [CONV];
