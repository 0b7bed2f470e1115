import { EdgecError, getOpSchema, type Attributes, type ErrorLocation, type TensorType, type Value } from '../../ir/index.js';
import { irOpFor } from './normalize.js';
import type { GraphProto, NodeProto } from './proto.js';

/**
 * ONNX subgraphs (If branches, Loop and Scan bodies) may read any value of an enclosing graph by name. The IR
 * makes those reads explicit: each subgraph becomes closed, and the names it reads from outside ("free names")
 * become captures, trailing operands of the node holding it. A free name of an inner subgraph that the enclosing
 * subgraph does not define is free there too, so captures pass outward level by level. Nesting depth comes from
 * the model: graphs are walked with worklists, never by recursion.
 */

/** The node's graph attributes the IR op takes as subgraphs, sorted by name. */
export function subgraphAttributes(node: NodeProto): { name: string; graph: GraphProto }[] {
  const specs = getOpSchema(irOpFor(node.opType ?? ''))?.attrs ?? {};
  return (node.attribute ?? [])
    .filter((a) => a.g && specs[a.name ?? '']?.type === 'graph')
    .map((a) => ({ name: a.name ?? '', graph: a.g! }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every graph in the model, the model graph first and each graph before the graphs nested in it. */
export function nestedGraphProtos(root: GraphProto): GraphProto[] {
  const order: GraphProto[] = [root];
  for (let head = 0; head < order.length; head++) {
    for (const node of order[head]!.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.g) order.push(a.g);
        for (const g of a.graphs ?? []) order.push(g);
      }
    }
  }
  return order;
}

/** For each graph, the names it reads but does not define, in order of first read (inner graphs first). */
export function freeNames(root: GraphProto): Map<GraphProto, string[]> {
  const order = nestedGraphProtos(root);
  const free = new Map<GraphProto, string[]>();
  for (let i = order.length - 1; i >= 0; i--) {
    const g = order[i]!;
    const defined = new Set<string>();
    for (const v of g.input ?? []) defined.add(v.name ?? '');
    for (const t of g.initializer ?? []) defined.add(t.name ?? '');
    for (const n of g.node ?? []) for (const o of n.output ?? []) defined.add(o);
    const out: string[] = [];
    const seen = new Set<string>();
    const read = (name: string) => {
      if (name !== '' && !defined.has(name) && !seen.has(name)) {
        seen.add(name);
        out.push(name);
      }
    };
    for (const n of g.node ?? []) {
      for (const name of n.input ?? []) read(name);
      for (const a of n.attribute ?? []) {
        for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) for (const name of free.get(sub) ?? []) read(name);
      }
    }
    for (const o of g.output ?? []) read(o.name ?? '');
    free.set(g, out);
  }
  return free;
}

/** The outer names a control-flow node's subgraphs read: its captures, in order of first read. */
export function nodeCaptureNames(node: NodeProto, free: ReadonlyMap<GraphProto, string[]>): string[] {
  const names: string[] = [];
  for (const a of node.attribute ?? []) {
    for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) for (const name of free.get(sub) ?? []) if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The types of a subgraph's own inputs, from the node's operands: none for If's branches; the iteration number
 * (i64 scalar), the condition (bool scalar) and the carried values' initial types for Loop's body; the states'
 * initial types and one slice of each scan input (the scan axis removed) for Scan's body.
 */
export function subgraphInputTypes(op: string, own: readonly (Value | null)[], attrs: Attributes, where: ErrorLocation): TensorType[] {
  const typeOf = (v: Value | null, i: number): TensorType => {
    if (!v) throw new EdgecError('ONNX_INVALID', `operand ${i} is required`, where);
    return v.type;
  };
  switch (op) {
    case 'If':
      return [];
    case 'Loop':
      return [{ dtype: 'i64', shape: [] }, { dtype: 'bool', shape: [] }, ...own.slice(2).map((v, i) => typeOf(v, i + 2))];
    case 'Scan': {
      const scanInputs = typeof attrs['num_scan_inputs'] === 'number' ? attrs['num_scan_inputs'] : 0;
      const states = own.length - scanInputs;
      if (scanInputs < 1 || states < 0) throw new EdgecError('ONNX_INVALID', `num_scan_inputs ${scanInputs} does not fit the ${own.length} operands`, where);
      const axes = (attrs['scan_input_axes'] as number[] | undefined) ?? [];
      return own.map((v, i) => {
        const t = typeOf(v, i);
        if (i < states) return t;
        const rank = t.shape.length;
        const a = axes[i - states] ?? 0;
        const axis = a < 0 ? a + rank : a;
        if (rank === 0 || axis < 0 || axis >= rank) throw new EdgecError('BAD_SHAPE', `scan_input_axes ${a} is out of range for scan input ${i - states} of rank ${rank}`, where);
        return { dtype: t.dtype, shape: t.shape.filter((_, d) => d !== axis) };
      });
    }
    default:
      throw new EdgecError('UNSUPPORTED_FEATURE', `${op} takes no subgraph edgec knows how to type`, where);
  }
}
