import { captureOperands, getAttr, inferNodeTypes, makeTensor, Node, Value, type Graph } from '../ir/index.js';
import { expandNodes, inlineSubgraph, type Inlined } from './inline-subgraph.js';
import type { Pass } from './pass.js';
import { addConstant, NameAllocator } from './rewriter.js';

/**
 * An If whose condition is known only at run time, as straight-line code every target runs:
 *
 *   If(c) then T(captures) else E(captures)   ->   out_i = Where(c, T_i, E_i)
 *
 * Both branches are inlined (ONNX ops have no side effects, so computing the branch not taken changes no
 * result) and each output selects between them. This is the "encode both and select" strategy: it costs the
 * untaken branch's work, in exchange for one kernel set and one static arena for every target; a compiled
 * branch (a real jump on wasm and rvv) would skip that work, and is the follow-up for branches that are large.
 *
 * It applies when both branches give each output the same static shape and element type (what a static arena
 * needs anyway); other Ifs stay, and compiled targets refuse them by name. In the -O1/-O2 pipelines fold-if runs
 * first and inlines only the branch taken where the condition is a constant; at -O0 every If comes here. The pass manager runs this pass on subgraphs
 * before their holder, so Ifs nested in a branch are already selects when their holder is lowered.
 */
export const selectIfPass: Pass = {
  name: 'select-if',
  description: 'lowers an If with a run-time condition to both branches inlined and a Where per output',
  run(graph, _options, context) {
    const names = new NameAllocator(graph);
    const lowered = expandNodes(graph, (node) => (node.op === 'If' ? selectBranches(graph, names, node) : undefined));
    context.reports.set('select-if', { lowered });
    return lowered > 0;
  },
};

const sameStaticType = (a: Value, b: Value): boolean =>
  a.type.dtype === b.type.dtype && a.type.shape.length === b.type.shape.length && a.type.shape.every((d, i) => typeof d === 'number' && d === b.type.shape[i]);

function selectBranches(graph: Graph, names: NameAllocator, node: Node): Inlined | undefined {
  const thenBranch = getAttr<Graph>(node, 'then_branch');
  const elseBranch = getAttr<Graph>(node, 'else_branch');
  if (!thenBranch.outputs.every((v, i) => sameStaticType(v, elseBranch.outputs[i]!))) return undefined;
  const prefix = node.name ? `${node.name}/` : '';
  const captures = captureOperands(node) as Value[];
  const taken = inlineSubgraph(graph, names, thenBranch, captures, `${prefix}then/`);
  const other = inlineSubgraph(graph, names, elseBranch, captures, `${prefix}else/`);
  const nodes = [...taken.nodes, ...other.nodes];
  const emit = (op: string, inputs: Value[], base: string): Value => {
    const out = new Value(names.fresh(base), { dtype: 'f32', shape: [] });
    const made = new Node(op, inputs, [out], {}, out.name);
    out.type = inferNodeTypes(made)[0]!;
    nodes.push(made);
    return out;
  };
  // The condition is a one-element bool tensor of any rank; as a scalar it broadcasts to every output's shape.
  let cond = node.inputs[0]!;
  if (cond.type.shape.length > 0) cond = emit('Reshape', [cond, addConstant(graph, names, `${prefix}scalar_shape`, makeTensor('i64', [0], []))], `${prefix}cond`);
  const outputs = taken.outputs.map((t, i) => emit('Where', [cond, t, other.outputs[i]!], `${prefix}${node.outputs[i]!.name}`));
  return { nodes, outputs };
}
