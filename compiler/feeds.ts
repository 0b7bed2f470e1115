import { EdgecError, formatType, Graph, type DType, type Dim, type Tensor } from '../ir/index.js';
import { readTensorFile } from './io/tensor-files.js';
import { randomTensor, seededRandom } from './io/random.js';

/** Parses `name=1,32,64` flags into input shapes. */
export function parseInputShapes(specs: readonly string[]): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const spec of specs) {
    const m = /^([^=]+)=([0-9]+(?:,[0-9]+)*)?$/.exec(spec);
    if (!m) throw new EdgecError('USAGE', `--input-shape '${spec}' must look like name=1,3,224,224`);
    shapes[m[1]!] = m[2] ? m[2].split(',').map(Number) : [];
  }
  return shapes;
}

/** Parses `name=path` flags into input files. */
export function parseInputFiles(specs: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const spec of specs) {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1) throw new EdgecError('USAGE', `--input '${spec}' must look like name=file.npy`);
    files[spec.slice(0, at)] = spec.slice(at + 1);
  }
  return files;
}

/** Reads every input file (.npy or .pb). */
export function readInputFiles(files: Record<string, string>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(files).map(([name, path]) => [name, readTensorFile(path)]));
}

/** A model input as feeding needs it: from a graph, or from an artifact's I/O table. */
export interface InputSignature {
  name: string;
  dtype: DType;
  shape: readonly Dim[];
}

export function graphSignature(graph: Graph): InputSignature[] {
  return graph.inputs.map((v) => ({ name: v.name, dtype: v.type.dtype, shape: v.type.shape }));
}

export interface PreparedFeeds {
  feeds: Record<string, Tensor>;
  /** How each input was obtained, for the user: "given" or "random (seed 0)". */
  sources: Record<string, string>;
}

/**
 * Feeds for every input: the given tensors, else seeded random data of the declared type, with symbolic dims
 * taken as 1 (fix them beforehand with --input-shape when that is not wanted). Names that are not inputs fail.
 */
export function prepareFeeds(model: Graph | readonly InputSignature[], given: Record<string, Tensor>, seed: number): PreparedFeeds {
  const inputs = model instanceof Graph ? graphSignature(model) : model;
  const known = new Set(inputs.map((v) => v.name));
  const unknown = Object.keys(given).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new EdgecError('RUNTIME_INPUT', `no model input named ${unknown.map((k) => `'${k}'`).join(', ')}; inputs are ${[...known].map((k) => `'${k}'`).join(', ')}`);
  }
  const random = seededRandom(seed);
  const feeds: Record<string, Tensor> = {};
  const sources: Record<string, string> = {};
  for (const input of inputs) {
    const tensor = given[input.name];
    if (tensor) {
      feeds[input.name] = tensor;
      sources[input.name] = 'given';
    } else {
      const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
      feeds[input.name] = randomTensor(input.dtype, shape, random);
      const symbolic = input.shape.some((d) => typeof d !== 'number');
      sources[input.name] = `random (seed ${seed})${symbolic ? `, symbolic dims of ${formatType(input)} set to 1` : ''}`;
    }
  }
  return { feeds, sources };
}

/**
 * Input shapes that make every input static: those given, then those of the given tensors, then 1 for any
 * remaining symbolic dim. Targets that compile to a fixed arena need them before compiling.
 */
export function staticInputShapes(
  inputs: readonly InputSignature[],
  shapes: Record<string, number[]>,
  given: Record<string, Tensor>,
): Record<string, number[]> {
  const out: Record<string, number[]> = { ...shapes };
  for (const input of inputs) {
    if (out[input.name] || input.shape.every((d) => typeof d === 'number')) continue;
    const tensor = given[input.name];
    // A given tensor that contradicts the declared static dims is left for the feed check to report.
    const fits = tensor && tensor.shape.length === input.shape.length && input.shape.every((d, i) => typeof d !== 'number' || d === tensor.shape[i]);
    out[input.name] = fits ? [...tensor.shape] : input.shape.map((d) => (typeof d === 'number' ? d : 1));
  }
  return out;
}
