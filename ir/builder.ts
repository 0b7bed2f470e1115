import { EdgecError } from './errors.js';
import { Graph, Node, Value, type Attributes } from './graph.js';
import { inferNodeTypes } from './ops/registry.js';
import type { Tensor } from './tensor.js';
import type { TensorType } from './types.js';

/**
 * Builds a graph in topological order. Every node's output types come from the op's shape inference, so a
 * graph made by the builder is typed by construction. Names are kept unique by suffixing.
 */
export class GraphBuilder {
  private readonly graph: Graph;
  private readonly taken = new Set<string>();

  constructor(name: string, metadata: Record<string, string> = {}) {
    this.graph = new Graph(name, [], [], [], [], { ...metadata });
  }

  /** A fresh name based on `base` (returned unchanged if free). */
  uniqueName(base: string): string {
    let name = base || 'v';
    for (let i = 1; this.taken.has(name); i++) name = `${base || 'v'}_${i}`;
    this.taken.add(name);
    return name;
  }

  input(name: string, type: TensorType): Value {
    const v = new Value(this.uniqueName(name), type);
    this.graph.inputs.push(v);
    return v;
  }

  /** For a subgraph: a value standing for an enclosing graph's value of this type (see Graph.captures). */
  capture(name: string, type: TensorType): Value {
    const v = new Value(this.uniqueName(name), type);
    this.graph.captures.push(v);
    return v;
  }

  constant(name: string, data: Tensor): Value {
    const v = new Value(this.uniqueName(name), { dtype: data.dtype, shape: [...data.shape] }, data);
    this.graph.constants.push(v);
    return v;
  }

  /**
   * Appends a node and returns its outputs. `outputNames` gives names (or the count) of the outputs; an empty
   * string in it marks an omitted optional output, which is not created.
   */
  node(op: string, inputs: (Value | null)[], attrs: Attributes = {}, options: { name?: string; outputNames?: string[] } = {}): Value[] {
    const names = options.outputNames ?? [options.name ? `${options.name}_out` : op.toLowerCase()];
    const outputs = names.map((n) => new Value(n, { dtype: 'f32', shape: [] }));
    const node = new Node(op, inputs, outputs, attrs, options.name ?? '');
    const types = inferNodeTypes(node);
    outputs.forEach((v, i) => {
      v.name = this.uniqueName(v.name);
      v.type = types[i]!;
    });
    this.graph.nodes.push(node);
    return outputs;
  }

  /** Like node(), for single-output ops. */
  op(op: string, inputs: (Value | null)[], attrs: Attributes = {}, name?: string): Value {
    return this.node(op, inputs, attrs, name ? { name, outputNames: [name] } : {})[0]!;
  }

  output(...values: Value[]): void {
    this.graph.outputs.push(...values);
  }

  build(): Graph {
    if (this.graph.outputs.length === 0) throw new EdgecError('ONNX_INVALID', `graph '${this.graph.name}' has no outputs`);
    return this.graph;
  }
}
