import { roundToDType, type Tensor } from '../../../ir/index.js';
import { recurrentSpec, type RecurrentActivation, type RecurrentSpec } from '../../../ir/ops/recurrent.js';
import { registerKernels, type Kernel } from './registry.js';
import { fromNumbers, getter } from './util.js';

/**
 * LSTM, GRU and RNN straight from the ONNX equations (ir/ops/recurrent.ts states them): per direction, per batch
 * row, per step, each gate a dot product over W and R. The state is rounded to the element type after every
 * step, as a tensor of that type would hold it. Activations are computed here as scalar functions, not through
 * the expression language the lowering uses, so this stays an independent oracle.
 */

type Scalar = (x: number, alpha: number, beta: number) => number;

const SCALAR_ACTIVATIONS: Readonly<Record<string, Scalar>> = {
  Relu: (x) => (x < 0 ? 0 : x),
  Tanh: (x) => Math.tanh(x),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Affine: (x, a, b) => a * x + b,
  LeakyRelu: (x, a) => (x < 0 ? a * x : x),
  ThresholdedRelu: (x, a) => (x > a ? x : 0),
  ScaledTanh: (x, a, b) => a * Math.tanh(b * x),
  HardSigmoid: (x, a, b) => Math.max(0, Math.min(1, a * x + b)),
  Elu: (x, a) => (x < 0 ? a * (Math.exp(x) - 1) : x),
  Softsign: (x) => x / (1 + Math.abs(x)),
  Softplus: (x) => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0),
};

/** The activation with clip applied to its input first. */
function activation(act: RecurrentActivation, clip: number | undefined): (x: number) => number {
  const f = SCALAR_ACTIVATIONS[act.name]!;
  return clip === undefined ? (x) => f(x, act.alpha, act.beta) : (x) => f(Math.min(Math.max(x, -clip), clip), act.alpha, act.beta);
}

function recurrentKernel(inputs: readonly (Tensor | null)[], node: Parameters<Kernel>[1]['node']): Tensor[] {
  const spec: RecurrentSpec = recurrentSpec(node);
  const [X, W, R, B, lens, initialH, initialC, P] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => inputs[i] ?? null);
  const dtype = X!.dtype;
  const round = (v: number) => roundToDType(dtype, v);
  const [S, Bn] = spec.layout === 0 ? [X!.shape[0]!, X!.shape[1]!] : [X!.shape[1]!, X!.shape[0]!];
  const I = X!.shape[2]!;
  const H = spec.hiddenSize;
  const G = spec.gates;
  const D = spec.directions.length;
  const x = getter(X!);
  const w = getter(W!);
  const r = getter(R!);
  const b = B ? getter(B) : () => 0;
  const p = P ? getter(P) : () => 0;
  const h0 = initialH ? getter(initialH) : () => 0;
  const c0 = initialC ? getter(initialC) : () => 0;
  const len = lens ? getter(lens) : () => S;
  // Flat offsets in layout 0 or 1.
  const xAt = (t: number, n: number, i: number) => (spec.layout === 0 ? (t * Bn + n) * I + i : (n * S + t) * I + i);
  const yAt = (t: number, d: number, n: number, j: number) => (spec.layout === 0 ? ((t * D + d) * Bn + n) * H + j : ((n * S + t) * D + d) * H + j);
  const stateAt = (d: number, n: number, j: number) => (spec.layout === 0 ? (d * Bn + n) * H + j : (n * D + d) * H + j);

  const Y = new Float64Array(S * D * Bn * H);
  const Yh = new Float64Array(D * Bn * H);
  const Yc = new Float64Array(D * Bn * H);

  for (let d = 0; d < D; d++) {
    // clip bounds the gates' inputs (of f and g), not the cell state LSTM's h reads.
    const [f, g, h] = spec.activations[d]!.map((a, k) => activation(a, k < 2 ? spec.clip : undefined)) as [(x: number) => number, (x: number) => number, (x: number) => number];
    const wRow = (row: number) => (d * G * H + row) * I;
    const rRow = (row: number) => (d * G * H + row) * H;
    /** x_t · W[row] + Wb[row] */
    const inputDot = (t: number, n: number, row: number) => {
      let s = b(d * 2 * G * H + row);
      for (let i = 0; i < I; i++) s += x(xAt(t, n, i)) * w(wRow(row) + i);
      return s;
    };
    /** state · R[row] + Rb[row] */
    const stateDot = (state: ArrayLike<number>, row: number) => {
      let s = b(d * 2 * G * H + G * H + row);
      for (let k = 0; k < H; k++) s += state[k]! * r(rRow(row) + k);
      return s;
    };
    for (let n = 0; n < Bn; n++) {
      const steps = Math.min(S, Math.max(0, len(n)));
      let hPrev = Array.from({ length: H }, (_, j) => h0(stateAt(d, n, j)));
      let cPrev = Array.from({ length: H }, (_, j) => c0(stateAt(d, n, j)));
      for (let s = 0; s < steps; s++) {
        const t = spec.directions[d] === 'forward' ? s : steps - 1 - s;
        const hNext = new Array<number>(H);
        const cNext = new Array<number>(H);
        if (spec.op === 'RNN') {
          for (let j = 0; j < H; j++) hNext[j] = round(f(inputDot(t, n, j) + stateDot(hPrev, j)));
        } else if (spec.op === 'GRU') {
          const z = new Array<number>(H);
          const rg = new Array<number>(H);
          for (let j = 0; j < H; j++) {
            z[j] = f(inputDot(t, n, j) + stateDot(hPrev, j));
            rg[j] = f(inputDot(t, n, H + j) + stateDot(hPrev, H + j));
          }
          const reset = hPrev.map((v, k) => v * rg[k]!);
          for (let j = 0; j < H; j++) {
            const recurrent = spec.linearBeforeReset ? rg[j]! * stateDot(hPrev, 2 * H + j) : stateDot(reset, 2 * H + j);
            const hh = g(inputDot(t, n, 2 * H + j) + recurrent);
            hNext[j] = round((1 - z[j]!) * hh + z[j]! * hPrev[j]!);
          }
        } else {
          const peep = (k: number, j: number) => p(d * 3 * H + k * H + j);
          for (let j = 0; j < H; j++) {
            const i = f(inputDot(t, n, j) + stateDot(hPrev, j) + peep(0, j) * cPrev[j]!);
            const fg = spec.inputForget ? 1 - i : f(inputDot(t, n, 2 * H + j) + stateDot(hPrev, 2 * H + j) + peep(2, j) * cPrev[j]!);
            const c = g(inputDot(t, n, 3 * H + j) + stateDot(hPrev, 3 * H + j));
            cNext[j] = round(fg * cPrev[j]! + i * c);
            const o = f(inputDot(t, n, H + j) + stateDot(hPrev, H + j) + peep(1, j) * cNext[j]!);
            hNext[j] = round(o * h(cNext[j]!));
          }
          cPrev = cNext;
        }
        hPrev = hNext;
        for (let j = 0; j < H; j++) Y[yAt(t, d, n, j)] = hNext[j]!;
      }
      for (let j = 0; j < H; j++) {
        Yh[stateAt(d, n, j)] = hPrev[j]!;
        Yc[stateAt(d, n, j)] = cPrev[j]!;
      }
    }
  }
  const stateShape = spec.layout === 0 ? [D, Bn, H] : [Bn, D, H];
  const outputs = [fromNumbers(dtype, spec.layout === 0 ? [S, D, Bn, H] : [Bn, S, D, H], Y), fromNumbers(dtype, stateShape, Yh)];
  if (spec.op === 'LSTM') outputs.push(fromNumbers(dtype, stateShape, Yc));
  return outputs.slice(0, node.outputs.length);
}

const kernel: Kernel = (inputs, ctx) => recurrentKernel(inputs, ctx.node);

/** Reference kernels of the recurrent layers. */
registerKernels({ LSTM: kernel, GRU: kernel, RNN: kernel });
