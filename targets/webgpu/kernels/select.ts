import type { Value } from '../../../ir/index.js';
import { product, shapeOf, type GpuKernel } from '../kernel.js';
import { broadcastIndex } from '../wgsl.js';
import { INT_PRELUDE } from './integer.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * Comparisons (Equal, Less, Greater) of f32 or integer operands (64-bit ones as (low, high) word pairs) into
 * bool, and Where choosing between operands of any 1-, 2-, 4- or 8-byte type by a bool condition; all with ONNX
 * broadcasting. Bool and other sub-word results are written a word (four or two elements) per invocation.
 */
const COMPARISONS: Record<string, string> = { Equal: '==', Less: '<', Greater: '>' };
const LOADABLE = new Set(['f32', 'i32', 'u32', 'i8', 'u8', 'i16', 'u16', 'i64', 'u64', 'bool']);

/** `a OP b` on loaded operands: u32 compared as u32, 64-bit pairs by (high, low), signed for i64. */
function comparison(op: string, dtype: string, a: string, b: string): string {
  if (dtype === 'u32') return `bitcast<u32>(${a}) ${COMPARISONS[op]} bitcast<u32>(${b})`;
  if (dtype !== 'i64' && dtype !== 'u64') return `${a} ${COMPARISONS[op]} ${b}`;
  if (op === 'Equal') return `all(${a} == ${b})`;
  const lt = dtype === 'i64' ? 'lt_i64' : 'lt_u64';
  return op === 'Less' ? `${lt}(${a}, ${b})` : `${lt}(${b}, ${a})`;
}

/** The WGSL type the loader gives a dtype's elements. */
const loadedType = (dtype: string) => (dtype === 'f32' ? 'f32' : dtype.endsWith('64') ? 'vec2<u32>' : 'i32');

export const selectKernels: GpuKernel = {
  ops: [...Object.keys(COMPARISONS), 'Where'],
  check(node) {
    for (const v of [...node.inputs, ...node.outputs]) {
      if (!v) continue;
      if (!LOADABLE.has(v.type.dtype)) return `the webgpu ${node.op} kernel does not handle ${v.type.dtype} (%${v.name})`;
    }
    return null;
  },
  emit(node, ctx) {
    const out = node.outputs[0]!;
    const dims = shapeOf(out);
    const total = product(dims);
    if (total === 0) return [];
    const names = node.op === 'Where' ? ['c', 'a', 'b'] : ['a', 'b'];
    const loads = node.inputs.map((v, k) => loader(ctx, `ld_${names[k]}`, v!)).join('\n');
    const indices = node.inputs.map((v, k) => `  ${broadcastIndex(`i${names[k]}`, 'o', shapeOf(v!), dims)}`).join('\n');
    const result = loadedType(out.type.dtype);
    const value =
      node.op === 'Where'
        ? `select(${cast('ld_b(ib)', node.inputs[2]!, result)}, ${cast('ld_a(ia)', node.inputs[1]!, result)}, ld_c(ic) != 0i)`
        : `select(0i, 1i, ${comparison(node.op, node.inputs[0]!.type.dtype, 'ld_a(ia)', 'ld_b(ib)')})`;
    const wide = node.inputs.some((v) => v!.type.dtype.endsWith('64'));
    const fn = `${wide ? INT_PRELUDE : ''}${loads}
fn element(o: u32) -> ${node.op === 'Where' ? result : 'i32'} {
${indices}
  return ${value};
}`;
    return [outputKernel(ctx, out, total, fn)];
  },
};

/** Where's operands as the loader gives them; 32-bit integers keep their bits. */
function cast(expr: string, v: Value, to: string): string {
  const from = loadedType(v.type.dtype);
  return from === to ? expr : `bitcast<${to}>(${expr})`;
}
