import { isStaticShape, makeTensor, readNumber, type Attributes, type DType, type Node, type Value } from '../ir/index.js';
import { exprCall, exprLiteral, exprOperand, formatExpression, type Expr } from '../ir/ops/expression.js';
import { recurrentActivationExpression, recurrentSpec, RECURRENT_OPS, type RecurrentSpec } from '../ir/ops/recurrent.js';
import type { Pass } from './pass.js';
import { applyPatternsGreedily, type PatternRewriter, type RewritePattern } from './pattern.js';

/**
 * Lowers LSTM, GRU and RNN (equations in ir/ops/recurrent.ts) with static shapes to ops every target runs, so the
 * gate GEMMs run on each target's GEMM kernels:
 *
 *   XW_d = X·W_dᵀ + bias         one MatMul for all S steps at once ([S·B, I]·[I, G·H], the big GEMM)
 *   per step t (in the direction's order):
 *     gates = XW_d[t] + H·R_dᵀ    a Slice of XW_d and a MatMul [B, H]·[H, G·H]
 *     state = cell(gates, state)  Slices per gate and FusedElementwise nodes whose expressions are the gate
 *                                 activations (with clip) and the state update
 *   Y = Concat of the steps' H (Unsqueezed), Y_h / Y_c = the last state; Transposes for layout = 1.
 *
 * The time loop is unrolled: the graph grows by ~8 nodes per step and direction (nodes ∝ S × D), and the code with
 * it; that is the price of reusing every target's kernels today, and acceptable for the short sequences of edge
 * models (a loop construct in the IR would remove it). Constant weights are sliced and transposed here, at
 * compile time, so no weight copy is left for run time whatever its size.
 *
 * sequence_lens: batch row b runs its first L_b steps, so each step t is masked by m_b = (t < L_b): H keeps its
 * previous value where m_b = 0 and Y[t] is zero there. Running the reverse direction from t = S - 1 down to 0
 * with these masks starts row b at t = L_b - 1, as the spec says. Constant lengths give 0/1 constants per step
 * (steps valid for every row need no mask, steps valid for none are skipped); lengths given at run time give
 * Where(Less(t, L)) per step.
 */

/** Operands of one FusedElementwise node being built: each value gets one operand index. */
class Operands {
  readonly values: Value[] = [];
  ref(v: Value): Expr;
  ref(v: Value | null): Expr | null;
  ref(v: Value | null): Expr | null {
    if (!v) return null;
    let i = this.values.indexOf(v);
    if (i < 0) i = this.values.push(v) - 1;
    return exprOperand(i);
  }
}

/** a + b, where null stands for zero. */
function plus(a: Expr | null, b: Expr | null): Expr | null {
  return a && b ? exprCall('add', a, b) : (a ?? b);
}

/** a · b, where null stands for zero. */
function times(a: Expr | null, b: Expr | null): Expr | null {
  return a && b ? exprCall('mul', a, b) : null;
}

/** Makes the nodes of one recurrent node's lowering, named after it. */
class Emitter {
  constructor(
    private readonly rewriter: PatternRewriter,
    private readonly base: string,
    readonly dtype: DType,
  ) {}

  op(op: string, inputs: (Value | null)[], attrs: Attributes = {}, name = op.toLowerCase()): Value {
    return this.rewriter.create(op, inputs, attrs, { outputs: [`${this.base}_${name}`] })[0]!;
  }

  floats(name: string, shape: readonly number[], values: ArrayLike<number>): Value {
    return this.rewriter.constant(`${this.base}_${name}`, makeTensor(this.dtype, shape, values));
  }

  ints(name: string, dtype: DType, shape: readonly number[], values: readonly number[]): Value {
    return this.rewriter.constant(`${this.base}_${name}`, makeTensor(dtype, shape, values.map((v) => BigInt(v))));
  }

  slice(x: Value, axes: number[], starts: number[], ends: number[], name: string): Value {
    const ints = (what: string, v: number[]) => this.ints(`${name}_${what}`, 'i64', [v.length], v);
    return this.op('Slice', [x, ints('starts', starts), ints('ends', ends), ints('axes', axes)], {}, name);
  }

  reshape(x: Value, shape: number[], name: string): Value {
    return this.op('Reshape', [x, this.ints(`${name}_shape`, 'i64', [shape.length], shape)], {}, name);
  }

  transpose(x: Value, perm: number[], name: string): Value {
    return this.op('Transpose', [x], { perm }, name);
  }

  /** A FusedElementwise node computing `expr` over the operands' values (null when expr is zero: no node). */
  fused(expr: Expr | null, operands: Operands, name: string): Value | null {
    if (!expr) return null;
    return this.op('FusedElementwise', operands.values, { expression: formatExpression(expr) }, name);
  }
}

/** W[d, rowStart : rowStart + rows, :] transposed to [K, rows]: computed now when W is constant, else sliced at run time. */
function weightsT(e: Emitter, w: Value, d: number, rowStart: number, rows: number, name: string): Value {
  const [, gh, k] = w.type.shape as number[];
  if (w.data) {
    const out = new Float64Array(k! * rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < k!; c++) out[c * rows + r] = readNumber(w.data, (d * gh! + rowStart + r) * k! + c);
    return e.floats(name, [k!, rows], out);
  }
  const part = e.slice(w, [0, 1], [d, rowStart], [d + 1, rowStart + rows], `${name}_rows`);
  return e.transpose(e.reshape(part, [rows, k!], `${name}_matrix`), [1, 0], name);
}

/** v[d, start : start + count] of a [D, n] operand as a [count] vector. */
function vector(e: Emitter, v: Value, d: number, start: number, count: number, name: string): Value {
  if (v.data) return e.floats(name, [count], Array.from({ length: count }, (_, i) => readNumber(v.data!, d * (v.type.shape[1] as number) + start + i)));
  return e.reshape(e.slice(v, [0, 1], [d, start], [d + 1, start + count], `${name}_slice`), [count], name);
}

/** The state of direction d in a [D, B, H] (layout 0) or [B, D, H] (layout 1) operand, as [B, H]. */
function initialState(e: Emitter, v: Value | null, spec: RecurrentSpec, d: number, batch: number, name: string): Value | null {
  if (!v) return null;
  const axis = spec.layout === 0 ? 0 : 1;
  return e.reshape(e.slice(v, [axis], [d], [d + 1], `${name}_slice`), [batch, spec.hiddenSize], name);
}

/** How step t is masked: not at all, skipped, by 0/1 constants, or by a run-time condition. */
type StepMask = { kind: 'all' } | { kind: 'none' } | { kind: 'constant'; m: Value } | { kind: 'runtime'; cond: Value };

function stepMasks(e: Emitter, lens: Value | null, seq: number, batch: number): StepMask[] {
  const masks: StepMask[] = [];
  for (let t = 0; t < seq; t++) {
    if (!lens) masks.push({ kind: 'all' });
    else if (lens.data) {
      const valid = Array.from({ length: batch }, (_, b) => (t < readNumber(lens.data!, b) ? 1 : 0));
      if (valid.every((v) => v === 1)) masks.push({ kind: 'all' });
      else if (valid.every((v) => v === 0)) masks.push({ kind: 'none' });
      else masks.push({ kind: 'constant', m: e.floats(`mask_${t}`, [batch, 1], valid) });
    } else {
      const less = e.op('Less', [e.ints(`t_${t}`, lens.type.dtype, [], [t]), lens], {}, `valid_${t}`);
      const cond = e.reshape(less, [batch, 1], `valid_${t}_column`);
      masks.push({ kind: 'runtime', cond });
    }
  }
  return masks;
}

/** next where the mask holds, else fallback (null = zero). */
function masked(e: Emitter, mask: StepMask, next: Value, fallback: Value | null, zero: () => Value, name: string): Value {
  if (mask.kind === 'all') return next;
  if (mask.kind === 'runtime') return e.op('Where', [mask.cond, next, fallback ?? zero()], {}, name);
  if (mask.kind === 'none') return fallback ?? zero();
  const ops = new Operands();
  const m = ops.ref(mask.m);
  return e.fused(plus(times(ops.ref(next), m), times(ops.ref(fallback), fallback ? exprCall('sub', exprLiteral(1), m) : null)), ops, name)!;
}

interface DirectionResult {
  /** H of each time step (in time order), zero past a row's length. */
  ys: Value[];
  h: Value | null;
  c: Value | null;
}

function lowerDirection(e: Emitter, node: Node, spec: RecurrentSpec, d: number, x2: Value, masks: StepMask[], seq: number, batch: number): DirectionResult {
  const [, w, r, bias, , h0, c0, p] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => node.inputs[i] ?? null);
  const H = spec.hiddenSize;
  const G = spec.gates;
  const GH = G * H;
  const tag = `d${d}`;
  const acts = spec.activations[d]!;
  const clipped = (x: Expr) => (spec.clip === undefined ? x : exprCall('clip', x, exprLiteral(-spec.clip), exprLiteral(spec.clip)));
  const f = (x: Expr) => recurrentActivationExpression(acts[0]!, clipped(x));
  const g = (x: Expr) => recurrentActivationExpression(acts[1]!, clipped(x));
  const h = (x: Expr) => recurrentActivationExpression(acts[2]!, x); // the cell state is not clipped
  let zeroValue: Value | undefined;
  const zero = () => (zeroValue ??= e.floats(`${tag}_zero`, [1, 1], [0]));
  let zeroStep: Value | undefined;

  // Input projection for all steps; the recurrent bias joins it wherever it is added outside the reset gate.
  let xw = e.op('MatMul', [x2!, weightsT(e, w!, d, 0, GH, `${tag}_WT`)], {}, `${tag}_xw`);
  let hiddenBias: Value | null = null; // GRU linear_before_reset: Rbh, added inside r ⊙ (H Rhᵀ + Rbh)
  if (bias) {
    const wb = vector(e, bias, d, 0, GH, `${tag}_Wb`);
    const rbRows = spec.linearBeforeReset ? 2 * H : GH;
    const rb = vector(e, bias, d, GH, rbRows, `${tag}_Rb`);
    const sum = rbRows === GH ? e.op('Add', [wb, rb], {}, `${tag}_bias`) : e.op('Add', [wb, e.op('Concat', [rb, e.floats(`${tag}_no_bias`, [H], new Float64Array(H))], { axis: 0 }, `${tag}_Rb_padded`)], {}, `${tag}_bias`);
    xw = e.op('Add', [xw, sum], {}, `${tag}_xw_biased`);
    if (spec.linearBeforeReset) hiddenBias = vector(e, bias, d, GH + 2 * H, H, `${tag}_Rbh`);
  }
  // GRU without linear_before_reset multiplies H by r before the h gate's recurrent GEMM: R splits in two.
  const splitR = spec.op === 'GRU' && !spec.linearBeforeReset;
  const rT = weightsT(e, r!, d, 0, splitR ? 2 * H : GH, `${tag}_RT`);
  const rhT = splitR ? weightsT(e, r!, d, 2 * H, H, `${tag}_RhT`) : null;
  const peephole = spec.op === 'LSTM' && p ? [0, 1, 2].map((k) => vector(e, p, d, k * H, H, `${tag}_P${'iof'[k]}`)) : null;

  let hPrev = initialState(e, h0, spec, d, batch, `${tag}_h0`);
  let cPrev = spec.op === 'LSTM' ? initialState(e, c0, spec, d, batch, `${tag}_c0`) : null;
  const ys: Value[] = new Array<Value>(seq);
  for (let s = 0; s < seq; s++) {
    const t = spec.directions[d] === 'forward' ? s : seq - 1 - s;
    const mask = masks[t]!;
    const st = `${tag}_t${t}`;
    if (mask.kind === 'none') {
      // No row has step t: Y[t] is zero, the state stays.
      ys[t] = (zeroStep ??= e.floats(`${tag}_zero_step`, [batch, H], new Float64Array(batch * H)));
      continue;
    }
    const xt = seq === 1 ? xw : e.slice(xw, [0], [t * batch], [(t + 1) * batch], `${st}_x`);
    const hr = hPrev ? e.op('MatMul', [hPrev, rT], {}, `${st}_hr`) : null;
    /** Gate k of a [B, G·H] (or [B, 2H]) value. */
    const gate = (v: Value | null, k: number, what: string): Value | null => (v ? (G === 1 ? v : e.slice(v, [1], [k * H], [(k + 1) * H], `${st}_${what}`)) : null);
    const ops = new Operands();
    let hNext: Value;
    let cNext: Value | null = null;
    if (spec.op === 'RNN') {
      hNext = e.fused(f(plus(ops.ref(xt), ops.ref(hr))!), ops, `${st}_h`)!;
    } else if (spec.op === 'LSTM') {
      const gates = hr ? e.op('Add', [xt, hr], {}, `${st}_gates`) : xt;
      const [gi, go, gf, gc] = [0, 1, 2, 3].map((k) => gate(gates, k, 'iofc'[k]!)!);
      const cIn = ops.ref(cPrev);
      const peep = (k: number, c: Expr | null) => (peephole ? times(ops.ref(peephole[k]!), c) : null);
      const i = f(plus(ops.ref(gi!), peep(0, cIn))!);
      // The forget gate only matters when there is a previous C (none at the first step without initial_c).
      const forget = cIn ? (spec.inputForget ? exprCall('sub', exprLiteral(1), i) : f(plus(ops.ref(gf!), peep(2, cIn))!)) : null;
      cNext = e.fused(plus(times(forget, cIn), exprCall('mul', i, g(ops.ref(gc!)))), ops, `${st}_c`)!;
      const hOps = new Operands();
      const cOut = hOps.ref(cNext);
      const o = f(plus(hOps.ref(go!), peephole ? times(hOps.ref(peephole[1]!), cOut) : null)!);
      hNext = e.fused(exprCall('mul', o, h(cOut)), hOps, `${st}_h`)!;
    } else {
      const [xz, xr, xh] = [0, 1, 2].map((k) => gate(xt, k, `x${'zrh'[k]}`)!);
      const [hz, hrr] = [0, 1].map((k) => gate(hr, k, `h${'zr'[k]}`));
      let candidate: Expr;
      if (spec.linearBeforeReset) {
        const reset = f(plus(ops.ref(xr!), ops.ref(hrr ?? null))!);
        const hh = plus(ops.ref(gate(hr, 2, 'hh')), ops.ref(hiddenBias));
        candidate = g(plus(ops.ref(xh!), times(reset, hh))!);
      } else {
        let hh: Value | null = null;
        if (hPrev) {
          const rOps = new Operands();
          const reset = f(plus(rOps.ref(xr!), rOps.ref(hrr ?? null))!);
          const resetH = e.fused(exprCall('mul', reset, rOps.ref(hPrev)), rOps, `${st}_rh`)!;
          hh = e.op('MatMul', [resetH, rhT!], {}, `${st}_hh`);
        }
        candidate = g(plus(ops.ref(xh!), ops.ref(hh))!);
      }
      const z = f(plus(ops.ref(xz!), ops.ref(hz ?? null))!);
      hNext = e.fused(plus(exprCall('mul', exprCall('sub', exprLiteral(1), z), candidate), times(z, ops.ref(hPrev))), ops, `${st}_h`)!;
    }
    ys[t] = mask.kind === 'all' ? hNext : masked(e, mask, hNext, null, zero, `${st}_y`);
    hPrev = mask.kind === 'all' ? hNext : masked(e, mask, hNext, hPrev, zero, `${st}_h_kept`);
    if (cNext) cPrev = mask.kind === 'all' ? cNext : masked(e, mask, cNext, cPrev, zero, `${st}_c_kept`);
  }
  return { ys, h: hPrev, c: cPrev };
}

/** A [B, H] state per direction as the [D, B, H] (or [B, D, H]) output. */
function stateOutput(e: Emitter, states: (Value | null)[], spec: RecurrentSpec, batch: number, name: string): Value {
  const H = spec.hiddenSize;
  const parts = states.map((v, d) => e.reshape(v ?? e.floats(`${name}_zero_${d}`, [batch, H], new Float64Array(batch * H)), spec.layout === 0 ? [1, batch, H] : [batch, 1, H], `${name}_${d}`));
  return parts.length === 1 ? parts[0]! : e.op('Concat', parts, { axis: spec.layout === 0 ? 0 : 1 }, name);
}

function lower(node: Node, rewriter: PatternRewriter): boolean {
  const [x, w, r, , lens] = [0, 1, 2, 3, 4].map((i) => node.inputs[i] ?? null);
  if (![x, w, r].every((v) => v && isStaticShape(v.type.shape))) return false;
  if (node.inputs.some((v) => v && !isStaticShape(v.type.shape))) return false;
  const spec = recurrentSpec(node);
  const used = node.outputs.map((v) => rewriter.users(v).length > 0 || rewriter.graph.outputs.includes(v));
  if (!used.some(Boolean)) return false;
  const e = new Emitter(rewriter, node.name || `${node.op.toLowerCase()}`, x!.type.dtype);
  const [dim0, dim1, inputSize] = x!.type.shape as number[];
  const [seq, batch] = spec.layout === 0 ? [dim0!, dim1!] : [dim1!, dim0!];
  const H = spec.hiddenSize;
  const xSeq = spec.layout === 0 ? x! : e.transpose(x!, [1, 0, 2], 'x_time_major');
  const x2 = e.reshape(xSeq, [seq * batch, inputSize!], 'x_rows');
  const masks = stepMasks(e, lens, seq, batch);
  const results = spec.directions.map((_, d) => lowerDirection(e, node, spec, d, x2, masks, seq, batch));

  const outputs: (Value | null)[] = node.outputs.map(() => null);
  if (used[0]) {
    // [S, D, B, H]: each step's [B, H] as [1, 1, B, H], concatenated over time, then over directions.
    const perDirection = results.map((res, d) => {
      const steps = res.ys.map((y, t) => e.reshape(y, [1, 1, batch, H], `y_d${d}_t${t}`));
      return steps.length === 1 ? steps[0]! : e.op('Concat', steps, { axis: 0 }, `y_d${d}`);
    });
    const y = perDirection.length === 1 ? perDirection[0]! : e.op('Concat', perDirection, { axis: 1 }, 'y');
    outputs[0] = spec.layout === 0 ? y : e.transpose(y, [2, 0, 1, 3], 'y_batch_major');
  }
  if (used[1]) outputs[1] = stateOutput(e, results.map((res) => res.h), spec, batch, 'y_h');
  if (used[2]) outputs[2] = stateOutput(e, results.map((res) => res.c), spec, batch, 'y_c');
  rewriter.replace(node, outputs);
  return true;
}

const lowerRecurrentPattern: RewritePattern = {
  name: 'lower-recurrent',
  roots: Object.keys(RECURRENT_OPS),
  rewrite: lower,
};

export const lowerRecurrentPass: Pass = {
  name: 'lower-recurrent',
  description: 'unroll LSTM, GRU and RNN with static shapes into MatMul, Slice, Concat and FusedElementwise per time step',
  run: (graph) => applyPatternsGreedily(graph, [lowerRecurrentPattern]),
};
