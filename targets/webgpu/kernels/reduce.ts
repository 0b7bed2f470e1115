import { getAttr, type Node } from '../../../ir/index.js';
import { at, product, shapeOf, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, rowMajorStrides, stridedIndex, u32Literal as u } from '../wgsl.js';
import { needsF32 } from './common.js';

/**
 * ReduceSum / Mean / Max / Min / Prod / SumSquare / L1 / L2 / LogSum over constant axes: one invocation per
 * output element walks the reduced box (its offsets by constant strides).
 */
const KINDS: Record<string, { init: string; step: (acc: string, v: string) => string; done: (acc: string, count: number) => string }> = {
  ReduceSum: { init: '0.0', step: (a, v) => `${a} + ${v}`, done: (a) => a },
  ReduceMean: { init: '0.0', step: (a, v) => `${a} + ${v}`, done: (a, n) => `${a} / f32(${n})` },
  ReduceMax: { init: '-f32_inf()', step: (a, v) => `max(${a}, ${v})`, done: (a) => a },
  ReduceMin: { init: 'f32_inf()', step: (a, v) => `min(${a}, ${v})`, done: (a) => a },
  ReduceProd: { init: '1.0', step: (a, v) => `${a} * ${v}`, done: (a) => a },
  ReduceSumSquare: { init: '0.0', step: (a, v) => `${a} + ${v} * ${v}`, done: (a) => a },
  ReduceL1: { init: '0.0', step: (a, v) => `${a} + abs(${v})`, done: (a) => a },
  ReduceL2: { init: '0.0', step: (a, v) => `${a} + ${v} * ${v}`, done: (a) => `sqrt(${a})` },
  ReduceLogSum: { init: '0.0', step: (a, v) => `${a} + ${v}`, done: (a) => `log(${a})` },
};

/** The reduced axes (constant axes operand; empty means all unless noop_with_empty_axes), or a reason. */
function reducedAxes(node: Node): number[] | string {
  const rank = node.inputs[0]!.type.shape.length;
  const axesValue = node.inputs[1];
  if (axesValue && !axesValue.data) return `${node.op} needs constant axes, but %${axesValue.name} is computed at run time`;
  const values = axesValue ? Array.from(axesValue.data!.data as ArrayLike<number | bigint>, Number) : [];
  if (values.length === 0) return getAttr<number>(node, 'noop_with_empty_axes') ? [] : Array.from({ length: rank }, (_, i) => i);
  return values.map((a) => (a < 0 ? a + rank : a));
}

export const reduceKernels: GpuKernel = {
  ops: Object.keys(KINDS),
  check(node) {
    const bad = needsF32(node, [0]);
    if (bad) return bad;
    const axes = reducedAxes(node);
    return typeof axes === 'string' ? axes : null;
  },
  emit(node, ctx) {
    const shape = shapeOf(node.inputs[0]!);
    const axes = reducedAxes(node) as number[];
    const strides = rowMajorStrides(shape);
    const kept = shape.map((_, a) => a).filter((a) => !axes.includes(a));
    const reduced = axes.slice().sort((a, b) => a - b);
    const total = product(kept.map((a) => shape[a]!));
    const count = product(reduced.map((a) => shape[a]!));
    if (total === 0) return [];
    const kind = KINDS[node.op]!;
    const x = ctx.locate(node.inputs[0]!);
    const body = [
      `  ${stridedIndex('base', 'i', kept.map((a) => shape[a]!), kept.map((a) => strides[a]!))}`,
      `  var acc = ${kind.init};`,
      `  for (var r = 0u; r < ${u(count)}; r = r + 1u) {`,
      `    ${stridedIndex('off', 'r', reduced.map((a) => shape[a]!), reduced.map((a) => strides[a]!))}`,
      `    let v = ${at(x, 'base + off')};`,
      `    acc = ${kind.step('acc', 'v')};`,
      '  }',
      `  ${at(ctx.locate(node.outputs[0]!), 'i')} = ${kind.done('acc', count)};`,
    ];
    const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, body.join('\n'));
    return [{ code: `${bindings('f32')}\n${code}\n`, workgroups }];
  },
};
