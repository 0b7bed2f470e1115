import { EdgecError, formatType, type Graph, type Tensor } from '../ir/index.js';
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

export interface PreparedFeeds {
  feeds: Record<string, Tensor>;
  /** How each input was obtained, for the user: a file path or "random (seed 0)". */
  sources: Record<string, string>;
}

/**
 * Feeds for every graph input: from the given files, else seeded random data of the declared type, with
 * symbolic dims taken as 1 (the caller fixes them beforehand with --input-shape when that is not wanted).
 */
export function prepareFeeds(graph: Graph, files: Record<string, string>, seed: number): PreparedFeeds {
  const known = new Set(graph.inputs.map((v) => v.name));
  const unknown = Object.keys(files).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new EdgecError('RUNTIME_INPUT', `no model input named ${unknown.map((k) => `'${k}'`).join(', ')}; inputs are ${[...known].map((k) => `'${k}'`).join(', ')}`);
  }
  const random = seededRandom(seed);
  const feeds: Record<string, Tensor> = {};
  const sources: Record<string, string> = {};
  for (const input of graph.inputs) {
    const file = files[input.name];
    if (file) {
      feeds[input.name] = readTensorFile(file);
      sources[input.name] = file;
    } else {
      const shape = input.type.shape.map((d) => (typeof d === 'number' ? d : 1));
      feeds[input.name] = randomTensor(input.type.dtype, shape, random);
      const symbolic = input.type.shape.some((d) => typeof d !== 'number');
      sources[input.name] = `random (seed ${seed})${symbolic ? `, symbolic dims of ${formatType(input.type)} set to 1` : ''}`;
    }
  }
  return { feeds, sources };
}
