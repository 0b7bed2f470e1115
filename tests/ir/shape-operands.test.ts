import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnxFile, readTensorProtoFile } from '../../compiler/onnx/index.js';
import { shapeDecidingInputs } from '../../compiler/shape-inputs.js';
import { EdgecError, GraphBuilder, inferNodeTypes, makeTensor, Node, shapeOperands, Value, type Graph, type Tensor } from '../../ir/index.js';
import { listCases } from '../conformance/runner.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';

/**
 * OpSchema.shapeOperands promises that an output shape depends on the values of those operands only. Checked on
 * every node of the ONNX backend conformance models, imported with every input bound to the case's data and
 * nothing folded (so each node has constant operands): each node's output shapes are inferred again with the
 * values of all other operands hidden, and must come out the same. An op that reads another operand's values
 * to find its shape (or leaves one out of its list) gives a different, non-static shape here.
 */

function caseInputs(dir: string): Tensor[] {
  const set = join(dir, 'test_data_set_0');
  if (!existsSync(set)) return [];
  return readdirSync(set)
    .filter((f) => /^input_\d+\.pb$/.test(f))
    .sort((a, b) => Number(a.slice(6, -3)) - Number(b.slice(6, -3)))
    .map((f) => readTensorProtoFile(join(set, f)).tensor);
}

/** The case's graph with every input bound to its data and no import-time folding; null when it does not import. */
function boundGraph(dir: string): Graph | null {
  const model = join(dir, 'model.onnx');
  try {
    const declared = importOnnxFile(model, { foldShapeComputations: false });
    const data = caseInputs(dir);
    if (data.length < declared.inputs.length) return null;
    const bind = Object.fromEntries(declared.inputs.map((v, i) => [v.name, data[i]!]));
    return importOnnxFile(model, { bind, foldShapeComputations: false });
  } catch (e) {
    if (e instanceof EdgecError) return null; // ops or types edgec does not import: not this test's business
    throw e;
  }
}

/** The node with the values of every operand outside its op's shapeOperands hidden. */
function withOnlyShapeOperandValues(node: Node): Node {
  const keep = new Set(shapeOperands(node.op));
  const inputs = node.inputs.map((v, i) => (v && !keep.has(i) && v.data ? new Value(v.name, v.type) : v));
  return new Node(node.op, inputs, node.outputs, node.attrs, node.name);
}

describe('OpSchema.shapeOperands', () => {
  it('lists every operand whose values decide an output shape, on every conformance node', () => {
    const wrong = new Map<string, string>();
    const covered = new Set<string>();
    for (const c of listCases()) {
      const graph = boundGraph(c.dir);
      if (!graph) continue;
      for (const node of graph.nodes) {
        const full = inferNodeTypes(node).map((t) => t.shape.join());
        let hidden: string[];
        try {
          hidden = inferNodeTypes(withOnlyShapeOperandValues(node)).map((t) => t.shape.join());
        } catch (e) {
          hidden = [`error ${(e as Error).message}`];
        }
        if (shapeOperands(node.op).length > 0) covered.add(node.op);
        if (hidden.join(';') !== full.join(';') && !wrong.has(node.op)) wrong.set(node.op, `${c.name}: [${full.join('; ')}] vs [${hidden.join('; ')}] with the other operands hidden`);
      }
    }
    expect(Object.fromEntries(wrong)).toEqual({});
    // The check ran on the ops that have shape operands.
    for (const op of ['Reshape', 'Expand', 'Tile', 'Slice', 'Pad', 'Resize', 'Squeeze', 'Unsqueeze', 'Split', 'ReduceSum', 'ConstantOfShape', 'Range']) expect(covered).toContain(op);
  }, 300_000);

  it('names the graph inputs a shape operand is computed from, through other nodes, and no others', () => {
    const b = new GraphBuilder('shape_from_inputs');
    const x = b.input('x', { dtype: 'f32', shape: [2, 6] });
    const rows = b.input('rows', { dtype: 'i64', shape: [1] });
    const bias = b.input('bias', { dtype: 'f32', shape: [2, 6] });
    const cols = b.constant('cols', makeTensor('i64', [1], [-1n]));
    const shape = b.op('Concat', [rows, cols], { axis: 0 }, 'shape');
    b.output(b.op('Reshape', [b.op('Add', [x, bias], {}, 'sum'), shape], {}, 'y'));
    expect(shapeDecidingInputs(b.build())).toEqual(['rows']);
  });

  it("is what plan-memory names when a shape is unknown: Pad's pads, not its constant value", () => {
    const b = new GraphBuilder('pad_from_inputs');
    const x = b.input('x', { dtype: 'f32', shape: [2, 3] });
    const pads = b.input('pads', { dtype: 'i64', shape: [4] });
    const value = b.input('value', { dtype: 'f32', shape: [] });
    b.output(b.op('Pad', [x, pads, value], {}, 'y'));
    expect(() => runPipeline(b.build(), 'plan-memory', PASSES)).toThrow(/depends on the values of %pads \(read by Pad 'y'\).*bind the graph inputs they come from with --bind/);
  });
});
