import { dtypeBytes, numel, opTraits, registeredOps, type Node } from '../../../../ir/index.js';
import { viewProblem } from '../../../shared/views.js';
import { MEMORY } from '../../dsl.js';
import type { WasmKernel } from '../../kernel.js';

/**
 * Views (OpTraits.view): ops that only reinterpret their operand's bytes. plan-memory usually gives the result the operand's own
 * bytes, and then there is nothing to do; otherwise (the operand is a graph input, a constant or still live)
 * the bytes are copied once with memory.copy.
 *
 * Dropout is inference-mode only (as the reference): its mask output, when used, is all true (bytes of 1).
 */
export const viewKernels: WasmKernel = {
  ops: registeredOps().filter((op) => opTraits(op).view),
  check: (node: Node) => viewProblem(node, { fillsMask: true }),
  emit(node, ctx) {
    const m = ctx.m;
    const src = ctx.addressOf(node.inputs[0]!);
    const out = node.outputs[0]!;
    const dst = ctx.addressOf(out);
    const bytes = numel(out.type.shape as number[]) * dtypeBytes(out.type.dtype);
    const statements = src === dst ? [] : [m.memory.copy(m.i32.const(dst), m.i32.const(src), m.i32.const(bytes), MEMORY, MEMORY)];
    const mask = node.op === 'Dropout' ? node.outputs[1] : undefined;
    if (mask) statements.push(m.memory.fill(m.i32.const(ctx.addressOf(mask)), m.i32.const(1), m.i32.const(numel(mask.type.shape as number[])), MEMORY));
    return statements.length === 0 ? m.nop() : statements.length === 1 ? statements[0]! : m.block(null, statements);
  },
};
