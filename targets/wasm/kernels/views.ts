import { dtypeBytes, numel, type Node } from '../../../ir/index.js';
import { MEMORY } from '../dsl.js';
import type { WasmKernel } from '../kernel.js';

/**
 * Ops that only reinterpret their operand's bytes. plan-memory usually gives the result the operand's own
 * bytes, and then there is nothing to do; otherwise (the operand is a graph input, a constant or still live)
 * the bytes are copied once with memory.copy.
 */
export const viewKernels: WasmKernel = {
  ops: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'],
  check(node: Node) {
    if (node.op === 'Dropout' && node.outputs.length > 1) return 'the Dropout mask output is not supported';
    return null;
  },
  emit(node, ctx) {
    const src = ctx.addressOf(node.inputs[0]!);
    const out = node.outputs[0]!;
    const dst = ctx.addressOf(out);
    if (src === dst) return ctx.m.nop();
    const bytes = numel(out.type.shape as number[]) * dtypeBytes(out.type.dtype);
    return ctx.m.memory.copy(ctx.m.i32.const(dst), ctx.m.i32.const(src), ctx.m.i32.const(bytes), MEMORY, MEMORY);
  },
};
