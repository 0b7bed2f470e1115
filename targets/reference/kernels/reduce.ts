import { allocArray, dtypeRange, isBigInt, isFloat, numel, stridesOf, type DType, type Tensor } from '../../../ir/index.js';
import { registerKernels, type Kernel, type KernelContext } from './registry.js';
import { fromNumbers } from './util.js';
import { intsOf } from './tensor/copy.js';

/**
 * Reference kernels for ReduceX and ArgMax/ArgMin. Floats and 32-bit integers accumulate in f64; int64
 * Sum/Prod/Max/Min/Mean/L1/SumSquare accumulate in BigInt so they stay exact. Reducing an empty set gives the
 * operation's identity (0 for sums, 1 for Prod, the lowest value for Max, -inf for the log forms).
 */

type ReduceKind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'L1' | 'L2' | 'LogSum' | 'LogSumExp' | 'SumSquare';

interface Plan {
  /** Output shape with reduced axes kept as 1 or dropped, per keepdims. */
  shape: number[];
  /** Number of output elements. */
  size: number;
  /** For each input element, the flat index of the output element it folds into. */
  target: Int32Array;
  /** Input elements per output element. */
  count: number;
}

function plan(x: Tensor, axes: number[], keepDims: boolean): Plan {
  const rank = x.shape.length;
  const kept = x.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const keptStrides = stridesOf(kept).map((s, a) => (axes.includes(a) ? 0 : s));
  const n = numel(x.shape);
  const target = new Int32Array(n);
  if (rank > 0 && n > 0) {
    const coord = new Int32Array(rank);
    const lastDim = x.shape[rank - 1]!;
    const lastStride = keptStrides[rank - 1]!;
    for (let i = 0; i < n; ) {
      let base = 0;
      for (let a = 0; a < rank - 1; a++) base += coord[a]! * keptStrides[a]!;
      for (let j = 0; j < lastDim; j++) target[i++] = base + j * lastStride;
      for (let a = rank - 2; a >= 0; a--) {
        if (++coord[a]! < x.shape[a]!) break;
        coord[a] = 0;
      }
    }
  }
  const size = numel(kept);
  const shape = keepDims ? kept : x.shape.filter((_, a) => !axes.includes(a));
  return { shape, size, target, count: size === 0 ? 0 : n / size };
}

/** The smallest (or largest) value of dtype: the result of Max (or Min) over nothing. */
function extreme(dtype: DType, lowest: boolean): number {
  if (isFloat(dtype)) return lowest ? -Infinity : Infinity;
  if (dtype === 'bool') return lowest ? 0 : 1;
  const [min, max] = dtypeRange(dtype);
  return lowest ? min : max;
}

function reduceNumbers(kind: ReduceKind, x: Tensor, p: Plan): Tensor {
  const v: ArrayLike<number> = isBigInt(x.dtype) ? Float64Array.from(x.data as BigInt64Array, Number) : (x.data as Float32Array);
  const t = p.target;
  const n = v.length;
  const acc = new Float64Array(p.size);
  switch (kind) {
    case 'Sum':
    case 'Mean':
    case 'LogSum':
      for (let i = 0; i < n; i++) acc[t[i]!] += v[i]!;
      if (kind === 'Mean') for (let o = 0; o < p.size; o++) acc[o] = acc[o]! / p.count;
      if (kind === 'LogSum') for (let o = 0; o < p.size; o++) acc[o] = Math.log(acc[o]!);
      break;
    case 'SumSquare':
    case 'L2':
      for (let i = 0; i < n; i++) acc[t[i]!] += v[i]! * v[i]!;
      if (kind === 'L2') for (let o = 0; o < p.size; o++) acc[o] = Math.sqrt(acc[o]!);
      break;
    case 'L1':
      for (let i = 0; i < n; i++) acc[t[i]!] += Math.abs(v[i]!);
      break;
    case 'Prod':
      acc.fill(1);
      for (let i = 0; i < n; i++) acc[t[i]!] *= v[i]!;
      break;
    case 'Max':
      acc.fill(extreme(x.dtype, true));
      // NaN wins, as in ONNX Runtime: once the accumulator is NaN no comparison replaces it.
      for (let i = 0; i < n; i++) if (v[i]! > acc[t[i]!]! || v[i] !== v[i]) acc[t[i]!] = v[i]!;
      break;
    case 'Min':
      acc.fill(extreme(x.dtype, false));
      for (let i = 0; i < n; i++) if (v[i]! < acc[t[i]!]! || v[i] !== v[i]) acc[t[i]!] = v[i]!;
      break;
    case 'LogSumExp': {
      // Shift by the maximum so exp never overflows.
      const max = new Float64Array(p.size).fill(-Infinity);
      for (let i = 0; i < n; i++) if (v[i]! > max[t[i]!]! || v[i] !== v[i]) max[t[i]!] = v[i]!;
      for (let i = 0; i < n; i++) {
        const m = max[t[i]!]!;
        acc[t[i]!] += m === -Infinity ? 0 : Math.exp(v[i]! - m);
      }
      for (let o = 0; o < p.size; o++) acc[o] = max[o] === -Infinity ? -Infinity : max[o]! + Math.log(acc[o]!);
      break;
    }
  }
  return fromNumbers(x.dtype, p.shape, acc);
}

const BIGINT_KINDS: ReadonlySet<ReduceKind> = new Set(['Sum', 'Mean', 'Max', 'Min', 'Prod', 'L1', 'SumSquare']);

function reduceBigInts(kind: ReduceKind, x: Tensor, p: Plan): Tensor {
  const v = x.data as BigInt64Array;
  const t = p.target;
  const signed = x.dtype === 'i64';
  const acc = allocArray(x.dtype, p.size) as BigInt64Array;
  const lowest = signed ? -(2n ** 63n) : 0n;
  const highest = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  if (kind === 'Prod') acc.fill(1n);
  if (kind === 'Max') acc.fill(lowest);
  if (kind === 'Min') acc.fill(highest);
  for (let i = 0; i < v.length; i++) {
    const o = t[i]!;
    const e = v[i]!;
    if (kind === 'Sum' || kind === 'Mean') acc[o] = acc[o]! + e;
    else if (kind === 'SumSquare') acc[o] = acc[o]! + e * e;
    else if (kind === 'L1') acc[o] = acc[o]! + (e < 0n ? -e : e);
    else if (kind === 'Prod') acc[o] = acc[o]! * e;
    else if (kind === 'Max' ? e > acc[o]! : e < acc[o]!) acc[o] = e;
  }
  // Integer mean truncates toward zero, like the integer division ONNX Runtime does.
  if (kind === 'Mean' && p.count > 0) for (let o = 0; o < p.size; o++) acc[o] = acc[o]! / BigInt(p.count);
  return { dtype: x.dtype, shape: p.shape, data: acc };
}

function reduceAxes(x: Tensor, axesT: Tensor | null, ctx: KernelContext): number[] | undefined {
  const rank = x.shape.length;
  const given = axesT ? intsOf(axesT) : [];
  if (given.length === 0) return ctx.attr<number>('noop_with_empty_axes') ? undefined : x.shape.map((_, a) => a);
  return given.map((a) => {
    if (a < -rank || a >= rank) ctx.fail(`axis ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  });
}

function reduceKernel(kind: ReduceKind): Kernel {
  return ([x, axesT], ctx) => {
    const axes = reduceAxes(x!, axesT ?? null, ctx);
    if (!axes) return [x!];
    const p = plan(x!, axes, ctx.attr<number>('keepdims') !== 0);
    if (isBigInt(x!.dtype) && BIGINT_KINDS.has(kind)) return [reduceBigInts(kind, x!, p)];
    return [reduceNumbers(kind, x!, p)];
  };
}

function argKernel(largest: boolean): Kernel {
  return ([x], ctx) => {
    const rank = x!.shape.length;
    const a = ctx.attr<number>('axis');
    const axis = a < 0 ? a + rank : a;
    const last = ctx.attr<number>('select_last_index') !== 0;
    const dim = x!.shape[axis]!;
    const outer = x!.shape.slice(0, axis).reduce((s, d) => s * d, 1);
    const inner = x!.shape.slice(axis + 1).reduce((s, d) => s * d, 1);
    if (dim === 0 && outer * inner > 0) ctx.fail(`arg reduction over the empty axis ${axis}`);
    // Elements are compared as stored: numbers, or bigints for i64/u64 (exact either way).
    const v = x!.data as unknown as ArrayLike<number>;
    const out = new BigInt64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * dim * inner + k;
        let best = 0;
        let bestValue = v[base]!;
        for (let j = 1; j < dim; j++) {
          const e = v[base + j * inner]!;
          const better = largest ? e > bestValue || (last && e === bestValue) : e < bestValue || (last && e === bestValue);
          if (better) {
            best = j;
            bestValue = e;
          }
        }
        out[o * inner + k] = BigInt(best);
      }
    }
    const shape = ctx.attr<number>('keepdims') !== 0 ? x!.shape.map((d, i) => (i === axis ? 1 : d)) : x!.shape.filter((_, i) => i !== axis);
    return [{ dtype: 'i64', shape, data: out }];
  };
}

registerKernels({
  ReduceSum: reduceKernel('Sum'),
  ReduceMean: reduceKernel('Mean'),
  ReduceMax: reduceKernel('Max'),
  ReduceMin: reduceKernel('Min'),
  ReduceProd: reduceKernel('Prod'),
  ReduceL1: reduceKernel('L1'),
  ReduceL2: reduceKernel('L2'),
  ReduceLogSum: reduceKernel('LogSum'),
  ReduceLogSumExp: reduceKernel('LogSumExp'),
  ReduceSumSquare: reduceKernel('SumSquare'),
  ArgMax: argKernel(true),
  ArgMin: argKernel(false),
});
