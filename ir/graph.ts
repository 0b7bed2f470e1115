import type { Tensor } from './tensor.js';
import type { TensorType } from './types.js';

/**
 * Attribute values in canonical form; which of these an attribute holds is fixed by its op schema. A Graph is a
 * control-flow op's subgraph (If's branches, Loop's and Scan's body): see Graph.captures for how it reads values
 * of the enclosing graph.
 */
export type AttrValue = number | string | number[] | string[] | Tensor | Graph;
export type Attributes = Record<string, AttrValue>;

/**
 * How a quantized value maps to reals: real = (q - zeroPoint) * scale. One scale and zero point per tensor, or one
 * per index along `axis` (per-channel weights). On a float value it records the calibrated quantization to apply.
 */
export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  axis?: number;
}

/**
 * An SSA value: produced by exactly one node, or a graph input, or a constant (which carries `data`).
 */
export class Value {
  /** The node whose output this is; null for graph inputs and constants. */
  producer: Node | null = null;
  /** Byte offset in the run-time arena, once plan-memory has placed the value. */
  arenaOffset?: number;
  /** Quantization parameters, once calibrated or quantized (see QuantParams). */
  quant?: QuantParams;

  constructor(
    public name: string,
    public type: TensorType,
    /** Set for constants (ONNX initializers and folded values). */
    public data?: Tensor,
  ) {}

  get isConstant(): boolean {
    return this.data !== undefined;
  }
}

export class Node {
  constructor(
    public op: string,
    /** Operands in schema order; null marks an omitted optional operand. */
    public inputs: (Value | null)[],
    public outputs: Value[],
    /** Only the attributes set explicitly; defaults come from the op schema. */
    public attrs: Attributes = {},
    /** The name from the source model, kept for messages; may be empty. */
    public name = '',
  ) {
    for (const out of outputs) out.producer = this;
  }

  /** How errors and printers refer to a node: its name, else its first output's name. */
  get label(): string {
    return this.name || (this.outputs[0] ? this.outputs[0].name : this.op);
  }
}

export class Graph {
  constructor(
    public name: string,
    public inputs: Value[] = [],
    public outputs: Value[] = [],
    public constants: Value[] = [],
    public nodes: Node[] = [],
    /** Model-level string metadata (ONNX metadata_props, producer), kept for provenance and contracts. */
    public metadata: Record<string, string> = {},
  ) {}

  /**
   * For a subgraph: values standing for the enclosing graph's values it reads. A subgraph is closed (its nodes
   * read only its inputs, captures and constants); the node holding it passes the outer values as its trailing
   * operands, capture i bound to operand `node.inputs.length - captures.length + i`. Every subgraph of one node
   * has the same captures (the node's trailing operands, in order), so use-lists, dead-code elimination, CSE and
   * memory planning of the enclosing graph see these reads with no knowledge of scopes. Empty for a model graph.
   */
  captures: Value[] = [];

  /** For each value, the nodes that read it, in graph order (a node reading a value twice appears once). */
  users(): Map<Value, Node[]> {
    const map = new Map<Value, Node[]>();
    for (const node of this.nodes) {
      for (const v of node.inputs) {
        if (!v) continue;
        const list = map.get(v);
        if (!list) map.set(v, [node]);
        else if (list[list.length - 1] !== node) list.push(node);
      }
    }
    return map;
  }

  /** Every value the graph defines, by name. */
  valuesByName(): Map<string, Value> {
    const map = new Map<string, Value>();
    for (const v of this.inputs) map.set(v.name, v);
    for (const v of this.constants) map.set(v.name, v);
    for (const n of this.nodes) for (const v of n.outputs) map.set(v.name, v);
    return map;
  }
}
