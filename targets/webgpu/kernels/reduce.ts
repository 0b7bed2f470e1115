import { getAttr, normalizeAxis, type Node } from '../../../ir/index.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext, type GpuKernel } from '../kernel.js';
import { bindings, elementKernel, rowMajorStrides, stridedIndex, u32Literal as u } from '../wgsl.js';
import { needsF32 } from './common.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * ReduceSum / Mean / Max / Min / Prod / SumSquare / L1 / L2 / LogSum over constant axes: one invocation per
 * output element walks the reduced box (its offsets by constant strides). ReduceLogSumExp walks it twice:
 * m = max x (NaN wins), then m + log(sum exp(x - m)), so no exp overflows; m = -inf (all -inf, or an empty
 * box) gives -inf, as in the reference. Bool ReduceMax / ReduceMin are any / all: the max (min) of 0/1 bytes
 * from 0 (1), so an empty box gives false (true). ArgMax / ArgMin likewise walk their
 * axis keeping the first (or, with select_last_index, the last) extreme; 64-bit integers are compared as
 * (high word, low word) pairs, and the i64 index is written as two words.
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

/** Element types ArgMax / ArgMin read: WGSL type, load of element k, and the strict comparison `a < b`. */
const ARG_TYPES: Record<string, { type: string; load: (word: (index: string) => string) => string; less: string }> = {
  f32: { type: 'f32', load: (w) => `bitcast<f32>(${w('k')})`, less: 'a < b' },
  i32: { type: 'i32', load: (w) => `bitcast<i32>(${w('k')})`, less: 'a < b' },
  u32: { type: 'u32', load: (w) => w('k'), less: 'a < b' },
  i8: { type: 'i32', load: (w) => `bitcast<i32>(${w('(k >> 2u)')} << (24u - 8u * (k & 3u))) >> 24u`, less: 'a < b' },
  u8: { type: 'u32', load: (w) => `(${w('(k >> 2u)')} >> (8u * (k & 3u))) & 0xffu`, less: 'a < b' },
  i64: { type: 'vec2<u32>', load: (w) => `vec2<u32>(${w('2u * k')}, ${w('2u * k + 1u')})`, less: 'bitcast<i32>(a.y) < bitcast<i32>(b.y) || (a.y == b.y && a.x < b.x)' },
  u64: { type: 'vec2<u32>', load: (w) => `vec2<u32>(${w('2u * k')}, ${w('2u * k + 1u')})`, less: 'a.y < b.y || (a.y == b.y && a.x < b.x)' },
};

function emitArg(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const x = node.inputs[0]!;
  const shape = shapeOf(x);
  const axis = normalizeAxis(getAttr<number>(node, 'axis'), shape.length);
  const dim = shape[axis]!;
  const inner = product(shape.slice(axis + 1));
  const total = product(shape) / dim;
  if (total === 0) return [];
  const t = ARG_TYPES[x.type.dtype]!;
  const loc = ctx.locate(x);
  const last = getAttr<number>(node, 'select_last_index') !== 0;
  // ArgMax: e wins when best < e (or ties with select_last_index); ArgMin: when e < best.
  const [a, b] = node.op === 'ArgMax' ? ['best', 'e'] : ['e', 'best'];
  const equal = t.type === 'vec2<u32>' ? 'all(a == b)' : 'a == b';
  const out = ctx.locate(node.outputs[0]!);
  const functions = `fn ld(k: u32) -> ${t.type} { return ${t.load((index) => at(loc, index))}; }
fn less(a: ${t.type}, b: ${t.type}) -> bool { return ${t.less}; }
fn wins(a: ${t.type}, b: ${t.type}) -> bool { return less(a, b)${last ? ` || ${equal}` : ''}; }`;
  const body = [
    `  let base = (i / ${u(inner)}) * ${u(dim * inner)} + i % ${u(inner)};`,
    '  var at_best = 0u;',
    '  var best = ld(base);',
    `  for (var j = 1u; j < ${u(dim)}; j = j + 1u) {`,
    `    let e = ld(base + j * ${u(inner)});`,
    `    if (wins(${a}, ${b})) { at_best = j; best = e; }`,
    '  }',
    `  ${at(out, '2u * i')} = at_best;`,
    `  ${at(out, '2u * i + 1u')} = 0u;`,
  ];
  const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, body.join('\n'));
  return [{ code: `${bindings('u32')}\n${functions}\n${code}\n`, workgroups }];
}

const ARG_OPS = ['ArgMax', 'ArgMin'];
const BOOL_OPS: Record<string, { init: string; fold: string }> = { ReduceMax: { init: '0i', fold: 'max' }, ReduceMin: { init: '1i', fold: 'min' } };
const isBoolReduce = (node: Node) => node.inputs[0]!.type.dtype === 'bool' && node.op in BOOL_OPS;

/** The reduced box of an output element i: `base` (its first element) and, per reduced r, `off`. */
function reduceBox(shape: readonly number[], axes: readonly number[]) {
  const strides = rowMajorStrides(shape);
  const kept = shape.map((_, a) => a).filter((a) => !axes.includes(a));
  const reduced = axes.slice().sort((a, b) => a - b);
  return {
    total: product(kept.map((a) => shape[a]!)),
    count: product(reduced.map((a) => shape[a]!)),
    base: `  ${stridedIndex('base', 'i', kept.map((a) => shape[a]!), kept.map((a) => strides[a]!))}`,
    offset: `${stridedIndex('off', 'r', reduced.map((a) => shape[a]!), reduced.map((a) => strides[a]!))}`,
  };
}

function emitBool(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const box = reduceBox(shapeOf(node.inputs[0]!), reducedAxes(node) as number[]);
  if (box.total === 0) return [];
  const { init, fold } = BOOL_OPS[node.op]!;
  const fn = `${loader(ctx, 'ld_x', node.inputs[0]!)}
fn element(o: u32) -> i32 {
  let i = o;
${box.base}
  var acc = ${init};
  for (var r = 0u; r < ${u(box.count)}; r = r + 1u) {
    ${box.offset}
    acc = ${fold}(acc, select(0i, 1i, ld_x(base + off) != 0i));
  }
  return acc;
}`;
  return [outputKernel(ctx, node.outputs[0]!, box.total, fn)];
}

export const reduceKernels: GpuKernel = {
  ops: [...Object.keys(KINDS), 'ReduceLogSumExp', ...ARG_OPS],
  check(node) {
    if (ARG_OPS.includes(node.op)) {
      const dtype = node.inputs[0]!.type.dtype;
      return ARG_TYPES[dtype] ? null : `${node.op} on ${dtype} is not supported (${Object.keys(ARG_TYPES).join(', ')})`;
    }
    const bad = isBoolReduce(node) ? null : needsF32(node, [0]);
    if (bad) return bad;
    const axes = reducedAxes(node);
    return typeof axes === 'string' ? axes : null;
  },
  checkDims(node) {
    return ARG_OPS.includes(node.op) && product(shapeOf(node.inputs[0]!)) === 0 ? 'empty tensors are not supported' : null;
  },
  emit(node, ctx) {
    if (ARG_OPS.includes(node.op)) return emitArg(node, ctx);
    if (isBoolReduce(node)) return emitBool(node, ctx);
    const { total, count, base, offset } = reduceBox(shapeOf(node.inputs[0]!), reducedAxes(node) as number[]);
    if (total === 0) return [];
    const x = ctx.locate(node.inputs[0]!);
    /** A loop over the reduced box with v the element, running `step`. */
    const walk = (step: string): string[] => [
      `  for (var r = 0u; r < ${u(count)}; r = r + 1u) {`,
      `    ${offset}`,
      `    let v = ${at(x, 'base + off')};`,
      `    ${step}`,
      '  }',
    ];
    const y = at(ctx.locate(node.outputs[0]!), 'i');
    const kind = KINDS[node.op];
    const body = kind
      ? [base, `  var acc = ${kind.init};`, ...walk(`acc = ${kind.step('acc', 'v')};`), `  ${y} = ${kind.done('acc', count)};`]
      : [
          base,
          '  var m = -f32_inf();',
          ...walk("if (v > m || f32_is_nan(v)) { m = v; }"),
          '  var acc = 0.0;',
          ...walk('acc = acc + exp(v - m);'),
          `  ${y} = select(m + log(acc), m, m == -f32_inf());`,
        ];
    const { code, workgroups } = elementKernel(total, ctx.options.workgroupSize, body.join('\n'));
    return [{ code: `${bindings('f32')}\n${code}\n`, workgroups }];
  },
};
