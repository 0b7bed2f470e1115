import binaryen from 'binaryen';
import { getAttr, normalizeAxis, numel, type Node, type Value } from '../../../../ir/index.js';
import type { FunctionBuilder, Local } from '../../dsl.js';
import type { EmitContext, WasmKernel } from '../../kernel.js';
import { horizontal, mapRow, nest, reduceRow, storePartial, SUM, type VecReducer } from './reduce-simd.js';

/**
 * BatchNormalization (inference), InstanceNormalization and LayerNormalization, f32.
 *
 * Statistics are computed as the reference does, in two passes (mean, then the mean squared deviation), each a
 * blocked SIMD sum over a contiguous run (an (n, c) plane or a normalized row). BatchNormalization computes per
 * channel a = scale / sqrt(var + eps) and shift = B - mean * a at run time (the operands need not be constant;
 * passes usually fold it into Conv anyway), then y = x * a + shift.
 */

type Expr = binaryen.ExpressionRef;

/** Sums of (x - mean)^2, the variance's numerator. */
function squaredDeviation(mean: Local): VecReducer {
  return {
    identity: 0,
    blocked: true,
    combine: SUM.combine,
    map: (fn, x) => {
      const d = fn.v128Local();
      return fn.m.block(null, [d.set(fn.m.f32x4.sub(x, mean.get())), fn.m.f32x4.mul(d.get(), d.get())], binaryen.v128);
    },
  };
}

/** Mean and 1/sqrt(variance + eps) of `count` floats at `ptr`, into vector locals (all lanes equal). */
function moments(fn: FunctionBuilder, ptr: Local, count: number, epsilon: number, mean: Local, invStd: Local): Expr[] {
  const f = fn.m.f32x4;
  const sq = fn.v128Local();
  return [
    mean.set(fn.splat(0)),
    ...reduceRow(fn, ptr, count, SUM, mean),
    ...horizontal(fn, mean, SUM.combine),
    mean.set(f.div(mean.get(), fn.splat(count))),
    sq.set(fn.splat(0)),
    ...reduceRow(fn, ptr, count, squaredDeviation(mean), sq),
    ...horizontal(fn, sq, SUM.combine),
    invStd.set(f.div(fn.splat(1), f.sqrt(f.add(f.div(sq.get(), fn.splat(count)), fn.splat(epsilon))))),
  ];
}

function checkFloats(node: Node): string | null {
  for (const v of node.inputs) {
    if (v && v.type.dtype !== 'f32') return `${node.op} with ${v.type.dtype} operand %${v.name} is not supported (only f32)`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------

function buildBatchNorm(fn: FunctionBuilder, batch: number, channels: number, vol: number, epsilon: number): Expr {
  const f = fn.m.f32x4;
  const [x, y, scale, bias, mean, variance] = [0, 1, 2, 3, 4, 5].map((i) => {
    const l = fn.i32Local();
    return { l, init: l.set(fn.param(i)) };
  });
  const a = fn.v128Local();
  const shift = fn.v128Local();
  const planeBytes = vol * 4;
  const body = nest(
    fn,
    [
      { size: batch, strides: [channels * planeBytes, channels * planeBytes, 0, 0, 0, 0] },
      { size: channels, strides: [planeBytes, planeBytes, 4, 4, 4, 4] },
    ],
    [x!.l, y!.l, scale!.l, bias!.l, mean!.l, variance!.l],
    ([px, py, ps, pb, pm, pv]) => [
      a.set(f.div(fn.loadSplat(ps!.get()), f.sqrt(f.add(fn.loadSplat(pv!.get()), fn.splat(epsilon))))),
      shift.set(f.sub(fn.loadSplat(pb!.get()), f.mul(fn.loadSplat(pm!.get()), a.get()))),
      ...mapRow(fn, py!, [px!], vol, ([v]) => f.add(f.mul(v!, a.get()), shift.get())),
    ],
  );
  return fn.block([...[x, y, scale, bias, mean, variance].map((p) => p!.init), body]);
}

function buildInstanceNorm(fn: FunctionBuilder, batch: number, channels: number, vol: number, epsilon: number): Expr {
  const f = fn.m.f32x4;
  const locals = [0, 1, 2, 3].map(() => fn.i32Local());
  const mean = fn.v128Local();
  const invStd = fn.v128Local();
  const a = fn.v128Local();
  const shift = fn.v128Local();
  const planeBytes = vol * 4;
  const body = nest(
    fn,
    [
      { size: batch, strides: [channels * planeBytes, channels * planeBytes, 0, 0] },
      { size: channels, strides: [planeBytes, planeBytes, 4, 4] },
    ],
    locals,
    ([px, py, ps, pb]) => [
      ...moments(fn, px!, vol, epsilon, mean, invStd),
      a.set(f.mul(fn.loadSplat(ps!.get()), invStd.get())),
      shift.set(f.sub(fn.loadSplat(pb!.get()), f.mul(mean.get(), a.get()))),
      ...mapRow(fn, py!, [px!], vol, ([v]) => f.add(f.mul(v!, a.get()), shift.get())),
    ],
  );
  return fn.block([...locals.map((l, i) => l.set(fn.param(i))), body]);
}

interface LayerNormPlan {
  rows: number;
  inner: number;
  epsilon: number;
  bias: boolean;
  stats: boolean;
}

/** Params: X, Y, Scale (inner floats), B (if any), Mean and InvStdDev (if any). */
function buildLayerNorm(fn: FunctionBuilder, p: LayerNormPlan): Expr {
  const f = fn.m.f32x4;
  const x = fn.i32Local();
  const y = fn.i32Local();
  const scale = fn.i32Local();
  const bias = fn.i32Local();
  const meanOut = fn.i32Local();
  const invOut = fn.i32Local();
  let param = 0;
  const init = [x.set(fn.param(param++)), y.set(fn.param(param++)), scale.set(fn.param(param++))];
  if (p.bias) init.push(bias.set(fn.param(param++)));
  if (p.stats) init.push(meanOut.set(fn.param(param++)), invOut.set(fn.param(param++)));
  const mean = fn.v128Local();
  const invStd = fn.v128Local();
  const rowBytes = p.inner * 4;
  const body = nest(fn, [{ size: p.rows, strides: [rowBytes, rowBytes, 4, 4] }], [x, y, meanOut, invOut], ([px, py, pm, pi]) => {
    const code = moments(fn, px!, p.inner, p.epsilon, mean, invStd);
    const srcs = p.bias ? [px!, scale, bias] : [px!, scale];
    code.push(
      ...mapRow(fn, py!, srcs, p.inner, ([v, s, b]) => {
        const scaled = f.mul(f.mul(f.sub(v!, mean.get()), invStd.get()), s!);
        return b ? f.add(scaled, b) : scaled;
      }),
    );
    if (p.stats) code.push(storePartial(fn, pm!, 0, mean, 1), storePartial(fn, pi!, 0, invStd, 1));
    return code;
  });
  return fn.block([...init, body]);
}

/**
 * Address of Scale or B as `inner` contiguous floats: the value itself when it has that many elements (leading
 * 1s aside, broadcasting to the normalized dims is then the identity), else its constant data broadcast here.
 */
function expandedAddress(v: Value, normShape: readonly number[], ctx: EmitContext): number {
  const inner = numel(normShape);
  const shape = v.type.shape as number[];
  if (numel(shape) === inner) return ctx.addressOf(v);
  const src = v.data!.data as Float32Array;
  const out = new Float32Array(inner);
  const offset = normShape.length - shape.length;
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  for (let i = 0; i < inner; i++) {
    let rem = i;
    let at = 0;
    for (let a = 0; a < normShape.length; a++) {
      const stride = numel(normShape.slice(a + 1));
      const coord = Math.floor(rem / stride);
      rem -= coord * stride;
      const sa = a - offset;
      if (sa >= 0 && shape[sa] !== 1) at += coord * strides[sa]!;
    }
    out[i] = src[at]!;
  }
  return ctx.placeData(`layernorm-broadcast:${v.name}:${normShape.join('x')}`, new Uint8Array(out.buffer));
}

/** The reasons read from the (static) dims and the attributes. */
function checkNormDims(node: Node): string | null {
  const x = node.inputs[0]!;
  if (numel(x.type.shape as number[]) === 0) return 'empty tensors are not supported';
  if (node.op === 'BatchNormalization') {
    if (getAttr<number>(node, 'training_mode') !== 0) return 'training_mode = 1 is not supported';
    if (node.outputs.length > 1) return 'the running_mean/running_var outputs are not supported';
    return null;
  }
  if (node.op === 'LayerNormalization') {
    const shape = x.type.shape as number[];
    const axis = normalizeAxis(getAttr<number>(node, 'axis'), shape.length);
    const inner = numel(shape.slice(axis));
    for (const v of node.inputs.slice(1)) {
      if (v && numel(v.type.shape as number[]) !== inner && !v.data) return `%${v.name} broadcasts to the normalized dims but is not a constant`;
    }
    for (const o of node.outputs.slice(1)) if (o.type.dtype !== 'f32') return `the ${o.type.dtype} Mean/InvStdDev outputs are not supported (stash_type f32 only)`;
  }
  return null;
}

function emitNorm(node: Node, ctx: EmitContext): Expr {
  const x = node.inputs[0]!;
  const shape = x.type.shape as number[];
  const epsilon = getAttr<number>(node, 'epsilon');
  const addrs = node.inputs.map((v) => (v ? ctx.addressOf(v) : 0));
  const out = ctx.addressOf(node.outputs[0]!);
  if (node.op === 'LayerNormalization') {
    const axis = normalizeAxis(getAttr<number>(node, 'axis'), shape.length);
    const normShape = shape.slice(axis);
    const p: LayerNormPlan = {
      rows: numel(shape.slice(0, axis)),
      inner: numel(normShape),
      epsilon,
      bias: !!node.inputs[2],
      stats: node.outputs.length > 1,
    };
    const args = [ctx.addressOf(x), out, expandedAddress(node.inputs[1]!, normShape, ctx)];
    if (p.bias) args.push(expandedAddress(node.inputs[2]!, normShape, ctx));
    if (p.stats) {
      // An absent Mean with a present InvStdDev is not expressible here: both are produced when either is.
      args.push(ctx.addressOf(node.outputs[1]!), node.outputs[2] ? ctx.addressOf(node.outputs[2]) : ctx.scratch(p.rows * 4));
    }
    return ctx.call(ctx.defineFunction('layernorm', p, args.length, buildLayerNorm), args);
  }
  const batch = shape[0]!;
  const channels = shape[1]!;
  const vol = numel(shape.slice(2));
  if (node.op === 'BatchNormalization') {
    const name = ctx.defineFunction('batchnorm', { batch, channels, vol, epsilon }, 6, (fn, p) => buildBatchNorm(fn, p.batch, p.channels, p.vol, p.epsilon));
    return ctx.call(name, [addrs[0]!, out, ...addrs.slice(1, 5)]);
  }
  const name = ctx.defineFunction('instancenorm', { batch, channels, vol, epsilon }, 4, (fn, p) => buildInstanceNorm(fn, p.batch, p.channels, p.vol, p.epsilon));
  return ctx.call(name, [addrs[0]!, out, addrs[1]!, addrs[2]!]);
}

export const normKernels: WasmKernel = {
  ops: ['BatchNormalization', 'InstanceNormalization', 'LayerNormalization'],
  check: checkFloats,
  checkDims: checkNormDims,
  scratchBytes(node) {
    // A Mean output without InvStdDev still needs somewhere to put the inverse deviations.
    if (node.op !== 'LayerNormalization' || node.outputs.length !== 2) return 0;
    const shape = node.inputs[0]!.type.shape as number[];
    return numel(shape.slice(0, normalizeAxis(getAttr<number>(node, 'axis'), shape.length))) * 4;
  },
  emit: emitNorm,
};
