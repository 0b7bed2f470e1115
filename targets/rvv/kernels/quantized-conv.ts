import { getAttr, type DType, type Node, type Value } from '../../../ir/index.js';
import { clampRange } from '../../../ir/ops/quantized.js';
import { convGeometry, type ConvGeometry } from '../../shared/conv-geometry.js';
import { product, shapeOf, type CEmitContext, type RvvKernel } from '../kernel.js';
import { defineIm2col } from './conv.js';
import { packPanels } from './gemm-core.js';
import { defineQGemm, defineQStore, defineShift16, QMAX_MR, Q_STORE } from './quantized-gemm.js';

/**
 * QConv and QMatMul (the int8 IR of ir/ops/quantized.ts) on the int8 microkernel, bit-exact with the reference.
 * QConv: per image and group, the input is shifted by its zero point into int16 (a zero border stands for
 * padding, which reads x_zp), unfolded (im2col) unless the conv is 1x1/stride 1/unpadded, and multiplied by
 * the weights shifted by w_zp and packed into int16 MR-row panels at compile time; M and S per output channel.
 * Depthwise QConv (one input channel per group) has a direct kernel over the shifted, padded plane of each channel.
 * QMatMul: the a rows are shifted into int16 scratch, b (constant) is shifted and kept K x N, M and S per column.
 */

const ints = (v: Value | null | undefined): number[] | null => (v?.data ? Array.from(v.data.data as ArrayLike<number>, Number) : null);

/** Output kind, clamp bounds and zero point of a requantizing op. */
function storeSpec(node: Node): { kind: number; zp: number; lo: number; hi: number } {
  const dtype = getAttr<string>(node, 'dtype') as DType;
  if (dtype === 'i32') return { kind: Q_STORE.i32, zp: 0, lo: 0, hi: 0 };
  const [lo, hi] = clampRange(dtype, getAttr<number>(node, 'act_min'), getAttr<number>(node, 'act_max'));
  return { kind: dtype === 'u8' ? Q_STORE.u8 : Q_STORE.i8, zp: getAttr<number>(node, 'y_zero_point'), lo, hi };
}

/** Bias, multipliers and shifts as tables of `n` entries in the weights blob (a single M and S repeated). */
function channelTables(node: Node, n: number, ctx: CEmitContext): { bias: string | null; mult: string | null; shift: string | null } {
  const [bias, m, s] = [2, 3, 4].map((i) => ints(node.inputs[i]));
  const table = (key: string, values: number[] | null, type: string) => {
    if (!values) return null;
    const full = Int32Array.from({ length: n }, (_, i) => values[values.length === 1 ? 0 : i]!);
    return `((const ${type} *)${ctx.weightsBytes(`${key}:${node.label}`, new Uint8Array(full.buffer))})`;
  };
  return { bias: table('qbias', bias, 'int32_t'), mult: table('qmult', m, 'int32_t'), shift: table('qshift', s, 'uint32_t') };
}

function checkQuantized(node: Node): string | null {
  for (const i of [1, 2, 3, 4]) {
    const v = node.inputs[i];
    if (v && !v.data) return `${node.op} operand %${v.name} must be constant on rvv (weights and requantization tables are packed at compile time)`;
  }
  return null;
}

/** QConv's geometry from the (static) dims, or why it cannot be compiled. */
function checkQConvDims(node: Node): string | null {
  const g = convGeometry(node);
  if (typeof g === 'string') return g;
  return shapeOf(node.inputs[0]!).length > 4 ? 'only 1-D and 2-D QConv is supported on rvv' : null;
}

const isDepthwise = (g: ConvGeometry): boolean => g.Cg === 1 && g.group > 1;

const QDEPTHWISE = `
/* Depthwise QConv: per output channel and row, one vector of columns accumulates KH*KW widening MACs. */
static void edgec_qdepthwise(const uint8_t *X, int is_u8, int32_t xzp, const int16_t *Wt, const int32_t *bias, const int32_t *mult,
                             const uint32_t *shift, void *Y, int kind, int32_t zp, int32_t lo, int32_t hi, long C, long H, long W,
                             long Mg, long OH, long OW, long KH, long KW, long SH, long SW, long DH, long DW, long PT, long PL,
                             long PH, long PW, int16_t *plane) {
  long esize = kind == 0 ? 4 : 1;
  for (long c = 0; c < C; c++) {
    edgec_shift16(plane, X + c * H * W, is_u8, xzp, 1, H, W, PT, PL, PH, PW);
    for (long j = 0; j < Mg; j++) {
      long m = c * Mg + j;
      const int16_t *w = Wt + m * KH * KW;
      for (long oh = 0; oh < OH; oh++) {
        const int16_t *row = plane + oh * SH * PW;
        for (long ow = 0; ow < OW;) {
          size_t vl = __riscv_vsetvl_e32m4((size_t)(OW - ow));
          vint32m4_t acc = __riscv_vmv_v_x_i32m4(bias ? bias[m] : 0, vl);
          for (long kh = 0; kh < KH; kh++)
            for (long kw = 0; kw < KW; kw++) {
              const int16_t *p = row + kh * DH * PW + ow * SW + kw * DW;
              vint16m2_t v = SW == 1 ? __riscv_vle16_v_i16m2(p, vl) : __riscv_vlse16_v_i16m2(p, SW * 2, vl);
              acc = __riscv_vwmacc_vx_i32m4(acc, w[kh * KW + kw], v, vl);
            }
          vint32m4_t rm = __riscv_vmv_v_x_i32m4(kind ? mult[m] : 0, vl);
          vuint32m4_t rs = __riscv_vmv_v_x_u32m4(kind ? shift[m] : 1, vl);
          edgec_qstore(acc, (uint8_t *)Y + ((m * OH + oh) * OW + ow) * esize, kind, rm, rs, zp, lo, hi, vl);
          ow += (long)vl;
        }
      }
    }
  }
}
`;

function emitQDepthwise(node: Node, g: ConvGeometry, ctx: CEmitContext): string {
  const [x, w] = node.inputs;
  const spec = storeSpec(node);
  defineQStore(ctx);
  defineShift16(ctx);
  ctx.helper('edgec_qdepthwise', () => QDEPTHWISE);
  const wzp = getAttr<number>(node, 'w_zero_point');
  const shifted = Int16Array.from(w!.data!.data as ArrayLike<number>, (v) => Number(v) - wzp);
  const weights = `((const int16_t *)${ctx.weightsBytes(`qdepthwise:${w!.name}:${wzp}`, new Uint8Array(shifted.buffer))})`;
  const t = channelTables(node, g.M, ctx);
  const [PH, PW] = [g.H + g.PT + g.PB, g.W + g.PL + g.PR];
  const outBytes = spec.kind === Q_STORE.i32 ? 4 : 1;
  return [
    `for (long n = 0; n < ${g.batch}; n++)`,
    `  edgec_qdepthwise((const uint8_t *)${ctx.ptr(x!)} + n * ${g.C * g.H * g.W}, ${x!.type.dtype === 'u8' ? 1 : 0}, ${getAttr<number>(node, 'x_zero_point')}, ${weights},`,
    `      ${t.bias ?? 'NULL'}, ${t.mult ?? 'NULL'}, ${t.shift ?? 'NULL'}, (uint8_t *)${ctx.ptr(node.outputs[0]!)} + n * ${g.M * g.OH * g.OW * outBytes}, ${spec.kind}, ${spec.zp}, ${spec.lo}, ${spec.hi},`,
    `      ${g.C}, ${g.H}, ${g.W}, ${g.Mg}, ${g.OH}, ${g.OW}, ${g.KH}, ${g.KW}, ${g.SH}, ${g.SW}, ${g.DH}, ${g.DW}, ${g.PT}, ${g.PL}, ${PH}, ${PW}, (int16_t *)${ctx.scratch(2 * PH * PW)});`,
  ].join('\n');
}

function emitQConv(node: Node, ctx: CEmitContext): string {
  const g = convGeometry(node) as ConvGeometry;
  if (isDepthwise(g)) return emitQDepthwise(node, g, ctx);
  const [x, w] = node.inputs;
  const spec = storeSpec(node);
  const mr = Math.min(QMAX_MR, g.Mg);
  const gemm = defineQGemm(ctx, 'packed', mr);
  const shift16 = defineShift16(ctx);
  const wzp = getAttr<number>(node, 'w_zero_point');
  const weights = Array.from(w!.data!.data as ArrayLike<number>, (v) => Number(v) - wzp);
  const panelLength = Math.ceil(g.Mg / mr) * g.K * mr;
  const packed = new Int16Array(g.group * panelLength);
  for (let grp = 0; grp < g.group; grp++) {
    packed.set(packPanels(weights.slice(grp * g.Mg * g.K, (grp + 1) * g.Mg * g.K), g.Mg, g.K, mr, (n) => new Int16Array(n)), grp * panelLength);
  }
  const panels = `((const int16_t *)${ctx.weightsBytes(`qconv-panels:${w!.name}:${wzp}:${mr}`, new Uint8Array(packed.buffer))})`;
  const tables = channelTables(node, g.M, ctx);
  const padded = g.PT + g.PL + g.PB + g.PR > 0;
  const [PH, PW] = [g.H + g.PT + g.PB, g.W + g.PL + g.PR];
  const pointwise = g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && !padded;
  const N = g.OH * g.OW;
  const outBytes = spec.kind === Q_STORE.i32 ? 4 : 1;
  const scratch = ctx.scratch(qconvScratch(g));
  const lines = [
    `const uint8_t *X = (const uint8_t *)${ctx.ptr(x!)};`,
    `uint8_t *Y = (uint8_t *)${ctx.ptr(node.outputs[0]!)};`,
    `int16_t *shifted = (int16_t *)${scratch};`,
    `int16_t *cols = shifted + ${g.Cg * PH * PW};`,
    `(void)cols;`,
    `for (long n = 0; n < ${g.batch}; n++)`,
    `  for (long grp = 0; grp < ${g.group}; grp++) {`,
    `    ${shift16}(shifted, X + (n * ${g.C} + grp * ${g.Cg}) * ${g.H * g.W}, ${x!.type.dtype === 'u8' ? 1 : 0}, ${getAttr<number>(node, 'x_zero_point')}, ${g.Cg}, ${g.H}, ${g.W}, ${g.PT}, ${g.PL}, ${PH}, ${PW});`,
  ];
  if (!pointwise) lines.push(`    ${defineIm2col(ctx, 16)}(cols, shifted, ${g.Cg}, ${PH}, ${PW}, ${g.KH}, ${g.KW}, ${g.SH}, ${g.SW}, ${g.DH}, ${g.DW}, ${g.OH}, ${g.OW});`);
  const off = (t: string | null) => (t ? `${t} + grp * ${g.Mg}` : 'NULL');
  lines.push(
    `    ${gemm}(${g.Mg}, ${N}, ${g.K}, ${panels} + grp * ${panelLength}, ${pointwise ? 'shifted' : 'cols'}, ${N}, Y + ((n * ${g.M} + grp * ${g.Mg}) * ${N}) * ${outBytes}, ${N}, ${spec.kind},`,
    `        ${off(tables.bias)}, ${off(tables.mult)}, ${off(tables.shift)}, 1, ${spec.zp}, ${spec.lo}, ${spec.hi});`,
    `  }`,
  );
  return lines.join('\n');
}

function qconvScratch(g: ConvGeometry): number {
  const [PH, PW] = [g.H + g.PT + g.PB, g.W + g.PL + g.PR];
  if (isDepthwise(g)) return 2 * PH * PW;
  return 2 * (g.Cg * PH * PW + g.K * g.OH * g.OW);
}

function emitQMatMul(node: Node, ctx: CEmitContext): string {
  const [a, b] = node.inputs;
  const aShape = shapeOf(a!).length === 1 ? [1, shapeOf(a!)[0]!] : shapeOf(a!);
  const bShape = shapeOf(b!).length === 1 ? [shapeOf(b!)[0]!, 1] : shapeOf(b!);
  const K = aShape[aShape.length - 1]!;
  const N = bShape[bShape.length - 1]!;
  const rows = product(aShape) / K;
  const spec = storeSpec(node);
  const bzp = getAttr<number>(node, 'b_zero_point');
  const bShifted = Int16Array.from(b!.data!.data as ArrayLike<number>, (v) => Number(v) - bzp);
  const B = `((const int16_t *)${ctx.weightsBytes(`qmatmul-b:${b!.name}:${bzp}`, new Uint8Array(bShifted.buffer))})`;
  const tables = channelTables(node, N, ctx);
  const gemm = defineQGemm(ctx, 'strided', Math.min(QMAX_MR, rows));
  const shift16 = defineShift16(ctx);
  return [
    `int16_t *shifted = (int16_t *)${ctx.scratch(2 * rows * K)};`,
    `${shift16}(shifted, ${ctx.ptr(a!)}, ${a!.type.dtype === 'u8' ? 1 : 0}, ${getAttr<number>(node, 'a_zero_point')}, 1, ${rows}, ${K}, 0, 0, ${rows}, ${K});`,
    `${gemm}(${rows}, ${N}, ${K}, shifted, ${B}, ${N}, ${ctx.ptr(node.outputs[0]!)}, ${N}, ${spec.kind}, ${tables.bias ?? 'NULL'}, ${tables.mult ?? 'NULL'}, ${tables.shift ?? 'NULL'}, 0, ${spec.zp}, ${spec.lo}, ${spec.hi});`,
  ].join('\n');
}

function checkQMatMulDims(node: Node): string | null {
  const b = shapeOf(node.inputs[1]!);
  return b.length > 2 ? 'QMatMul with a batched b is not supported on rvv' : null;
}

export const qconvKernels: RvvKernel = {
  ops: ['QConv', 'QMatMul'],
  check: checkQuantized,
  checkDims: (node) => (node.op === 'QConv' ? checkQConvDims(node) : checkQMatMulDims(node)),
  scratchBytes(node) {
    if (node.op === 'QConv') return qconvScratch(convGeometry(node) as ConvGeometry);
    const a = shapeOf(node.inputs[0]!);
    return 2 * product(a);
  },
  emit: (node, ctx) => (node.op === 'QConv' ? emitQConv(node, ctx) : emitQMatMul(node, ctx)),
};
