import { parseGraph } from '../../ir/index.js';
import { referenceTarget, runGraph } from '../../targets/reference/index.js';
import { graphSignature } from '../feeds.js';
import type { TargetEntry } from './entry.js';

/** The reference interpreter: its "artifact" is the optimized IR as text, run directly; no seal, no benchmark. */
export const referenceEntry: TargetEntry = {
  target: referenceTarget,
  runsOn: 'as the interpreter of the optimized IR',
  artifactExtension: '.ir',
  options: () => ({}),
  missing: async () => null,
  session: async () => ({
    label: 'reference',
    async open(bytes, from) {
      const graph = from?.graph ?? parseGraph(new TextDecoder().decode(bytes));
      return { inputs: graphSignature(graph), run: async (feeds) => runGraph(graph, feeds), close: () => {} };
    },
    close: () => {},
  }),
  seal: null,
  bench: null,
};
