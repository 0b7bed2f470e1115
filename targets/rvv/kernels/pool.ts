import { getAttr, type Node } from '../../../ir/index.js';
import { poolNdPlan, poolPlan, type PoolNdPlan, type PoolPlan } from '../../shared/pool-geometry.js';
import { checkF32, product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { useRowHelpers } from './rows.js';

/**
 * Pooling: MaxPool and AveragePool (1-D, 2-D and, on f32, 3-D) read each channel from a padded plane (3-D: a
 * padded volume) in scratch (border
 * -inf for max, 0 for average), one LMUL=4 vector of output columns per step with unit-stride or strided
 * loads, so no tap needs a bounds check. The average's divisor depends on the position only where windows
 * meet padding: a compile-time table of reciprocals per output position, with ONNX's count_include_pad rule
 * (taps inside the padded input) or without (taps inside the input). GlobalAveragePool / GlobalMaxPool reduce
 * each plane with the row reduction of rows.ts. MaxPool also runs on u8 / i8 (quantized graphs).
 */

/** The shared plan plus the padded plane, big enough for every tap of every window (ceil_mode windows may reach beyond the pads). */
interface PoolGeometry extends PoolPlan {
  paddedH: number;
  paddedW: number;
}

function poolGeometry(node: Node): PoolGeometry | string {
  const rank = shapeOf(node.inputs[0]!).length;
  if (rank !== 3 && rank !== 4) return `only 1-D, 2-D and (f32) 3-D pooling is supported on rvv (input rank ${rank})`;
  try {
    const p = poolPlan(node);
    return {
      ...p,
      paddedH: Math.max(p.H + p.PH + p.EH, (p.OH - 1) * p.SH + (p.KH - 1) * p.DH + 1),
      paddedW: Math.max(p.W + p.PW + p.EW, (p.OW - 1) * p.SW + (p.KW - 1) * p.DW + 1),
    };
  } catch (e) {
    return (e as Error).message;
  }
}

/** 1 / divisor per output position of an AveragePool, as the reference counts taps. */
function reciprocalCounts(node: Node, g: PoolGeometry): Float32Array {
  const includePad = getAttr<number>(node, 'count_include_pad') !== 0;
  const taps = (start: number, k: number, dil: number, lo: number, hi: number) => {
    let n = 0;
    for (let i = 0; i < k; i++) if (start + i * dil >= lo && start + i * dil < hi) n++;
    return n;
  };
  const out = new Float32Array(g.OH * g.OW);
  for (let oh = 0; oh < g.OH; oh++) {
    for (let ow = 0; ow < g.OW; ow++) {
      const [h0, w0] = [oh * g.SH - g.PH, ow * g.SW - g.PW];
      const count = includePad
        ? taps(h0, g.KH, g.DH, -g.PH, g.H + g.EH) * taps(w0, g.KW, g.DW, -g.PW, g.W + g.EW)
        : taps(h0, g.KH, g.DH, 0, g.H) * taps(w0, g.KW, g.DW, 0, g.W);
      out[oh * g.OW + ow] = count > 0 ? 1 / count : 0;
    }
  }
  return out;
}

const cInt8 = (dtype: 'u8' | 'i8'): string => (dtype === 'u8' ? 'uint8_t' : 'int8_t');

/** MaxPool on u8 / i8 (quantized graphs): the same padded-plane scheme on 8-bit lanes, border = the type's minimum. */
function intMaxPoolSource(name: string, dtype: 'u8' | 'i8'): string {
  const unsigned = dtype === 'u8';
  const [v, max, min] = unsigned ? ['u8m4', 'vmaxu', '0'] : ['i8m4', 'vmax', '-128'];
  const t = cInt8(dtype);
  return `
static void ${name}(const ${t} *X, ${t} *Y, long planes, long H, long W, long OH, long OW, long KH, long KW,
                    long SH, long SW, long DH, long DW, long PT, long PL, long PH, long PW, ${t} *plane) {
  for (long c = 0; c < planes; c++) {
    memset(plane, (uint8_t)(${min}), (size_t)(PH * PW));
    for (long h = 0; h < H; h++) memcpy(plane + (h + PT) * PW + PL, X + (c * H + h) * W, (size_t)W);
    for (long oh = 0; oh < OH; oh++) {
      const ${t} *row = plane + oh * SH * PW;
      ${t} *out = Y + (c * OH + oh) * OW;
      for (long ow = 0; ow < OW;) {
        size_t vl = __riscv_vsetvl_e8m4((size_t)(OW - ow));
        v${unsigned ? 'uint' : 'int'}8m4_t acc = __riscv_vmv_v_x_${v}(${min}, vl);
        for (long kh = 0; kh < KH; kh++)
          for (long kw = 0; kw < KW; kw++) {
            const ${t} *p = row + kh * DH * PW + ow * SW + kw * DW;
            acc = __riscv_${max}_vv_${v}(acc, SW == 1 ? __riscv_vle8_v_${v}(p, vl) : __riscv_vlse8_v_${v}(p, SW, vl), vl);
          }
        __riscv_vse8_v_${v}(out + ow, acc, vl);
        ow += (long)vl;
      }
    }
  }
}
`;
}

function emitIntMaxPool(node: Node, ctx: CEmitContext): string {
  const g = poolGeometry(node) as PoolGeometry;
  const dtype: 'u8' | 'i8' = node.inputs[0]!.type.dtype === 'u8' ? 'u8' : 'i8';
  const t = cInt8(dtype);
  const name = ctx.planHelper('maxpool', { dtype }, (p) => `edgec_maxpool_${p.dtype}`, (name, p) => intMaxPoolSource(name, p.dtype));
  return `${name}(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${g.planes}, ${g.H}, ${g.W}, ${g.OH}, ${g.OW}, ${g.KH}, ${g.KW}, ${g.SH}, ${g.SW}, ${g.DH}, ${g.DW}, ${g.PH}, ${g.PW}, ${g.paddedH}, ${g.paddedW}, (${t} *)${ctx.scratch(g.paddedH * g.paddedW)});`;
}

function emitWindowPool(node: Node, ctx: CEmitContext): string {
  if (node.inputs[0]!.type.dtype !== 'f32') return emitIntMaxPool(node, ctx);
  if (is3d(node)) return emitWindowPool3d(node, ctx);
  const g = poolGeometry(node) as PoolGeometry;
  const max = node.op === 'MaxPool';
  ctx.helper('edgec_window_pool', () => WINDOW_POOL);
  const recip = max ? 'NULL' : ctx.weightsF32(`avgpool-recip:${node.label}`, reciprocalCounts(node, g));
  return `edgec_window_pool(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${g.planes}, ${g.H}, ${g.W}, ${g.OH}, ${g.OW}, ${g.KH}, ${g.KW}, ${g.SH}, ${g.SW}, ${g.DH}, ${g.DW}, ${g.PH}, ${g.PW}, ${g.paddedH}, ${g.paddedW}, ${ctx.scratch(g.paddedH * g.paddedW * 4)}, ${recip});`;
}

/** A 3-D pool's plan with its padded volume, big enough for every tap of every window. */
interface Pool3dGeometry extends PoolNdPlan {
  padded: number[];
}

function pool3dGeometry(node: Node): Pool3dGeometry | string {
  try {
    const p = poolNdPlan(node);
    const padded = p.dims.map((d, a) => Math.max(d + p.padBegin[a]! + p.padEnd[a]!, (p.out[a]! - 1) * p.strides[a]! + (p.kernel[a]! - 1) * p.dilations[a]! + 1));
    return { ...p, padded };
  } catch (e) {
    return (e as Error).message;
  }
}

/** 1 / divisor per output position of a 3-D AveragePool (the product of the per-axis tap counts, as the reference). */
function reciprocalCounts3d(node: Node, g: Pool3dGeometry): Float32Array {
  const includePad = getAttr<number>(node, 'count_include_pad') !== 0;
  const taps = (a: number, o: number) => {
    const start = o * g.strides[a]! - g.padBegin[a]!;
    const [lo, hi] = includePad ? [-g.padBegin[a]!, g.dims[a]! + g.padEnd[a]!] : [0, g.dims[a]!];
    let n = 0;
    for (let i = 0; i < g.kernel[a]!; i++) if (start + i * g.dilations[a]! >= lo && start + i * g.dilations[a]! < hi) n++;
    return n;
  };
  const [OD, OH, OW] = g.out as [number, number, number];
  const out = new Float32Array(OD * OH * OW);
  for (let d = 0; d < OD; d++)
    for (let h = 0; h < OH; h++)
      for (let w = 0; w < OW; w++) {
        const count = taps(0, d) * taps(1, h) * taps(2, w);
        out[(d * OH + h) * OW + w] = count > 0 ? 1 / count : 0;
      }
  return out;
}

const WINDOW_POOL_3D = `
/* 3-D max pooling when recip is NULL, else average pooling scaled by recip[(od*OH + oh)*OW + ow]; g holds
   D H W OD OH OW KD KH KW SD SH SW DD DH DW PF PT PL PD PH PW (PD PH PW: the padded volume). */
static void edgec_window_pool3d(const float *X, float *Y, long planes, const long *g, float *vol, const float *recip) {
  long D = g[0], H = g[1], W = g[2], OD = g[3], OH = g[4], OW = g[5], KD = g[6], KH = g[7], KW = g[8];
  long SD = g[9], SH = g[10], SW = g[11], DD = g[12], DH = g[13], DW = g[14], PF = g[15], PT = g[16], PL = g[17];
  long PD = g[18], PH = g[19], PW = g[20];
  for (long c = 0; c < planes; c++) {
    edgec_fill_f32(vol, recip ? 0.0f : -INFINITY, (size_t)(PD * PH * PW));
    for (long d = 0; d < D; d++)
      edgec_pad_planes(vol + (d + PF) * PH * PW, X + (c * D + d) * H * W, 1, H, W, PT, PL, PH, PW, recip ? 0.0f : -INFINITY);
    for (long od = 0; od < OD; od++)
      for (long oh = 0; oh < OH; oh++) {
        float *out = Y + ((c * OD + od) * OH + oh) * OW;
        for (long ow = 0; ow < OW;) {
          size_t vl = VSET((size_t)(OW - ow));
          vf acc = VSPLAT(recip ? 0.0f : -INFINITY, vl);
          for (long kd = 0; kd < KD; kd++)
            for (long kh = 0; kh < KH; kh++) {
              const float *row = vol + ((od * SD + kd * DD) * PH + oh * SH + kh * DH) * PW + ow * SW;
              for (long kw = 0; kw < KW; kw++) {
                vf v = edgec_vload(row + kw * DW, SW, vl);
                acc = recip ? __riscv_vfadd_vv_f32m4(acc, v, vl) : __riscv_vfmax_vv_f32m4(acc, v, vl);
              }
            }
          if (recip) acc = __riscv_vfmul_vv_f32m4(acc, VLD(recip + (od * OH + oh) * OW + ow, vl), vl);
          VST(out + ow, acc, vl);
          ow += (long)vl;
        }
      }
  }
}
`;

function emitWindowPool3d(node: Node, ctx: CEmitContext): string {
  const g = pool3dGeometry(node) as Pool3dGeometry;
  ctx.helper('edgec_window_pool3d', () => WINDOW_POOL_3D);
  const recip = node.op === 'MaxPool' ? 'NULL' : ctx.weightsF32(`avgpool-recip:${node.label}`, reciprocalCounts3d(node, g));
  const params = [...g.dims, ...g.out, ...g.kernel, ...g.strides, ...g.dilations, ...g.padBegin, ...g.padded];
  return [
    `static const long g[21] = { ${params.join(', ')} };`,
    `edgec_window_pool3d(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${g.planes}, g, ${ctx.scratch(product(g.padded) * 4)}, ${recip});`,
  ].join('\n');
}

const is3d = (node: Node) => shapeOf(node.inputs[0]!).length === 5;

const WINDOW_POOL = `
/* Max pooling when recip is NULL, else average pooling scaled by recip[oh*OW + ow]. */
static void edgec_window_pool(const float *X, float *Y, long planes, long H, long W, long OH, long OW, long KH, long KW,
                              long SH, long SW, long DH, long DW, long PT, long PL, long PH, long PW, float *plane, const float *recip) {
  for (long c = 0; c < planes; c++) {
    edgec_pad_planes(plane, X + c * H * W, 1, H, W, PT, PL, PH, PW, recip ? 0.0f : -INFINITY);
    for (long oh = 0; oh < OH; oh++) {
      const float *row = plane + oh * SH * PW;
      float *out = Y + (c * OH + oh) * OW;
      for (long ow = 0; ow < OW;) {
        size_t vl = VSET((size_t)(OW - ow));
        vf acc = VSPLAT(recip ? 0.0f : -INFINITY, vl);
        for (long kh = 0; kh < KH; kh++)
          for (long kw = 0; kw < KW; kw++) {
            vf v = edgec_vload(row + kh * DH * PW + ow * SW + kw * DW, SW, vl);
            acc = recip ? __riscv_vfadd_vv_f32m4(acc, v, vl) : __riscv_vfmax_vv_f32m4(acc, v, vl);
          }
        if (recip) acc = __riscv_vfmul_vv_f32m4(acc, VLD(recip + oh * OW + ow, vl), vl);
        VST(out + ow, acc, vl);
        ow += (long)vl;
      }
    }
  }
}
`;

/*
 * MaxPool with its Indices output (2-D, f32): the padded-plane max of edgec_window_pool, plus per lane the flat
 * input index of the tap holding it, as the reference picks it (taps in kh, kw order: the first tap inside the
 * input whatever its value, then any strictly greater; a window wholly in padding gives -inf at index c H W - 1):
 * c H W + ih W + iw, or c H W + ih + iw H with storage_order = 1; iw = ow SW - PL + kw DW is affine in the lane
 * (vid), so each tap's candidate index is one vector multiply-add on i64 lanes (LMUL=8 beside f32 LMUL=4).
 */
const MAXPOOL_INDICES = `
static void edgec_maxpool_indices(const float *X, float *Y, int64_t *I, long planes, long H, long W, long OH, long OW, long KH, long KW,
                                  long SH, long SW, long DH, long DW, long PT, long PL, long PH, long PW, float *plane, int column_major) {
  long hs = column_major ? 1 : W, ws = column_major ? H : 1;
  for (long c = 0; c < planes; c++) {
    edgec_pad_planes(plane, X + c * H * W, 1, H, W, PT, PL, PH, PW, -INFINITY);
    for (long oh = 0; oh < OH; oh++) {
      const float *row = plane + oh * SH * PW;
      float *out = Y + (c * OH + oh) * OW;
      int64_t *idx_out = I + (c * OH + oh) * OW;
      for (long ow = 0; ow < OW;) {
        size_t vl = VSET((size_t)(OW - ow));
        vf acc = VSPLAT(-INFINITY, vl);
        vint64m8_t idx = __riscv_vmv_v_x_i64m8(c * H * W - 1, vl);
        vint64m8_t lane = __riscv_vmul_vx_i64m8(__riscv_vreinterpret_v_u64m8_i64m8(__riscv_vid_v_u64m8(vl)), SW * ws, vl);
        vuint32m4_t lane_w = __riscv_vmul_vx_u32m4(__riscv_vid_v_u32m4(vl), (uint32_t)SW, vl);
        vbool8_t unset = __riscv_vmset_m_b8(vl);
        for (long kh = 0; kh < KH; kh++) {
          long ih = oh * SH - PT + kh * DH;
          for (long kw = 0; kw < KW; kw++) {
            vf v = edgec_vload(row + kh * DH * PW + ow * SW + kw * DW, SW, vl);
            long iw = ow * SW - PL + kw * DW;
            /* the first tap inside the input is taken whatever its value (NaN included), later ones when greater */
            vbool8_t inside = ih >= 0 && ih < H ? __riscv_vmsltu_vx_u32m4_b8(__riscv_vadd_vx_u32m4(lane_w, (uint32_t)iw, vl), (uint32_t)W, vl) : __riscv_vmclr_m_b8(vl);
            vbool8_t taken = __riscv_vmor_mm_b8(__riscv_vmfgt_vv_f32m4_b8(v, acc, vl), __riscv_vmand_mm_b8(unset, inside, vl), vl);
            acc = __riscv_vmerge_vvm_f32m4(acc, v, taken, vl);
            idx = __riscv_vmerge_vvm_i64m8(idx, __riscv_vadd_vx_i64m8(lane, c * H * W + ih * hs + iw * ws, vl), taken, vl);
            unset = __riscv_vmandn_mm_b8(unset, taken, vl);
          }
        }
        VST(out + ow, acc, vl);
        __riscv_vse64_v_i64m8(idx_out + ow, idx, vl);
        ow += (long)vl;
      }
    }
  }
}
`;

function emitMaxPoolIndices(node: Node, ctx: CEmitContext): string {
  const g = poolGeometry(node) as PoolGeometry;
  ctx.helper('edgec_window_pool', () => WINDOW_POOL);
  ctx.helper('edgec_maxpool_indices', () => MAXPOOL_INDICES);
  const [y, indices] = node.outputs;
  return `edgec_maxpool_indices(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(y!)}, ${ctx.ptr(indices!)}, ${g.planes}, ${g.H}, ${g.W}, ${g.OH}, ${g.OW}, ${g.KH}, ${g.KW}, ${g.SH}, ${g.SW}, ${g.DH}, ${g.DW}, ${g.PH}, ${g.PW}, ${g.paddedH}, ${g.paddedW}, ${ctx.scratch(g.paddedH * g.paddedW * 4)}, ${getAttr<number>(node, 'storage_order') ? 1 : 0});`;
}

function emitGlobalPool(node: Node, ctx: CEmitContext): string {
  const x = shapeOf(node.inputs[0]!);
  useRowHelpers(ctx);
  const n = product(x.slice(2));
  const max = node.op === 'GlobalMaxPool';
  return [
    `const float *X = ${ctx.ptr(node.inputs[0]!)};`,
    `float *Y = ${ctx.ptr(node.outputs[0]!)};`,
    `for (long p = 0; p < ${x[0]! * x[1]!}; p++) Y[p] = edgec_row_reduce(X + p * ${n}, ${n}, ${max ? 1 : 0})${max ? '' : ` / ${n}.0f`};`,
  ].join('\n');
}

export const poolKernels: RvvKernel = {
  ops: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'],
  check(node) {
    const int8 = node.op === 'MaxPool' && ['u8', 'i8'].includes(node.inputs[0]!.type.dtype);
    if (int8 || !node.outputs[1]) return int8 ? null : checkF32(node);
    // MaxPool with Indices: f32 values, i64 indices.
    return [node.inputs[0]!, node.outputs[0]!].some((v) => v.type.dtype !== 'f32') ? `only f32 is supported for MaxPool with Indices on rvv` : null;
  },
  checkDims(node) {
    if (node.op.startsWith('Global')) return shapeOf(node.inputs[0]!).length < 3 ? 'global pooling needs an N x C x ... input' : null;
    if (node.outputs[1] && (is3d(node) || node.inputs[0]!.type.dtype !== 'f32')) return 'MaxPool Indices output is supported on rvv for 2-D f32 only';
    const g = is3d(node) && node.inputs[0]!.type.dtype === 'f32' ? pool3dGeometry(node) : poolGeometry(node);
    return typeof g === 'string' ? g : null;
  },
  scratchBytes(node) {
    if (node.op.startsWith('Global')) return 0;
    if (is3d(node)) return product((pool3dGeometry(node) as Pool3dGeometry).padded) * 4;
    const g = poolGeometry(node) as PoolGeometry;
    return g.paddedH * g.paddedW * 4;
  },
  emit: (node, ctx) => (node.op.startsWith('Global') ? emitGlobalPool(node, ctx) : node.outputs[1] ? emitMaxPoolIndices(node, ctx) : emitWindowPool(node, ctx)),
};
