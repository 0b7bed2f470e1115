import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { EdgecError, numel, type Graph, type Tensor } from '../../ir/index.js';
import type { Feeds } from '../../targets/reference/index.js';
import { prepareFeeds } from '../feeds.js';
import { readTensorProtoFile } from '../onnx/index.js';
import { readTensorFile } from '../io/tensor-files.js';

/**
 * Calibration inputs: `synthetic:N` (N seeded standard-normal inputs, what the shared models' BatchNorm
 * statistics were settled on), or a folder. In a folder of .npy / .pb files each file is one input of a
 * single-input model (a file with a larger leading dim is split into samples along it); a folder of
 * sub-folders holds one sample per sub-folder, its files named after the inputs (`input.npy`) or in order
 * (`input_0.pb`, as the ONNX test data sets are).
 */
export const SYNTHETIC_SEED = 1000;

export function syntheticInputs(graph: Graph, count: number, seed = SYNTHETIC_SEED): Feeds[] {
  return Array.from({ length: count }, (_, i) => prepareFeeds(graph, {}, seed + i).feeds);
}

const TENSOR_EXT = new Set(['.npy', '.pb']);

function tensorFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => TENSOR_EXT.has(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(dir, f));
}

/** Splits a tensor along its first axis into pieces whose first dim is `batch`. */
function splitBatch(t: Tensor, batch: number): Tensor[] {
  const n = t.shape[0]!;
  if (t.shape.length === 0 || n === batch || n % batch !== 0) return [t];
  const per = numel(t.shape.slice(1)) * batch;
  return Array.from({ length: n / batch }, (_, i) => ({ dtype: t.dtype, shape: [batch, ...t.shape.slice(1)], data: t.data.slice(i * per, (i + 1) * per) }));
}

export function folderInputs(graph: Graph, dir: string): Feeds[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new EdgecError('IO', `cannot read the calibration folder: ${(e as Error).message}`, { file: dir });
  }
  const subdirs = entries.map((e) => join(dir, e)).filter((p) => statSync(p).isDirectory());
  const samples: Feeds[] = [];
  if (subdirs.length > 0) {
    for (const sub of subdirs) {
      const files = tensorFiles(sub);
      const feeds: Feeds = {};
      graph.inputs.forEach((input, i) => {
        const named = files.find((f) => basename(f, extname(f)) === input.name);
        const byProtoName = files.find((f) => extname(f) === '.pb' && readTensorProtoFile(f).name === input.name);
        const file = named ?? byProtoName ?? files[i];
        if (!file) throw new EdgecError('USAGE', `calibration sample ${sub} has no file for input '${input.name}'`, { file: sub });
        feeds[input.name] = readTensorFile(file);
      });
      samples.push(feeds);
    }
  } else {
    if (graph.inputs.length !== 1) {
      throw new EdgecError('USAGE', `the model has ${graph.inputs.length} inputs: put each calibration sample in its own sub-folder, one file per input`, { file: dir });
    }
    const input = graph.inputs[0]!;
    const batch = typeof input.type.shape[0] === 'number' ? input.type.shape[0] : 1;
    for (const file of tensorFiles(dir)) for (const t of splitBatch(readTensorFile(file), batch)) samples.push({ [input.name]: t });
  }
  if (samples.length === 0) throw new EdgecError('USAGE', `no .npy or .pb calibration inputs in ${dir}`, { file: dir });
  return samples;
}

/** `synthetic:N` or a folder path. */
export function calibrationInputs(graph: Graph, spec: string): Feeds[] {
  const m = /^synthetic:(\d+)$/.exec(spec);
  if (m) {
    const n = Number(m[1]);
    if (n < 1) throw new EdgecError('USAGE', '--calibrate synthetic:N needs N >= 1');
    return syntheticInputs(graph, n);
  }
  if (spec.startsWith('synthetic')) throw new EdgecError('USAGE', `--calibrate '${spec}' must be synthetic:N or a folder`);
  return folderInputs(graph, spec);
}
