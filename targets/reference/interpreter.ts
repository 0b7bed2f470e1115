import { EdgecError, formatType, numel, type Graph, type Node, type Tensor, type Value } from '../../ir/index.js';
import { getKernel, kernelContext } from './kernels/index.js';

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
 * their last use so that full-size models fit comfortably in memory.
 */
export function runGraph(graph: Graph, feeds: Feeds, options: RunOptions = {}): Record<string, Tensor> {
  checkFeeds(graph, feeds);
  const missing = unsupportedByReference(graph);
  if (missing.length > 0) {
    throw new EdgecError('UNSUPPORTED_OP', `the reference interpreter has no kernel for: ${missing.map((n) => `${n.op} (node '${n.label}')`).join(', ')}`);
  }
  const env = new Map<Value, Tensor>();
  for (const c of graph.constants) env.set(c, c.data!);
  for (const input of graph.inputs) {
    env.set(input, feeds[input.name]!);
    options.observe?.(input, feeds[input.name]!);
  }

  const lastUse = new Map<Value, number>();
  graph.nodes.forEach((node, i) => node.inputs.forEach((v) => v && lastUse.set(v, i)));
  const keep = new Set<Value>([...graph.outputs, ...graph.constants]);

  graph.nodes.forEach((node, step) => {
    const args = node.inputs.map((v) => {
      if (!v) return null;
      const t = env.get(v);
      if (!t) throw new EdgecError('RUNTIME', `operand %${v.name} has no value`, { node: node.label, op: node.op });
      return t;
    });
    let results: Tensor[];
    try {
      results = getKernel(node.op)!(args, kernelContext(node));
    } catch (e) {
      if (e instanceof EdgecError) throw e;
      throw new EdgecError('RUNTIME', `kernel failed: ${(e as Error).message}`, { node: node.label, op: node.op });
    }
    node.outputs.forEach((out, i) => {
      const t = results[i];
      if (!t) throw new EdgecError('RUNTIME', `kernel produced no value for output ${i}`, { node: node.label, op: node.op });
      env.set(out, t);
      options.observe?.(out, t);
    });
    for (const v of node.inputs) if (v && lastUse.get(v) === step && !keep.has(v)) env.delete(v);
  });

  const result: Record<string, Tensor> = {};
  for (const out of graph.outputs) result[out.name] = env.get(out)!;
  return result;
}
