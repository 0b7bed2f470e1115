import binaryen from 'binaryen';
import { getAttr, normalizeAxis, numel, type Node } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { WasmKernel } from '../../kernel.js';
import { expV, logV } from '../../vmath.js';
import { expShifted } from './reduce.js';
import { buildSoftmaxF64 } from './softmax-f64.js';
import { blockedLoop, horizontal, LANES, loadPartial, MAX, mapRow, nest, reduceRow, storePartial, SUM } from './reduce-simd.js';

/**
 * Softmax and LogSoftmax along one axis, the input viewed as [outer, len, inner]. Numerically stable: the
 * maximum along the axis is subtracted before exp (vmath's expV).
 *
 * inner = 1 (the usual last axis): each row is contiguous; max, then exp(x - max) written to the output and
 * summed (blocked), then scaled by 1/sum (Softmax), or x - max - log(sum) (LogSoftmax).
 * inner > 1: SIMD across the inner dim, four columns per vector, each lane walking its column with stride inner.
 * f64: softmax-f64.ts.
 */

type Expr = binaryen.ExpressionRef;

/** Partial sums per lane run over at most this many steps before they are folded into the total. */
const LANE_BLOCK = 64;

function buildRows(fn: FunctionBuilder, log: boolean, outer: number, len: number): Expr {
  const f = fn.m.f32x4;
  const inBase = fn.i32Local();
  const outBase = fn.i32Local();
  const body = nest(fn, [{ size: outer, strides: [len * 4, len * 4] }], [inBase, outBase], ([pi, po]) => {
    const mx = fn.v128Local();
    const sum = fn.v128Local();
    const code: Expr[] = [mx.set(fn.splat(-Infinity)), ...reduceRow(fn, pi!, len, MAX, mx), ...horizontal(fn, mx, MAX.combine)];
    if (log) {
      const shift = fn.v128Local();
      code.push(
        sum.set(fn.splat(0)),
        ...reduceRow(fn, pi!, len, expShifted(mx), sum),
        ...horizontal(fn, sum, SUM.combine),
        shift.set(logV(fn, sum.get())),
        ...mapRow(fn, po!, [pi!], len, ([x]) => f.sub(f.sub(x!, mx.get()), shift.get())),
      );
    } else {
      code.push(
        ...mapRow(fn, po!, [pi!], len, ([x]) => expV(fn, f.sub(x!, mx.get()))),
        sum.set(fn.splat(0)),
        ...reduceRow(fn, po!, len, SUM, sum),
        ...horizontal(fn, sum, SUM.combine),
        ...mapRow(fn, po!, [po!], len, ([e]) => f.div(e!, sum.get())),
      );
    }
    return code;
  });
  return fn.block([inBase.set(fn.param(0)), outBase.set(fn.param(1)), body]);
}

function buildColumns(fn: FunctionBuilder, log: boolean, outer: number, len: number, inner: number): Expr {
  const f = fn.m.f32x4;
  const inBase = fn.i32Local();
  const outBase = fn.i32Local();
  const stride = inner * 4;
  /** One vector of `lanes` columns at pi/po. */
  const column = (pi: Local, po: Local, lanes: number): Expr[] => {
    const mx = fn.v128Local();
    const sum = fn.v128Local();
    const part = fn.v128Local();
    const v = fn.v128Local();
    const q = fn.i32Local();
    const o = fn.i32Local();
    const code: Expr[] = [mx.set(fn.splat(-Infinity))];
    // Pass 1: the column maxima (lanes beyond `lanes` read nothing and stay -inf).
    code.push(
      nest(fn, [{ size: len, strides: [stride] }], [pi], ([p]) => [mx.set(f.max(mx.get(), loadPartial(fn, p!, 0, lanes, -Infinity)))]),
    );
    // Pass 2: sum of exp(x - max), blocked; Softmax also stores the exponentials.
    code.push(
      sum.set(fn.splat(0)),
      q.set(pi.get()),
      o.set(po.get()),
      blockedLoop(
        fn,
        len,
        LANE_BLOCK,
        [q, o],
        [stride, stride],
        () => [part.set(fn.splat(0))],
        () => [
          v.set(expV(fn, f.sub(loadPartial(fn, q, 0, lanes), mx.get()))),
          ...(log ? [] : [storePartial(fn, o, 0, v, lanes)]),
          part.set(f.add(part.get(), v.get())),
        ],
        () => [sum.set(f.add(sum.get(), part.get()))],
      ),
    );
    // Pass 3: normalize.
    if (log) code.push(sum.set(logV(fn, sum.get())));
    code.push(
      nest(fn, [{ size: len, strides: [stride, stride] }], [pi, po], ([p, d]) => [
        v.set(log ? f.sub(f.sub(loadPartial(fn, p!, 0, lanes), mx.get()), sum.get()) : f.div(loadPartial(fn, d!, 0, lanes), sum.get())),
        storePartial(fn, d!, 0, v, lanes),
      ]),
    );
    return code;
  };
  const vectors = Math.floor(inner / LANES);
  const rest = inner - vectors * LANES;
  const body = nest(fn, [{ size: outer, strides: [len * stride, len * stride] }], [inBase, outBase], ([pi, po]) => {
    const code: Expr[] = [];
    if (vectors > 0) code.push(nest(fn, [{ size: vectors, strides: [16, 16] }], [pi!, po!], ([ci, co]) => column(ci!, co!, LANES)));
    if (rest > 0) {
      const ci = fn.i32Local();
      const co = fn.i32Local();
      code.push(ci.set(fn.addConst(pi!.get(), vectors * 16)), co.set(fn.addConst(po!.get(), vectors * 16)), ...column(ci, co, rest));
    }
    return code;
  });
  return fn.block([inBase.set(fn.param(0)), outBase.set(fn.param(1)), body]);
}

export const softmaxKernels: WasmKernel = {
  ops: ['Softmax', 'LogSoftmax'],
  check(node: Node) {
    const x = node.inputs[0]!;
    if (x.type.dtype !== 'f32' && x.type.dtype !== 'f64') return `${node.op} on ${x.type.dtype} is not supported (only f32, f64)`;
    return null;
  },
  checkDims(node: Node) {
    return numel(node.inputs[0]!.type.shape as number[]) === 0 ? 'empty tensors are not supported' : null;
  },
  emit(node, ctx) {
    const x = node.inputs[0]!;
    const shape = x.type.shape as number[];
    const log = node.op === 'LogSoftmax';
    const axis = shape.length === 0 ? 0 : normalizeAxis(getAttr<number>(node, 'axis'), shape.length);
    const len = shape.length === 0 ? 1 : shape[axis]!;
    const outer = numel(shape.slice(0, axis));
    const inner = numel(shape.slice(axis + 1));
    if (x.type.dtype === 'f64') return ctx.call(ctx.defineFunction('softmax-f64', { log, outer, len, inner }, 2, buildSoftmaxF64), [ctx.addressOf(x), ctx.addressOf(node.outputs[0]!)]);
    const name = ctx.defineFunction('softmax', { log, outer, len, inner }, 2, (fn, p) => (p.inner === 1 ? buildRows(fn, p.log, p.outer, p.len) : buildColumns(fn, p.log, p.outer, p.len, p.inner)));
    return ctx.call(name, [ctx.addressOf(x), ctx.addressOf(node.outputs[0]!)]);
  },
};
