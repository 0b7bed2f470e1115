import type { FlatOutputs, TargetEntry } from '../../../compiler/targets/entry.js';
import { graphSignature } from '../../../compiler/feeds.js';
import { runGraph } from '../../../targets/reference/index.js';
import { readToyArtifact, toyTarget } from './target.js';

/** The toy target's one registry entry: runs in process, carries no seal, timed with the CPU contenders. */
export const toyEntry: TargetEntry = {
  target: toyTarget,
  runsOn: 'in process by the reference interpreter',
  artifactExtension: '.toy',
  options: () => ({}),
  missing: async () => null,
  session: async () => ({
    label: 'toy',
    async open(bytes) {
      const graph = readToyArtifact(bytes);
      return { inputs: graphSignature(graph), run: async (feeds) => runGraph(graph, feeds), close: () => {} };
    },
    close: () => {},
  }),
  seal: null,
  bench: {
    rtol: 1e-6,
    options: {},
    measure: 'timed',
    note: () => 'toy runs the reference interpreter',
    async prepare(build, context) {
      const graph = readToyArtifact(build.bytes);
      const run = () => runGraph(graph, context.feeds);
      const outputs: FlatOutputs = Object.fromEntries(Object.entries(run()).map(([k, t]) => [k, t.data as ArrayLike<number>]));
      return { outputs, run };
    },
  },
};
