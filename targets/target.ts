import type { Node } from '../ir/index.js';

/** What every target exports: a name, its default pass pipeline and which nodes it can run. */
export interface Target {
  readonly name: string;
  readonly description: string;
  /** Pass pipeline string run before code generation (empty: run the graph as imported). */
  readonly pipeline: string;
  supports(node: Node): boolean;
}
