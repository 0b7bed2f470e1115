import { EdgecError } from './errors.js';
import { Graph, type Value } from './graph.js';
import { inferNodeTypes } from './ops/registry.js';
import { numel } from './tensor.js';
import { formatType, isStaticShape, sameType } from './types.js';

/**
 * Checks the IR invariants every pass must keep: unique names, SSA (one definition per value, defined before
 * use), producer links, constant data matching its type, and every node's output types equal to what its op's
 * inference computes from its operands. Throws a VERIFY error naming the first broken rule.
 *
 * Subgraphs are checked the same way, each as its own scope: a subgraph reads only its inputs, its captures and
 * its constants (an outer value read directly is "not in the graph"), and each subgraph belongs to one node.
 * Whether a subgraph fits its node (If branches agreeing, Loop and Scan bodies taking and giving what the op
 * needs, captures typed like the operands they stand for) is the op's inference, checked with every node.
 * Nested graphs are walked with a worklist, outer first.
 */
export function verifyGraph(root: Graph): void {
  const work: Graph[] = [root];
  const seen = new Set<Graph>(work);
  while (work.length > 0) {
    const graph = work.pop()!;
    verifyScope(graph, graph === root ? '' : ` in subgraph @${graph.name}`);
    for (const node of graph.nodes) {
      for (const [name, v] of Object.entries(node.attrs)) {
        if (!(v instanceof Graph)) continue;
        if (seen.has(v)) throw new EdgecError('VERIFY', `subgraph ${name} @${v.name} is held by more than one node`, { node: node.label, op: node.op });
        seen.add(v);
        work.push(v);
      }
    }
  }
}

function verifyScope(graph: Graph, where: string): void {
  const fail = (message: string, node?: string, op?: string): never => {
    throw new EdgecError('VERIFY', message + where, { node, op });
  };
  const defined = new Set<Value>();
  const names = new Set<string>();
  const define = (v: Value, what: string) => {
    if (defined.has(v)) fail(`value %${v.name} is defined twice (${what})`);
    if (names.has(v.name)) fail(`name %${v.name} is used by two values (${what})`);
    defined.add(v);
    names.add(v.name);
  };

  for (const v of graph.inputs) {
    if (v.producer) fail(`graph input %${v.name} has a producer`);
    if (v.data) fail(`graph input %${v.name} carries constant data`);
    define(v, 'graph input');
  }
  for (const v of graph.captures) {
    if (v.producer || v.data) fail(`capture %${v.name} has a producer or constant data`);
    define(v, 'capture');
  }
  for (const v of graph.constants) {
    if (!v.data) fail(`constant %${v.name} has no data`);
    const data = v.data!;
    if (!isStaticShape(v.type.shape) || data.dtype !== v.type.dtype || data.shape.join() !== v.type.shape.join()) {
      fail(`constant %${v.name} has type ${formatType(v.type)} but data ${data.dtype}[${data.shape.join(',')}]`);
    }
    if (data.data.length !== numel(data.shape)) fail(`constant %${v.name} holds ${data.data.length} elements for shape [${data.shape.join(',')}]`);
    define(v, 'constant');
  }
  for (const node of graph.nodes) {
    for (const [i, v] of node.inputs.entries()) {
      if (v && !defined.has(v)) fail(`operand ${i} %${v.name} is used before it is defined (or is not in the graph)`, node.label, node.op);
    }
    for (const out of node.outputs) {
      if (out.producer !== node) fail(`output %${out.name} does not point back to its producer`, node.label, node.op);
      define(out, `output of ${node.op}`);
    }
    const expected = inferNodeTypes(node);
    node.outputs.forEach((out, i) => {
      if (!sameType(out.type, expected[i]!)) {
        fail(`output %${out.name} has type ${formatType(out.type)}, but ${node.op} gives ${formatType(expected[i]!)}`, node.label, node.op);
      }
    });
  }
  for (const v of graph.outputs) if (!defined.has(v)) fail(`graph output %${v.name} is not defined in the graph`);
}
