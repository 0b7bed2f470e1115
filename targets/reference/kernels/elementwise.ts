import { dtypeRange, isFloat, isInteger, type Tensor } from '../../../ir/index.js';
import { erf } from './math.js';
import { registerKernels, type Kernel, type KernelContext } from './registry.js';
import { mapBroadcast, mapUnary } from './util.js';

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function unary(fn: (x: number, ctx: KernelContext) => number): Kernel {
  return ([x], ctx) => [mapUnary(x!, (v) => fn(v, ctx))];
}

/** Integer results of binary arithmetic truncate toward zero, as ONNX (and C) integer division does. */
function arithmetic(fn: (a: number, b: number) => number): Kernel {
  return ([a, b]) => {
    const integer = isInteger(a!.dtype);
    return [mapBroadcast(a!.dtype, [a!, b!], integer ? (x, y) => Math.trunc(fn(x, y)) : fn)];
  };
}

function comparison(fn: (a: number, b: number) => boolean): Kernel {
  return ([a, b]) => [mapBroadcast('bool', [a!, b!], (x, y) => (fn(x, y) ? 1 : 0))];
}

function fold(fn: (acc: number, x: number) => number, finish: (acc: number, n: number) => number = (acc) => acc): Kernel {
  return (inputs) => {
    const operands = inputs.filter((t): t is Tensor => t !== null);
    const dtype = operands[0]!.dtype;
    return [mapBroadcast(dtype, operands, (...xs) => finish(xs.reduce(fn), xs.length))];
  };
}

function integerDivide(a: number, b: number): number {
  if (b === 0) return 0;
  return Math.trunc(a / b);
}

function gelu(x: number, ctx: KernelContext): number {
  if (ctx.attr<string>('approximate') === 'tanh') {
    return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  }
  return 0.5 * x * (1 + erf(x * SQRT_HALF));
}

registerKernels({
  Abs: unary(Math.abs),
  Neg: unary((x) => -x),
  Reciprocal: unary((x) => 1 / x),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Sqrt: unary(Math.sqrt),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Erf: unary(erf),
  Tanh: unary(Math.tanh),
  Sigmoid: unary((x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))),
  Relu: unary((x) => (x < 0 ? 0 : x)),
  LeakyRelu: unary((x, ctx) => (x < 0 ? ctx.attr<number>('alpha') * x : x)),
  HardSigmoid: unary((x, ctx) => Math.max(0, Math.min(1, ctx.attr<number>('alpha') * x + ctx.attr<number>('beta')))),
  HardSwish: unary((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  Softsign: unary((x) => x / (1 + Math.abs(x))),
  Elu: unary((x, ctx) => (x < 0 ? ctx.attr<number>('alpha') * (Math.exp(x) - 1) : x)),
  Celu: unary((x, ctx) => Math.max(0, x) + Math.min(0, ctx.attr<number>('alpha') * (Math.exp(x / ctx.attr<number>('alpha')) - 1))),
  Selu: unary((x, ctx) => ctx.attr<number>('gamma') * (x <= 0 ? ctx.attr<number>('alpha') * (Math.exp(x) - 1) : x)),
  Swish: unary((x, ctx) => x / (1 + Math.exp(-ctx.attr<number>('alpha') * x))),
  Gelu: unary(gelu),
  Identity: ([x]) => [x!],

  PRelu: ([x, slope]) => [mapBroadcast(x!.dtype, [x!, slope!], (v, s) => (v < 0 ? s * v : v))],
  Clip: ([x, lo, hi]) => {
    const [min, max] = isFloat(x!.dtype) ? [-Infinity, Infinity] : dtypeRange(x!.dtype);
    const low = lo ? Number(lo.data[0]) : min;
    const high = hi ? Number(hi.data[0]) : max;
    // min(max(x, lo), hi): with lo > hi everything becomes hi (as numpy.clip); NaN passes through.
    return [mapUnary(x!, (v) => Math.min(Math.max(v, low), high))];
  },

  Add: arithmetic((a, b) => a + b),
  Sub: arithmetic((a, b) => a - b),
  Mul: arithmetic((a, b) => a * b),
  Div: ([a, b]) => [mapBroadcast(a!.dtype, [a!, b!], isInteger(a!.dtype) ? integerDivide : (x, y) => x / y)],
  Pow: ([x, y]) => {
    const integer = isInteger(x!.dtype);
    return [mapBroadcast(x!.dtype, [x!, y!], (a, b) => (integer ? Math.trunc(a ** b) : a ** b))];
  },
  Equal: comparison((a, b) => a === b),
  Less: comparison((a, b) => a < b),
  Greater: comparison((a, b) => a > b),

  Sum: fold((acc, x) => acc + x),
  Mean: fold((acc, x) => acc + x, (acc, n) => acc / n),
  Min: fold((acc, x) => (Number.isNaN(acc) || Number.isNaN(x) ? NaN : Math.min(acc, x))),
  Max: fold((acc, x) => (Number.isNaN(acc) || Number.isNaN(x) ? NaN : Math.max(acc, x))),

  Where: ([cond, x, y]) => [mapBroadcast(x!.dtype, [cond!, x!, y!], (c, a, b) => (c ? a : b))],
});
