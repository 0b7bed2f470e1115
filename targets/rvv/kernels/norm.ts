import { getAttr, type Node } from '../../../ir/index.js';
import { cFloat, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { rowVariance, useRowHelpers } from './rows.js';

/**
 * BatchNormalization (inference) and InstanceNormalization on f32 (N, C, spatial...) tensors.
 *
 * BatchNormalization folds its four per-channel operands at run time (they need not be constant) into
 * a = scale / sqrt(var + eps) and b = B - mean a, then y = x a + b over each (n, c) plane, one vfmadd per strip.
 * InstanceNormalization takes each (n, c) plane's statistics in two passes as the reference does (the mean by
 * rows.ts's vector sum, then the mean squared deviation in LMUL=4 partial sums), then the same y = x a + b with
 * a = scale[c] / sqrt(var + eps).
 */

const NORM_HELPERS = `
/* y = x a + b over one plane of n floats */
static inline void edgec_affine_plane(const float *x, float *y, long n, float a, float b) {
  for (long i = 0; i < n;) {
    size_t vl = VSET((size_t)(n - i));
    VST(y + i, __riscv_vfmadd_vf_f32m4(VLD(x + i, vl), a, VSPLAT(b, vl), vl), vl);
    i += (long)vl;
  }
}

/* BatchNormalization: per channel a = scale / sqrt(var + eps), b = bias - mean a, over (N, C, vol) */
static void edgec_batchnorm(const float *X, float *Y, const float *scale, const float *bias, const float *mean, const float *var, long N, long C, long vol, float eps) {
  for (long n = 0; n < N; n++)
    for (long c = 0; c < C; c++) {
      float a = scale[c] / sqrtf(var[c] + eps);
      edgec_affine_plane(X + (n * C + c) * vol, Y + (n * C + c) * vol, vol, a, bias[c] - mean[c] * a);
    }
}

/* InstanceNormalization: each (n, c) plane of vol floats normalized by its own mean and variance */
static void edgec_instancenorm(const float *X, float *Y, const float *scale, const float *bias, long N, long C, long vol, float eps) {
  for (long p = 0; p < N * C; p++) {
    const float *x = X + p * vol;
    float mean = edgec_row_reduce(x, vol, 0) / (float)vol;
${rowVariance('vol')}
    float a = scale[p % C] / sqrtf(var + eps);
    edgec_affine_plane(x, Y + p * vol, vol, a, bias[p % C] - mean * a);
  }
}
`;

function emitNorm(node: Node, ctx: CEmitContext): string {
  useRowHelpers(ctx);
  ctx.helper('edgec_norm', () => NORM_HELPERS);
  const shape = shapeOf(node.inputs[0]!);
  const dims = `${shape[0]}, ${shape[1]}, ${product(shape.slice(2))}, ${cFloat(getAttr<number>(node, 'epsilon'))}`;
  const ptrs = node.inputs.map((v) => ctx.ptr(v!));
  const [x, ...params] = ptrs;
  const y = ctx.ptr(node.outputs[0]!);
  return node.op === 'BatchNormalization' ? `edgec_batchnorm(${x}, ${y}, ${params.join(', ')}, ${dims});` : `edgec_instancenorm(${x}, ${y}, ${params.join(', ')}, ${dims});`;
}

export const normKernels: RvvKernel = {
  ops: ['BatchNormalization', 'InstanceNormalization'],
  check(node) {
    const other = [...node.inputs, ...node.outputs].find((v) => v && v.type.dtype !== 'f32');
    if (other) return `only f32 is supported for ${node.op} on rvv, %${other.name} is ${other.type.dtype}`;
    if (node.inputs.some((v) => !v)) return `${node.op} needs every operand`;
    if (node.op === 'BatchNormalization' && getAttr<number>(node, 'training_mode') !== 0) return 'training_mode = 1 is not supported';
    return node.outputs.length > 1 ? 'the running_mean/running_var outputs are not supported' : null;
  },
  checkDims: (node) => (shapeOf(node.inputs[0]!).length < 2 || product(shapeOf(node.inputs[0]!)) === 0 ? `${node.op} needs a non-empty (N, C, ...) input` : null),
  emit: emitNorm,
};
