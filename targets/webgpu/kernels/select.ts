import { dtypeBytes, type Value } from '../../../ir/index.js';
import { product, shapeOf, type GpuKernel } from '../kernel.js';
import { broadcastIndex } from '../wgsl.js';
import { loader, outputKernel } from './quantized-wgsl.js';

/**
 * Comparisons (Equal, Less, Greater) of f32 or 32-bit integer operands into bool,
 * and Where choosing between 4-byte operands by a bool condition; all with ONNX broadcasting. Bool results are
 * bytes, so they are written a word (four elements) per invocation like the int8 results.
 */
const COMPARISONS: Record<string, string> = { Equal: '==', Less: '<', Greater: '>' };
const LOADABLE = new Set(['f32', 'i32', 'u32', 'i8', 'u8', 'bool']);

export const selectKernels: GpuKernel = {
  ops: [...Object.keys(COMPARISONS), 'Where'],
  check(node) {
    for (const v of [...node.inputs, ...node.outputs]) {
      if (!v) continue;
      if (!LOADABLE.has(v.type.dtype)) return `the webgpu ${node.op} kernel does not handle ${v.type.dtype} (%${v.name})`;
    }
    if (node.op === 'Where' && dtypeBytes(node.outputs[0]!.type.dtype) !== 4) return `Where on ${node.outputs[0]!.type.dtype} is not supported (4-byte elements only)`;
    if (node.op !== 'Where' && node.inputs[0]!.type.dtype === 'u32') return 'u32 comparisons are not supported';
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
    const result = out.type.dtype === 'f32' ? 'f32' : 'i32';
    const value =
      node.op === 'Where'
        ? `select(${cast('ld_b(ib)', node.inputs[2]!, result)}, ${cast('ld_a(ia)', node.inputs[1]!, result)}, ld_c(ic) != 0i)`
        : `select(0i, 1i, ld_a(ia) ${COMPARISONS[node.op]} ld_b(ib))`;
    const fn = `${loads}
fn element(o: u32) -> ${node.op === 'Where' ? result : 'i32'} {
${indices}
  return ${value};
}`;
    return [outputKernel(ctx, out, total, fn)];
  },
};

/** Where's operands are loaded as f32 or i32 by the loader; 32-bit integers keep their bits. */
function cast(expr: string, v: Value, to: 'f32' | 'i32'): string {
  const from = v.type.dtype === 'f32' ? 'f32' : 'i32';
  return from === to ? expr : `bitcast<${to}>(${expr})`;
}
