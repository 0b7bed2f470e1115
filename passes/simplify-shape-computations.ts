import { makeTensor, toNumbers, type Dim, type Node, type Value } from '../ir/index.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';
import { foldConstantOperandsPattern, newFoldStats } from './util-fold.js';
import { refreshTypes } from './util-types.js';

/**
 * Shape computations exported from PyTorch (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, ConstantOfShape ->
 * Equal -> Where, ...) only compute numbers the types already know once input shapes are fixed. This pass turns
 * Shape (and Gather/Slice picking static dims out of a partly symbolic Shape) into constants, folds what then
 * depends only on constants, and re-infers types so that the next Shape down sees static dims, to a fixed point.
 */

/** Folded values stay shape-sized: this pass is not the place to bake large tensors into the weights. */
const SHAPE_FOLD_MAX_BYTES = 4096;
const MAX_ROUNDS = 20;

/** Shape's [start, end) window over the dims, clamped as ONNX specifies (as the Shape op's inference does). */
function shapeWindow(node: Node): Dim[] {
  const dims = node.inputs[0]!.type.shape;
  const rank = dims.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = (node.attrs['start'] as number | undefined) ?? 0;
  const end = node.attrs['end'] as number | undefined;
  return dims.slice(clamp(start), clamp(end ?? rank));
}

/** The dims a Shape node reports, when its operand is a Shape node's output. */
function shapeDimsOf(v: Value | null): Dim[] | undefined {
  return v?.producer?.op === 'Shape' ? shapeWindow(v.producer) : undefined;
}

function replaceByDims(node: Node, dims: readonly Dim[], shape: readonly number[], rewriter: PatternRewriter): boolean {
  if (!dims.every((d): d is number => typeof d === 'number')) return false;
  const out = node.outputs[0]!;
  if (rewriter.graph.outputs.includes(out)) return false;
  const c = rewriter.constant(`${out.name}_folded`, makeTensor('i64', shape, dims));
  rewriter.replace(node, [c]);
  c.name = out.name;
  return true;
}

const shapeOfStaticValue: RewritePattern = {
  name: 'shape-of-static-value',
  roots: ['Shape'],
  rewrite(node, rewriter) {
    const dims = shapeWindow(node);
    return replaceByDims(node, dims, [dims.length], rewriter);
  },
};

/** Gather(Shape(x), constant indices) picking only static dims, even when other dims of x are symbolic. */
const gatherOfShape: RewritePattern = {
  name: 'gather-static-dims-of-shape',
  roots: ['Gather'],
  rewrite(node, rewriter) {
    const dims = shapeDimsOf(node.inputs[0]!);
    const indices = node.inputs[1]!.data;
    if (!dims || !indices) return false;
    const picked = toNumbers(indices).map((i) => dims[i < 0 ? i + dims.length : i]);
    if (picked.some((d) => d === undefined)) return false; // out of range: leave the error to run time
    return replaceByDims(node, picked as Dim[], indices.shape, rewriter);
  },
};

/** Slice(Shape(x), constant bounds) picking only static dims. */
const sliceOfShape: RewritePattern = {
  name: 'slice-static-dims-of-shape',
  roots: ['Slice'],
  rewrite(node, rewriter) {
    const dims = shapeDimsOf(node.inputs[0]!);
    const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => {
      const v = node.inputs[i];
      return v ? (v.data ? toNumbers(v.data) : undefined) : null;
    });
    if (!dims || !starts || !ends || axes === undefined || steps === undefined) return false;
    if (starts.length !== 1 || (axes && (axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1)))) return false;
    const n = dims.length;
    const step = steps ? steps[0]! : 1;
    if (step === 0) return false;
    let start = starts[0]! < 0 ? starts[0]! + n : starts[0]!;
    let end = ends[0]! < 0 ? ends[0]! + n : ends[0]!;
    const picked: Dim[] = [];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), n);
      end = Math.min(Math.max(end, 0), n);
      for (let i = start; i < end; i += step) picked.push(dims[i]!);
    } else {
      start = Math.min(Math.max(start, 0), n - 1);
      end = Math.min(Math.max(end, -1), n - 1);
      for (let i = start; i > end; i += step) picked.push(dims[i]!);
    }
    return replaceByDims(node, picked, [picked.length], rewriter);
  },
};

/**
 * Reshape(x, Concat(constants..., d, constants...)) with a single computed entry d (say batch * heads under a
 * symbolic batch): d can only be numel(x) / product(constants), which is what -1 asks Reshape to compute. The
 * arithmetic behind d then dies, and the constant entries become static dims of the output type.
 */
const reshapeWithOneComputedDim: RewritePattern = {
  name: 'reshape-with-one-computed-dim',
  roots: ['Reshape'],
  rewrite(node, rewriter) {
    const concat = node.inputs[1]!.producer;
    if (concat?.op !== 'Concat' || concat.inputs.some((v) => !v || v.type.shape.length !== 1)) return false;
    const computed = concat.inputs.filter((v) => !v!.isConstant);
    if (computed.length !== 1 || computed[0]!.type.shape[0] !== 1) return false;
    const entries = concat.inputs.flatMap((v) => (v!.isConstant ? toNumbers(v!.data!) : [-1]));
    // Another -1 would be ambiguous; 0 with allowzero = 1 makes an empty tensor, where -1 is undefined.
    const allowZero = (node.attrs['allowzero'] as number | undefined) === 1;
    if (entries.filter((d) => d === -1).length !== 1 || entries.some((d) => d < -1 || (allowZero && d === 0))) return false;
    const target = rewriter.constant(`${node.inputs[1]!.name}_inferred`, makeTensor('i64', [entries.length], entries));
    rewriter.setOperand(node, 1, target);
    return true;
  },
};

export const simplifyShapeComputationsPass: Pass = {
  name: 'simplify-shape-computations',
  description: 'replaces Shape of statically shaped values by constants and folds the shape arithmetic over them',
  run(graph, _options, context) {
    const stats = newFoldStats();
    const patterns: RewritePattern[] = [shapeOfStaticValue, gatherOfShape, sliceOfShape, reshapeWithOneComputedDim];
    if (context.evaluate) patterns.push(foldConstantOperandsPattern({ evaluate: context.evaluate, maxBytes: SHAPE_FOLD_MAX_BYTES }, stats));
    const shapesBefore = graph.nodes.filter((n) => n.op === 'Shape').length;
    let changed = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (!applyPatternsGreedily(graph, patterns)) break;
      changed = true;
      // Folded Reshape targets and Slice bounds sharpen the types downstream: the next round sees them.
      if (!refreshTypes(graph)) break;
    }
    context.reports.set('simplify-shape-computations', {
      shapesFolded: shapesBefore - graph.nodes.filter((n) => n.op === 'Shape').length,
      folded: stats.folded,
      ...(context.evaluate ? {} : { note: 'no evaluator in the pass context: only Shape/Gather/Slice of shapes were folded' }),
    });
    return changed;
  },
};
