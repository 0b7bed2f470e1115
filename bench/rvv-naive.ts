import { dtypeBytes, getAttr, type Node } from '../ir/index.js';
import { parseExpression, type Expr } from '../ir/ops/expression.js';
import { resolveActivation } from '../ir/ops/activations.js';
import { sliceBox, transposeBox, type Box } from '../targets/shared/box.js';
import { collapseBroadcast } from '../targets/shared/broadcast.js';
import { convGeometry, type ConvGeometry } from '../targets/shared/conv-geometry.js';
import { poolPlan } from '../targets/shared/pool-geometry.js';
import { cFloat, product, shapeOf, type CEmitContext, type RvvKernel } from '../targets/rvv/kernel.js';
import { rvvKernelFor } from '../targets/rvv/kernels/index.js';

/**
 * The baseline of the rvv instruction-count benchmark: the same graph's kernels as plain scalar C, the loops a
 * user without edgec would write (direct convolution with bounds checks, i-k-j matrix products so the
 * innermost loop is vectorizable, libm for exp/erf), compiled by the same clang-19 -O3 -march=rv64gcv, which
 * auto-vectorizes what it can. No intrinsics, no packing, no im2col. Ops outside the shared models fall back
 * to edgec's own kernels (named in the report).
 */

const ACT_C = `
static inline float naive_act(float x, int act, float p0, float p1) {
  switch (act) {
    case 1: return x > 0.0f ? x : 0.0f;
    case 2: return x < p0 ? p0 : x > p1 ? p1 : x;
    case 3: return x < 0.0f ? p0 * x : x;
    case 4: { float y = p0 * x + p1; return y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y; }
    case 5: return 1.0f / (1.0f + expf(-x));
    case 6: return tanhf(x);
    case 7: return x / (1.0f + expf(-x));
    case 8: { float y = x / 6.0f + 0.5f; return x * (y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y); }
    case 9: return 0.5f * x * (1.0f + erff(x * 0.70710678f));
    case 10: return 0.5f * x * (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
    default: return x;
  }
}
`;

const ACT_CODES: Readonly<Record<string, number>> = { None: 0, Relu: 1, Clip: 2, LeakyRelu: 3, HardSigmoid: 4, Sigmoid: 5, Tanh: 6, SiLU: 7, HardSwish: 8, Gelu: 9, GeluTanh: 10 };

function actArgs(node: Node): string {
  if (node.op !== 'FusedConv' && node.op !== 'FusedGemm') return '0, 0.0f, 0.0f';
  const a = resolveActivation(getAttr<string>(node, 'activation'), getAttr<number[]>(node, 'activation_params'));
  return `${ACT_CODES[a.name] ?? 0}, ${cFloat(a.params[0] ?? 0)}, ${cFloat(a.params[1] ?? 0)}`;
}

function conv(node: Node, ctx: CEmitContext): string {
  ctx.helper('naive_act', () => ACT_C);
  const g = convGeometry(node) as ConvGeometry;
  const [x, w, b, z] = node.inputs;
  return `const float *X = ${ctx.ptr(x!)}, *Wt = ${ctx.ptr(w!)}, *B = ${b ? ctx.ptr(b) : 'NULL'}, *Z = ${z ? ctx.ptr(z) : 'NULL'};
float *Y = ${ctx.ptr(node.outputs[0]!)};
for (long n = 0; n < ${g.batch}; n++)
  for (long m = 0; m < ${g.M}; m++) {
    long grp = m / ${g.Mg};
    for (long oh = 0; oh < ${g.OH}; oh++)
      for (long ow = 0; ow < ${g.OW}; ow++) {
        float acc = B ? B[m] : 0.0f;
        for (long c = 0; c < ${g.Cg}; c++)
          for (long kh = 0; kh < ${g.KH}; kh++) {
            long ih = oh * ${g.SH} - ${g.PT} + kh * ${g.DH};
            if (ih < 0 || ih >= ${g.H}) continue;
            for (long kw = 0; kw < ${g.KW}; kw++) {
              long iw = ow * ${g.SW} - ${g.PL} + kw * ${g.DW};
              if (iw < 0 || iw >= ${g.W}) continue;
              acc += X[((n * ${g.C} + grp * ${g.Cg} + c) * ${g.H} + ih) * ${g.W} + iw] * Wt[((m * ${g.Cg} + c) * ${g.KH} + kh) * ${g.KW} + kw];
            }
          }
        long o = ((n * ${g.M} + m) * ${g.OH} + oh) * ${g.OW} + ow;
        if (Z) acc += Z[o];
        Y[o] = naive_act(acc, ${actArgs(node)});
      }
  }`;
}

/** C = A x B (+ bias per column) with A M x K, B K x N, i-k-j order. */
function matmulLoops(M: number, K: number, N: number, a: string, b: string, bStrides: [string, string], y: string, init: string, after: string): string {
  return `for (long i = 0; i < ${M}; i++) {
  float *yr = ${y} + i * ${N};
  for (long j = 0; j < ${N}; j++) yr[j] = ${init};
  for (long k = 0; k < ${K}; k++) {
    float av = ${a}[i * ${K} + k];
    for (long j = 0; j < ${N}; j++) yr[j] += av * ${b}[k * ${bStrides[0]} + j * ${bStrides[1]}];
  }
  for (long j = 0; j < ${N}; j++) yr[j] = ${after};
}`;
}

function gemm(node: Node, ctx: CEmitContext): string {
  ctx.helper('naive_act', () => ACT_C);
  const [a, b, c] = node.inputs;
  const transB = getAttr<number>(node, 'transB') !== 0;
  const [M, K] = shapeOf(a!);
  const N = transB ? shapeOf(b!)[0]! : shapeOf(b!)[1]!;
  const alpha = getAttr<number>(node, 'alpha');
  const beta = getAttr<number>(node, 'beta');
  const cn = c ? product(shapeOf(c)) : 0;
  const bias = !c ? '0.0f' : cn === N ? `${cFloat(beta)} * C[j]` : cn === 1 ? `${cFloat(beta)} * C[0]` : `${cFloat(beta)} * C[i * ${N} + j]`;
  return `const float *A = ${ctx.ptr(a!)}, *Bm = ${ctx.ptr(b!)}, *C = ${c ? ctx.ptr(c) : 'NULL'};
(void)C;
float *Y = ${ctx.ptr(node.outputs[0]!)};
${matmulLoops(M!, K!, N, 'A', 'Bm', transB ? ['1', `${K}`] : [`${N}`, '1'], 'Y', '0.0f', `naive_act(${cFloat(alpha)} * yr[j] + ${bias}, ${actArgs(node)})`)}`;
}

function matmul(node: Node, ctx: CEmitContext): string {
  const [a, b] = node.inputs;
  const as = shapeOf(a!);
  const bs = shapeOf(b!);
  const [M, K] = as.slice(-2) as [number, number];
  const N = bs[bs.length - 1]!;
  const batch = product(shapeOf(node.outputs[0]!).slice(0, -2));
  const aBatch = product(as.slice(0, -2)) === 1 ? 0 : M * K;
  const bBatch = product(bs.slice(0, -2)) === 1 ? 0 : K * N;
  return `const float *A = ${ctx.ptr(a!)}, *Bm = ${ctx.ptr(b!)};
float *Y = ${ctx.ptr(node.outputs[0]!)};
for (long t = 0; t < ${batch}; t++) {
  const float *a = A + t * ${aBatch}, *b = Bm + t * ${bBatch};
  float *y = Y + t * ${M * N};
${matmulLoops(M, K, N, 'a', 'b', [`${N}`, '1'], 'y', '0.0f', 'yr[j]')}
}`;
}

function pool(node: Node, ctx: CEmitContext): string {
  const x = shapeOf(node.inputs[0]!);
  if (node.op === 'GlobalAveragePool') {
    const n = product(x.slice(2));
    return `const float *X = ${ctx.ptr(node.inputs[0]!)};
float *Y = ${ctx.ptr(node.outputs[0]!)};
for (long p = 0; p < ${x[0]! * x[1]!}; p++) { float s = 0.0f; for (long i = 0; i < ${n}; i++) s += X[p * ${n} + i]; Y[p] = s / ${n}.0f; }`;
  }
  const p = poolPlan(node);
  return `const float *X = ${ctx.ptr(node.inputs[0]!)};
float *Y = ${ctx.ptr(node.outputs[0]!)};
for (long c = 0; c < ${p.planes}; c++)
  for (long oh = 0; oh < ${p.OH}; oh++)
    for (long ow = 0; ow < ${p.OW}; ow++) {
      float m = -INFINITY;
      for (long kh = 0; kh < ${p.KH}; kh++) {
        long ih = oh * ${p.SH} - ${p.PH} + kh * ${p.DH};
        if (ih < 0 || ih >= ${p.H}) continue;
        for (long kw = 0; kw < ${p.KW}; kw++) {
          long iw = ow * ${p.SW} - ${p.PW} + kw * ${p.DW};
          if (iw >= 0 && iw < ${p.W}) { float v = X[(c * ${p.H} + ih) * ${p.W} + iw]; m = v > m ? v : m; }
        }
      }
      Y[(c * ${p.OH} + oh) * ${p.OW} + ow] = m;
    }`;
}

const SCALAR_OPS: Readonly<Record<string, (a: string[]) => string>> = {
  add: ([x, y]) => `(${x} + ${y})`,
  sub: ([x, y]) => `(${x} - ${y})`,
  mul: ([x, y]) => `(${x} * ${y})`,
  div: ([x, y]) => `(${x} / ${y})`,
  gelu: ([x]) => `(0.5f * ${x} * (1.0f + erff(${x} * 0.70710678f)))`,
  relu: ([x]) => `fmaxf(${x}, 0.0f)`,
  sigmoid: ([x]) => `(1.0f / (1.0f + expf(-${x})))`,
};
const BINARY: Readonly<Record<string, string>> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div' };

function lowerScalar(e: Expr, operands: string[]): string {
  if (e.kind === 'operand') return operands[e.index]!;
  if (e.kind === 'literal') return cFloat(e.value);
  return SCALAR_OPS[e.op]!(e.args.map((a) => lowerScalar(a, operands)));
}

function elementwise(node: Node, ctx: CEmitContext): string {
  const inputs = node.inputs.filter((v) => v !== null);
  const expr: Expr = node.op === 'FusedElementwise' ? parseExpression(getAttr<string>(node, 'expression')) : { kind: 'call', op: BINARY[node.op]!, args: [{ kind: 'operand', index: 0 }, { kind: 'operand', index: 1 }] };
  const out = shapeOf(node.outputs[0]!);
  const { dims, strides } = collapseBroadcast(out, inputs.map(shapeOf));
  const idx = (s: number[]) => dims.map((_, d) => (s[d] ? `i${d} * ${s[d]}` : '')).filter(Boolean).join(' + ') || '0';
  const outStrides = dims.map((_, d) => product(dims.slice(d + 1)));
  const loops = dims.map((d, i) => `${'  '.repeat(i)}for (long i${i} = 0; i${i} < ${d}; i${i}++)`);
  return [
    ...inputs.map((v, k) => `const float *p${k} = ${ctx.ptr(v)};`),
    `float *y = ${ctx.ptr(node.outputs[0]!)};`,
    ...loops,
    `${'  '.repeat(dims.length)}y[${idx(outStrides)}] = ${lowerScalar(expr, inputs.map((_, k) => `p${k}[${idx(strides[k]!)}]`))};`,
  ].join('\n');
}

function rows(node: Node, ctx: CEmitContext): string {
  const shape = shapeOf(node.inputs[0]!);
  const rank = shape.length;
  const axisAttr = node.op === 'ReduceMean' ? 0 : getAttr<number>(node, 'axis');
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const x = ctx.ptr(node.inputs[0]!);
  const y = ctx.ptr(node.outputs[0]!);
  if (node.op === 'Softmax') {
    const n = shape[axis]!;
    return `for (long r = 0; r < ${product(shape) / n}; r++) {
  const float *x = ${x} + r * ${n}; float *y = ${y} + r * ${n};
  float m = -INFINITY; for (long i = 0; i < ${n}; i++) m = x[i] > m ? x[i] : m;
  float s = 0.0f; for (long i = 0; i < ${n}; i++) { y[i] = expf(x[i] - m); s += y[i]; }
  for (long i = 0; i < ${n}; i++) y[i] /= s;
}`;
  }
  if (node.op === 'LayerNormalization') {
    const n = product(shape.slice(axis));
    const [, scale, bias] = node.inputs;
    return `const float *S = ${ctx.ptr(scale!)}, *Bv = ${bias ? ctx.ptr(bias) : 'NULL'};
for (long r = 0; r < ${product(shape) / n}; r++) {
  const float *x = ${x} + r * ${n}; float *y = ${y} + r * ${n};
  float mean = 0.0f; for (long i = 0; i < ${n}; i++) mean += x[i]; mean /= ${n}.0f;
  float var = 0.0f; for (long i = 0; i < ${n}; i++) var += (x[i] - mean) * (x[i] - mean); var /= ${n}.0f;
  float inv = 1.0f / sqrtf(var + ${cFloat(getAttr<number>(node, 'epsilon'))});
  for (long i = 0; i < ${n}; i++) y[i] = (x[i] - mean) * inv * S[i] + (Bv ? Bv[i] : 0.0f);
}`;
  }
  // ReduceMean over one axis (the shared models' form): [outer, R, inner].
  const axes = Array.from(node.inputs[1]!.data!.data as ArrayLike<number | bigint>, Number).map((a) => (a < 0 ? a + rank : a));
  const [first, last] = [Math.min(...axes), Math.max(...axes)];
  const [outer, R, inner] = [product(shape.slice(0, first)), product(shape.slice(first, last + 1)), product(shape.slice(last + 1))];
  return `for (long o = 0; o < ${outer}; o++) for (long i = 0; i < ${inner}; i++) {
  float s = 0.0f; for (long r = 0; r < ${R}; r++) s += ${x}[(o * ${R} + r) * ${inner} + i];
  ${y}[o * ${inner} + i] = s / ${R}.0f;
}`;
}

/** Scalar element copy over a box (every axis a loop). */
function boxCopy(box: Box, width: number, dst: string, src: string): string {
  const t = `uint${width * 8}_t`;
  const loops = box.dims.map((d, i) => `${'  '.repeat(i)}for (long i${i} = 0; i${i} < ${d}; i${i}++)`);
  const at = (s: number[]) => s.map((v, i) => `i${i} * ${v}L`).join(' + ') || '0';
  return [`{ ${t} *d = (${t} *)(${dst}); const ${t} *s = (const ${t} *)(${src});`, ...loops, `${'  '.repeat(box.dims.length)}d[${at(box.dst)}] = s[${at(box.src)}];`, '}'].join('\n');
}

function movement(node: Node, ctx: CEmitContext): string {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const w = dtypeBytes(x.type.dtype);
  const p = (v: typeof x) => `((uint8_t *)${ctx.ptr(v)})`;
  if (node.op === 'Transpose') return boxCopy(transposeBox(node), w, p(y), p(x));
  if (node.op === 'Slice') {
    const { box, srcOffset } = sliceBox(node);
    return boxCopy(box, w, p(y), `${p(x)} + ${srcOffset * w}`);
  }
  // Concat
  const shape = shapeOf(y);
  const axisAttr = getAttr<number>(node, 'axis');
  const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  let at = 0;
  return node.inputs.filter((v) => v !== null).map((v) => {
    const d = shapeOf(v)[axis]!;
    const code = boxCopy({ dims: [outer, d * inner], src: [d * inner, 1], dst: [shape[axis]! * inner, 1] }, w, `${p(y)} + ${at * inner * w}`, p(v));
    at += d;
    return code;
  }).join('\n');
}

const NAIVE: Readonly<Record<string, (node: Node, ctx: CEmitContext) => string>> = {
  Conv: conv,
  FusedConv: conv,
  Gemm: gemm,
  FusedGemm: gemm,
  MatMul: matmul,
  MaxPool: pool,
  GlobalAveragePool: pool,
  Add: elementwise,
  Sub: elementwise,
  Mul: elementwise,
  Div: elementwise,
  FusedElementwise: elementwise,
  Softmax: rows,
  LayerNormalization: rows,
  ReduceMean: rows,
  Transpose: movement,
  Slice: movement,
  Concat: movement,
};

/** The kernel for an op in the plain-C baseline; edgec's own where the baseline has none (views, others). */
export function naiveKernelFor(op: string): RvvKernel | undefined {
  const emit = NAIVE[op];
  const own = rvvKernelFor(op);
  if (!emit || !own) return own;
  return { ops: [op], check: own.check, checkDims: own.checkDims, emit };
}

/** The ops the baseline writes in plain C. */
export const NAIVE_OPS: readonly string[] = Object.keys(NAIVE);

