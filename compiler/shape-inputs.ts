import { shapeOperands, type Graph, type Value } from '../ir/index.js';

/**
 * The graph inputs whose values decide output shapes: those from which a shape operand (OpSchema.shapeOperands:
 * Reshape's shape, Slice's starts, Resize's sizes...) is computed, directly or through any chain of nodes. A
 * static-shape target can plan the graph only once these are bound to constants (`--bind`); binding them all
 * is what a user would do, and what the conformance runner does with each case's data.
 *
 * The walk goes back from each non-constant shape operand over producers (iteratively: graph depth is the
 * user's), so an input that only reaches a shape through Shape of a static value is not named: import folds
 * that Shape to a constant before this runs.
 */
export function shapeDecidingInputs(graph: Graph): string[] {
  const inputs = new Set(graph.inputs);
  const seen = new Set<Value>();
  const stack: Value[] = [];
  for (const node of graph.nodes) {
    for (const i of shapeOperands(node.op)) {
      const v = node.inputs[i];
      if (v && !v.isConstant) stack.push(v);
    }
  }
  const found = new Set<Value>();
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (inputs.has(v)) found.add(v);
    for (const operand of v.producer?.inputs ?? []) if (operand && !operand.isConstant) stack.push(operand);
  }
  return graph.inputs.filter((v) => found.has(v)).map((v) => v.name);
}
