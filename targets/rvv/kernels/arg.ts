import { getAttr, type Node } from '../../../ir/index.js';
import { C_TYPES, product, shapeOf, type RvvKernel } from '../kernel.js';
import { laneOf, maskOf, suffix, vectorType, type Lane } from './elementwise-typed.js';

/**
 * ArgMax / ArgMin over one axis of f32, i32 or i64 data (the wasm target's types), the input viewed as
 * [outer, dim, inner], i64 indices out.
 *
 * inner > 1: vectors run across the inner columns; each lane keeps the best value and its index while the dim
 * rows stream by (a strict comparison keeps the first best, a non-strict one the last, select_last_index).
 * inner = 1 (a contiguous row): each lane scans the positions lane, lane + vl, ... in increasing order, keeping
 * its best and index the same way; then the row's best is one vector reduction, and among the lanes holding it
 * the smallest (first) or largest (last) index is a masked unsigned min / max reduction.
 */

interface ArgPlan {
  readonly lane: Lane;
  readonly largest: boolean;
  readonly last: boolean;
}

const ARG_TYPES = ['f32', 'i32', 'i64'];

function argHelper(name: string, { lane, largest, last }: ArgPlan): string {
  const s = suffix(lane);
  const V = vectorType(lane);
  const T = C_TYPES[lane.kind === 'f' ? 'f32' : `i${lane.sew}`]!;
  const b = maskOf(lane);
  const f = lane.kind === 'f';
  // indices: u64 vectors of the data's vl (LMUL 8 beside 32-bit data, 4 beside 64-bit)
  const is = lane.sew === 32 ? 'u64m8' : 'u64m4';
  const I = `vuint64${is.slice(3)}_t`;
  const cmp = (op: 'lt' | 'le', x: string, y: string) => `__riscv_vm${f ? 'f' : 's'}${op}_vv_${s}_${b}(${x}, ${y}, vl)`;
  // x better than best: largest > (>= for last), smallest < (<=)
  const better = largest ? cmp(last ? 'le' : 'lt', 'best', 'x') : cmp(last ? 'le' : 'lt', 'x', 'best');
  const worst = f ? (largest ? '-INFINITY' : 'INFINITY') : largest ? (lane.sew === 64 ? 'INT64_MIN' : 'INT32_MIN') : lane.sew === 64 ? 'INT64_MAX' : 'INT32_MAX';
  const splat = (x: string, vl: string) => (f ? `__riscv_vfmv_v_f_${s}(${x}, ${vl})` : `__riscv_vmv_v_x_${s}(${x}, ${vl})`);
  const m1 = `${lane.kind}${lane.sew}m1`;
  const red = f ? `__riscv_vfred${largest ? 'max' : 'min'}_vs_${s}_${m1}` : `__riscv_vred${largest ? 'max' : 'min'}_vs_${s}_${m1}`;
  const scalar = f ? `__riscv_vfmv_s_f_${m1}` : `__riscv_vmv_s_x_${m1}`;
  const first = f ? `__riscv_vfmv_f_s_${m1}_f32` : `__riscv_vmv_x_s_${m1}_i${lane.sew}`;
  return `static void ${name}(const ${T} *X, int64_t *Y, long outer, long dim, long inner) {
  if (inner == 1) {
    for (long o = 0; o < outer; o++) {
      const ${T} *x0 = X + o * dim;
      size_t vlmax = __riscv_vsetvl_e${lane.sew}m4((size_t)dim);
      ${V} best = ${splat(worst, 'vlmax')};
      ${I} idx = __riscv_vmv_v_x_${is}(0, vlmax);
      for (long i = 0; i < dim;) {
        size_t vl = __riscv_vsetvl_e${lane.sew}m4((size_t)(dim - i));
        ${V} x = __riscv_vle${lane.sew}_v_${s}(x0 + i, vl);
        vbool${lane.sew / 4}_t m = ${better};
        best = __riscv_vmerge_vvm_${s}_tu(best, best, x, m, vl);
        idx = __riscv_vmerge_vvm_${is}_tu(idx, idx, __riscv_vadd_vx_${is}(__riscv_vid_v_${is}(vl), (uint64_t)i, vl), m, vl);
        i += (long)vl;
      }
      ${T} top = ${first}(${red}(best, ${scalar}(${worst}, 1), vlmax));
      vbool${lane.sew / 4}_t at = __riscv_vm${f ? 'f' : 's'}eq_v${f ? 'f' : 'x'}_${s}_${b}(best, top, vlmax);
      vuint64m1_t init = __riscv_vmv_s_x_u64m1(${last ? '0' : 'UINT64_MAX'}, 1);
      Y[o] = (int64_t)__riscv_vmv_x_s_u64m1_u64(__riscv_vred${last ? 'maxu' : 'minu'}_vs_${is}_u64m1_m(at, idx, init, vlmax));
    }
    return;
  }
  for (long o = 0; o < outer; o++) {
    for (long c = 0; c < inner;) {
      size_t vl = __riscv_vsetvl_e${lane.sew}m4((size_t)(inner - c));
      const ${T} *x0 = X + o * dim * inner + c;
      ${V} best = __riscv_vle${lane.sew}_v_${s}(x0, vl);
      ${I} idx = __riscv_vmv_v_x_${is}(0, vl);
      for (long r = 1; r < dim; r++) {
        ${V} x = __riscv_vle${lane.sew}_v_${s}(x0 + r * inner, vl);
        vbool${lane.sew / 4}_t m = ${better};
        best = __riscv_vmerge_vvm_${s}(best, x, m, vl);
        idx = __riscv_vmerge_vxm_${is}(idx, (uint64_t)r, m, vl);
      }
      __riscv_vse64_v_${is}((uint64_t *)(Y + o * inner + c), idx, vl);
      c += (long)vl;
    }
  }
}
`;
}

export const argKernels: RvvKernel = {
  ops: ['ArgMax', 'ArgMin'],
  check(node: Node) {
    const dtype = node.inputs[0]!.type.dtype;
    return ARG_TYPES.includes(dtype) ? null : `${node.op} on ${dtype} is not supported on rvv (f32, i32, i64)`;
  },
  checkDims(node) {
    return product(shapeOf(node.inputs[0]!)) === 0 ? 'empty tensors are not supported' : null;
  },
  emit(node, ctx) {
    const x = node.inputs[0]!;
    const shape = shapeOf(x);
    const a = getAttr<number>(node, 'axis');
    const axis = a < 0 ? a + shape.length : a;
    const plan: ArgPlan = { lane: laneOf(x.type.dtype)!, largest: node.op === 'ArgMax', last: getAttr<number>(node, 'select_last_index') !== 0 };
    const name = ctx.planHelper('arg', plan, (p) => `edgec_arg${p.largest ? 'max' : 'min'}${p.last ? '_last' : ''}_${suffix(p.lane)}`, argHelper);
    return `${name}(${ctx.ptr(x)}, ${ctx.ptr(node.outputs[0]!)}, ${product(shape.slice(0, axis))}, ${shape[axis]}, ${product(shape.slice(axis + 1))});`;
  },
};
