import { inferNodeTypes, isStaticShape, makeTensor, Node, numel, Value, type Tensor } from '../../ir/index.js';
import { getKernel, kernelContext } from '../../targets/reference/kernels/index.js';
import type { Rewrite } from './normalize-context.js';

/**
 * Import-time evaluation of small computations on constants, chiefly the Shape -> Gather -> Concat -> Reshape
 * chains exporters emit for dynamic dims: once inputShapes fixes the dims, Shape of a static value is a
 * constant, and folding what follows gives Reshape a constant shape, so every downstream type becomes static.
 * Only small tensors are folded (weights are left to the fold-constants pass), with the reference kernels.
 */
const MAX_FOLD_ELEMENTS = 4096;
// Quantization nodes on constant weights stay: lower-qdq reads the integer weights and their parameters off them.
const NEVER_FOLD = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'Dropout', 'DequantizeLinear', 'QuantizeLinear']);

/** The node's outputs computed now, or undefined when it must stay a node. */
export function foldSmallNode(rewrite: Rewrite, outputCount: number, name: string): Tensor[] | undefined {
  const { op, inputs, attrs } = rewrite;
  if (NEVER_FOLD.has(op) || outputCount === 0) return undefined;
  const present = inputs.filter((v): v is Value => v !== null);
  if (present.length === 0) return undefined;
  if (op === 'Shape') return foldShape(rewrite);
  if (op === 'Size') return foldSize(rewrite);
  if (!present.every((v) => v.data && numel(v.data.shape) <= MAX_FOLD_ELEMENTS)) return undefined;
  const kernel = getKernel(op);
  if (!kernel) return undefined;

  const outputs = Array.from({ length: outputCount }, (_, i) => new Value(`fold_${i}`, { dtype: 'f32', shape: [] }));
  const node = new Node(op, inputs, outputs, attrs, name);
  const types = inferNodeTypes(node);
  if (!types.every((t) => isStaticShape(t.shape) && numel(t.shape) <= MAX_FOLD_ELEMENTS)) return undefined;
  let results: Tensor[];
  try {
    results = kernel(
      inputs.map((v) => v?.data ?? null),
      kernelContext(node),
    );
  } catch {
    return undefined; // leave the failure to run time, where it is reported against real inputs
  }
  if (results.length < outputCount) return undefined;
  const ok = types.every((t, i) => results[i]!.dtype === t.dtype && results[i]!.shape.join() === t.shape.join());
  return ok ? results.slice(0, outputCount) : undefined;
}

/** Size(x) with x's shape static: its element count (a rank test like AffineGrid's picks an If branch with it). */
function foldSize({ inputs }: Rewrite): Tensor[] | undefined {
  const shape = inputs[0]?.type.shape;
  if (!shape || !isStaticShape(shape)) return undefined;
  return [makeTensor('i64', [], [numel(shape)])];
}

/** Shape(x) with x's shape static, honouring opset 15's start/end (clamped, negative from the end). */
function foldShape({ inputs, attrs }: Rewrite): Tensor[] | undefined {
  const shape = inputs[0]?.type.shape;
  if (!shape || !isStaticShape(shape)) return undefined;
  const rank = shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(Number(attrs['start'] ?? 0));
  const end = clamp(Number(attrs['end'] ?? rank));
  const dims = shape.slice(start, Math.max(start, end));
  return [makeTensor('i64', [dims.length], dims)];
}
