import { getAttr, type Node } from '../../../ir/index.js';
import { lrnWindow } from '../../../ir/ops/nn.js';
import { at, product, shapeOf, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, f32Literal, i32Literal as i, u32Literal as u } from '../wgsl.js';
import { needsF32 } from './common.js';

/**
 * LRN (f32): one invocation per output element sums the squares of its channel window (the reference's order)
 * and scales x by (bias + alpha/size * sum)^-beta:
 *   y[n, c, s] = x[n, c, s] * pow(bias + alpha/size * sum_{k in [max(0, c - before), min(C - 1, c + after)]} x[n, k, s]^2, -beta)
 */
function lrnBody(node: Node, x: (index: string) => string, y: (index: string) => string): string {
  const shape = shapeOf(node.inputs[0]!);
  const C = shape[1]!;
  const vol = product(shape.slice(2));
  const size = getAttr<number>(node, 'size');
  const { before, after } = lrnWindow(size);
  return [
    `  let s = i % ${u(vol)};`,
    `  let c = i32((i / ${u(vol)}) % ${u(C)});`,
    `  let image = (i / ${u(vol * C)}) * ${u(vol * C)} + s;`,
    `  let lo = max(c - ${i(before)}, 0i);`,
    `  let hi = min(c + ${i(after)}, ${i(C - 1)});`,
    '  var sum = 0.0;',
    '  for (var k = lo; k <= hi; k = k + 1i) {',
    `    let v = ${x(`image + u32(k) * ${u(vol)}`)};`,
    '    sum = fma(v, v, sum);',
    '  }',
    `  let base = fma(sum, ${f32Literal(getAttr<number>(node, 'alpha') / size)}, ${f32Literal(getAttr<number>(node, 'bias'))});`,
    `  ${y('i')} = ${x('i')} * pow(base, ${f32Literal(-getAttr<number>(node, 'beta'))});`,
  ].join('\n');
}

export const lrnKernels: GpuKernel = {
  ops: ['LRN'],
  check: (node) => needsF32(node),
  emit(node, ctx) {
    const total = product(shapeOf(node.outputs[0]!));
    if (total === 0) return [];
    const x = ctx.locate(node.inputs[0]!);
    const y = ctx.locate(node.outputs[0]!);
    const kernel = elementKernel(total, ctx.options.workgroupSize, lrnBody(node, (index) => at(x, index), (index) => at(y, index)));
    return [{ code: `${bindings('f32')}\n${kernel.code}\n`, workgroups: kernel.workgroups }];
  },
};
