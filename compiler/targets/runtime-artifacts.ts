import { EdgecError, isDType, type Tensor } from '../../ir/index.js';
import { load, type LoadOptions, type SealedModel } from '../../runtime/index.js';
import { fromArtifactView, toArtifactFeeds } from '../io/artifact-io.js';
import type { BenchPrepared, FlatOutputs, LoadedArtifact } from './entry.js';

/**
 * Artifacts the JS runtime loads (wasm modules, webgpu bundles), opened the way every caller of the registry
 * needs them: to run with tensors (CLI, conformance) or to time raw runs (bench).
 */

function signature(list: SealedModel['inputs']): { name: string; dtype: Tensor['dtype']; shape: readonly number[] }[] {
  return list.map((t) => {
    if (!isDType(t.dtype)) throw new EdgecError('UNSUPPORTED_DTYPE', `artifact input '${t.name}' has element type ${t.dtype}`);
    return { name: t.name, dtype: t.dtype, shape: t.shape };
  });
}

const release = (model: SealedModel) => (model.kind === 'webgpu' ? model.destroy() : undefined);

export async function openRuntimeArtifact(bytes: Uint8Array, options: LoadOptions): Promise<LoadedArtifact> {
  const model = await load(bytes, options);
  const outputs = signature(model.outputs);
  return {
    inputs: signature(model.inputs),
    async run(feeds) {
      const views = await model.run(toArtifactFeeds(feeds));
      // Copy out of the module's memory: the views are overwritten by the next run.
      return Object.fromEntries(outputs.map((o) => [o.name, fromArtifactView(o.dtype, o.shape, views[o.name]!)]));
    },
    close: () => release(model),
  };
}

/** Loads a build for `edgec bench`: its first run's raw outputs to check, and the raw run to time. */
export async function prepareRuntimeBench(bytes: Uint8Array, feeds: Record<string, Tensor>, options: LoadOptions): Promise<BenchPrepared & { model: SealedModel }> {
  const model = await load(bytes, options);
  const artifactFeeds = toArtifactFeeds(feeds);
  return {
    model,
    outputs: (await model.run(artifactFeeds)) as FlatOutputs,
    run: () => model.run(artifactFeeds),
    release: () => release(model),
  };
}
