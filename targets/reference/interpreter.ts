import { EdgecError, formatType, nestedGraphs, numel, type Graph, type Node, type Tensor, type Value } from '../../ir/index.js';
import { runGraphFrames } from './control/machine.js';
import { getKernel } from './kernels/index.js';

export type Feeds = Record<string, Tensor>;

export interface RunOptions {
  /** Called with every value as it is computed (graph inputs and node outputs), e.g. to calibrate or debug. */
  observe?: (value: Value, tensor: Tensor) => void;
}

/** Nodes whose op has no reference kernel, in graph order. */
export function unsupportedByReference(graph: Graph): Node[] {
  return graph.nodes.filter((n) => !getKernel(n.op));
}

/**
 * Checks feeds against the graph's inputs: every input fed, nothing extra, dtypes equal, shapes matching the
 * declared ones, with each symbolic dim bound to one size across all inputs.
 */
export function checkFeeds(graph: Graph, feeds: Feeds): void {
  const fail = (message: string): never => {
    throw new EdgecError('RUNTIME_INPUT', message);
  };
  const known = new Set(graph.inputs.map((v) => v.name));
  const extra = Object.keys(feeds).filter((k) => !known.has(k));
  if (extra.length > 0) fail(`unknown input${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')}; the model takes ${[...known].map((k) => `'${k}'`).join(', ')}`);
  const bound = new Map<string, number>();
  for (const input of graph.inputs) {
    const t = feeds[input.name];
    if (!t) fail(`input '${input.name}' (${formatType(input.type)}) is not fed`);
    const tensor = t!;
    if (tensor.dtype !== input.type.dtype) fail(`input '${input.name}' must be ${input.type.dtype}, got ${tensor.dtype}`);
    const expected = input.type.shape;
    const mismatch = () => fail(`input '${input.name}' must have shape ${formatType(input.type)}, got [${tensor.shape.join(',')}]`);
    if (tensor.shape.length !== expected.length) mismatch();
    expected.forEach((d, i) => {
      const actual = tensor.shape[i]!;
      if (typeof d === 'number') {
        if (d !== actual) mismatch();
      } else if (d !== '?') {
        const prior = bound.get(d);
        if (prior !== undefined && prior !== actual) fail(`input '${input.name}' binds dim '${d}' to ${actual}, but another input bound it to ${prior}`);
        bound.set(d, actual);
      }
    });
    if (tensor.data.length !== numel(tensor.shape)) fail(`input '${input.name}' holds ${tensor.data.length} elements for shape [${tensor.shape.join(',')}]`);
  }
}

/**
 * Runs the graph on the reference kernels and returns its outputs by name. Intermediates are released after
 * their last use so that full-size models fit comfortably in memory; control flow runs on an explicit frame
 * stack (control/machine.ts).
 */
export function runGraph(graph: Graph, feeds: Feeds, options: RunOptions = {}): Record<string, Tensor> {
  checkFeeds(graph, feeds);
  const missing = nestedGraphs(graph).flatMap(unsupportedByReference);
  if (missing.length > 0) {
    throw new EdgecError('UNSUPPORTED_OP', `the reference interpreter has no kernel for: ${missing.map((n) => `${n.op} (node '${n.label}')`).join(', ')}`);
  }
  const outputs = runGraphFrames(
    graph,
    graph.inputs.map((v) => feeds[v.name]!),
    options,
  );
  const result: Record<string, Tensor> = {};
  graph.outputs.forEach((out, i) => (result[out.name] = outputs[i]!));
  return result;
}
