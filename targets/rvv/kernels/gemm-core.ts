import { activationCode, unsupportedExpressionOp } from '../expression.js';
import { activationTemplate, resolveActivation } from '../../../ir/ops/activations.js';
import { getAttr, type Node } from '../../../ir/index.js';
import { cFloat, type CEmitContext } from '../kernel.js';

/**
 * The GEMM microkernel family every matrix op of the rvv target runs on (conv through im2col or directly
 * for 1x1, Gemm, MatMul):
 *
 *   C[m][n] = act(bias + sum_k A(m, k) * B[k * ldb + n] + Z[m * ldc + n])   for m < M, n < N
 *
 * Register blocking: MR rows of C times one LMUL=4 vector of columns stay in MR accumulators (MR <= 6, so
 * 6 x 4 + 4 of the 32 vector registers); each k step loads one vector of B and broadcasts MR scalars of A
 * into vfmacc.vf. Columns are strip-mined with vsetvl, so the code is correct at any VLEN. The last row
 * block re-reads the last row of A for its missing rows (always valid memory) and stores only real rows.
 *
 * A comes either packed at compile time (weights: block b holds A(b*MR + r, k) at A[(b*K + k)*MR + r], one
 * pointer and immediate offsets per k) or strided at run time (activations: A(m, k) = A[m*a_rs + k*a_ks]).
 * bias_mode: 0 none, 1 one value per row, 2 one vector per column.
 */
export const MAX_MR = 6;

export type ALayout = 'packed' | 'strided';

export function gemmName(layout: ALayout, mr: number): string {
  return `edgec_gemm_${layout === 'packed' ? 'p' : 's'}${mr}`;
}

/** Defines the microkernel for `mr` rows and the layout of A (once per model, keyed by that plan), returning its name. */
export function defineGemm(ctx: CEmitContext, layout: ALayout, mr: number): string {
  return ctx.planHelper('gemm', { layout, mr }, (p) => gemmName(p.layout, p.mr), (name, p) => gemmSource(name, p.layout, p.mr));
}

const rows = (mr: number, f: (r: number) => string): string => Array.from({ length: mr }, (_, r) => f(r)).join('\n');

function gemmSource(name: string, layout: ALayout, mr: number): string {
  const aSetup = layout === 'packed'
    ? `    const float *ap = A + m0 * K;`
    : rows(mr, (r) => `    const float *a${r} = A + (m0 + (${r} < rows ? ${r} : rows - 1)) * a_rs;`);
  const aLoad = (r: number) => (layout === 'packed' ? `ap[${r}]` : `a${r}[k * a_ks]`);
  const aStep = layout === 'packed' ? `        ap += ${mr};` : '';
  const aRewind = layout === 'packed' ? `      ap -= K * ${mr};` : '';
  return `
static void ${name}(long M, long N, long K, const float *A, long a_rs, long a_ks, const float *B, long ldb,
                    float *C, long ldc, const float *bias, int bias_mode, const float *Z, int act, float p0, float p1) {
  (void)a_rs; (void)a_ks;
  for (long m0 = 0; m0 < M; m0 += ${mr}) {
    long rows = M - m0 < ${mr} ? M - m0 : ${mr};
${aSetup}
    for (long n0 = 0; n0 < N;) {
      size_t vl = VSET((size_t)(N - n0));
${rows(mr, (r) => `      vf c${r} = bias_mode == 1 ? VSPLAT(bias[m0 + (${r} < rows ? ${r} : 0)], vl) : bias_mode == 2 ? VLD(bias + n0, vl) : VSPLAT(0.0f, vl);`)}
      const float *b = B + n0;
      for (long k = 0; k < K; k++) {
        vf bv = VLD(b, vl);
        b += ldb;
${rows(mr, (r) => `        c${r} = __riscv_vfmacc_vf_f32m4(c${r}, ${aLoad(r)}, bv, vl);`)}
${aStep}
      }
${aRewind}
${rows(mr, (r) => `      ${r > 0 ? `if (${r} < rows) ` : ''}{
        if (Z) c${r} = __riscv_vfadd_vv_f32m4(c${r}, VLD(Z + (m0 + ${r}) * ldc + n0, vl), vl);
        VST(C + (m0 + ${r}) * ldc + n0, edgec_act(c${r}, act, p0, p1, vl), vl);
      }`)}
      n0 += (long)vl;
    }
  }
}
`;
}

/**
 * Packs a row-major M x K matrix (weights) into MR-row panels: panel b holds row min(b*MR + r, M - 1) at
 * [(b*K + k)*MR + r], the layout the packed microkernel reads.
 */
export function packPanels(a: ArrayLike<number>, M: number, K: number, mr: number): Float32Array;
export function packPanels<T extends Float32Array | Int16Array>(a: ArrayLike<number>, M: number, K: number, mr: number, make: (n: number) => T): T;
export function packPanels(a: ArrayLike<number>, M: number, K: number, mr: number, make: (n: number) => Float32Array | Int16Array = (n) => new Float32Array(n)): Float32Array | Int16Array {
  const blocks = Math.ceil(M / mr);
  const out = make(blocks * K * mr);
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < mr; r++) out[(b * K + k) * mr + r] = a[Math.min(b * mr + r, M - 1) * K + k]!;
    }
  }
  return out;
}

/** The activation of a Fused* node as C arguments `act, p0, p1`; null when the node carries none. */
export function activationArgs(node: Node): string {
  if (node.op !== 'FusedConv' && node.op !== 'FusedGemm') return '0, 0.0f, 0.0f';
  const act = resolveActivation(getAttr<string>(node, 'activation'), getAttr<number[]>(node, 'activation_params'));
  const [p0 = 0, p1 = 0] = act.params;
  return `${activationCode(act.name)}, ${cFloat(p0)}, ${cFloat(p1)}`;
}

/** Why the node's activation cannot be lowered, or null. */
export function checkActivation(node: Node): string | null {
  if (node.op !== 'FusedConv' && node.op !== 'FusedGemm') return null;
  try {
    const act = resolveActivation(getAttr<string>(node, 'activation'), getAttr<number[]>(node, 'activation_params'));
    return unsupportedExpressionOp(activationTemplate(act.name));
  } catch (e) {
    return (e as Error).message;
  }
}
