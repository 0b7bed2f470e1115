import { getAttr, type Node } from '../../../ir/index.js';
import { lrnWindow } from '../../../ir/ops/nn.js';
import { cFloat, checkF32, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { exprCall, exprOperand } from '../../../ir/ops/expression.js';
import { defineExpressionHelpers } from '../expression.js';

/**
 * LRN (f32), vectorized across the spatial positions of a channel plane:
 *   y[n, c, s] = x[n, c, s] * (bias + alpha/size * sum_{k in window(c)} x[n, k, s]^2)^-beta
 * For each (n, c) and each LMUL=4 strip of positions, the window's planes (one unit-stride load each, a plane
 * apart) are squared and summed with vfmacc in the reference's order (a whole window, the common case away
 * from the first and last channels, by a loop of constant trip count the compiler unrolls); then one fused multiply-add makes the
 * base and the power is taken per lane. The common exponents are exact forms: beta = 1 a reciprocal, 1/2 a
 * reciprocal square root, 3/4 (AlexNet, GoogLeNet) 1 / (sqrt(b) sqrt(sqrt(b))); any other beta is
 * exp(-beta ln b), ln by the expression lowering's edgec_vlog (a Cephes logf).
 */

type PowForm = 'recip' | 'rsqrt' | 'r34' | 'exp-log';

function powForm(beta: number): PowForm {
  if (beta === 1) return 'recip';
  if (beta === 0.5) return 'rsqrt';
  if (beta === 0.75) return 'r34';
  return 'exp-log';
}

/** C of base^-beta for vector `b` (`nbeta` = -beta in scope for the general form). */
function powCode(form: PowForm): string {
  switch (form) {
    case 'recip':
      return '__riscv_vfrdiv_vf_f32m4(b, 1.0f, vl)';
    case 'rsqrt':
      return '__riscv_vfrdiv_vf_f32m4(__riscv_vfsqrt_v_f32m4(b, vl), 1.0f, vl)';
    case 'r34': {
      const root = '__riscv_vfsqrt_v_f32m4(b, vl)';
      return `__riscv_vfrdiv_vf_f32m4(__riscv_vfmul_vv_f32m4(${root}, __riscv_vfsqrt_v_f32m4(${root}, vl), vl), 1.0f, vl)`;
    }
    case 'exp-log':
      return 'edgec_vexp(__riscv_vfmul_vf_f32m4(edgec_vlog(b, vl), nbeta, vl), vl)';
  }
}

function lrnSource(name: string, form: PowForm, size: number): string {
  return `
static void ${name}(const float *X, float *Y, long N, long C, long vol, long before, long after, float scale, float bias, float nbeta) {
  (void)nbeta;
  for (long n = 0; n < N; n++)
    for (long c = 0; c < C; c++) {
      long lo = c - before < 0 ? 0 : c - before;
      long hi = c + after > C - 1 ? C - 1 : c + after;
      const float *win = X + (n * C + lo) * vol;
      const float *x = X + (n * C + c) * vol;
      float *y = Y + (n * C + c) * vol;
      for (long s = 0; s < vol;) {
        size_t vl = VSET((size_t)(vol - s));
        vf acc = VSPLAT(0.0f, vl);
        if (hi - lo + 1 == ${size}) {
          for (long k = 0; k < ${size}; k++) {
            vf v = VLD(win + k * vol + s, vl);
            acc = __riscv_vfmacc_vv_f32m4(acc, v, v, vl);
          }
        } else {
          for (long k = 0; k <= hi - lo; k++) {
            vf v = VLD(win + k * vol + s, vl);
            acc = __riscv_vfmacc_vv_f32m4(acc, v, v, vl);
          }
        }
        vf b = __riscv_vfmadd_vf_f32m4(acc, scale, VSPLAT(bias, vl), vl);
        VST(y + s, __riscv_vfmul_vv_f32m4(VLD(x + s, vl), ${powCode(form)}, vl), vl);
        s += (long)vl;
      }
    }
}
`;
}

function emitLrn(node: Node, ctx: CEmitContext): string {
  const shape = shapeOf(node.inputs[0]!);
  const size = getAttr<number>(node, 'size');
  const beta = getAttr<number>(node, 'beta');
  const form = powForm(beta);
  // edgec_vlog, the lowering of the expression language's log.
  if (form === 'exp-log') defineExpressionHelpers(exprCall('log', exprOperand(0)), ctx.helper);
  const name = ctx.planHelper('lrn', { form, size }, (p) => `edgec_lrn_${p.form.replace('-', '_')}_${p.size}`, (name, p) => lrnSource(name, p.form, p.size));
  const { before, after } = lrnWindow(size);
  const scale = cFloat(getAttr<number>(node, 'alpha') / size);
  const args = [shape[0]!, shape[1]!, product(shape.slice(2)), before, after].join(', ');
  return `${name}(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${args}, ${scale}, ${cFloat(getAttr<number>(node, 'bias'))}, ${cFloat(-beta)});`;
}

export const lrnKernels: RvvKernel = {
  ops: ['LRN'],
  check: checkF32,
  emit: emitLrn,
};
