import { nodeExpression, type Node, type Value } from '../../../ir/index.js';
import { EXPRESSION_PRELUDE, lowerExpression, unsupportedExpressionOp } from '../expression.js';
import { at, product, shapeOf, type Dispatch, type GpuEmitContext } from '../kernel.js';
import { broadcastIndex } from '../wgsl.js';
import { CAST_PRELUDE } from './cast.js';
import { outputKernel } from './quantized-wgsl.js';

/**
 * f16 and bf16 elementwise ops, as the reference computes them: each element is widened to f32 (exactly),
 * the expression runs in f32, and the result is rounded once to the half type, to nearest with ties to even.
 * WGSL's f16 type needs an extension, so halves stay bit patterns in u32 words (two per word) and convert with
 * the Cast kernel's integer code (cast.ts); results are written a word (two halves) per invocation.
 */
const HALVES = new Set(['f16', 'bf16']);
const FLOATS = new Set(['f16', 'bf16', 'f32']);
export const involvesHalf = (node: Node): boolean => [...node.inputs, ...node.outputs].some((v) => v && HALVES.has(v.type.dtype));

/** Why a node's operands and results are not all f16, bf16 or f32 (a kernel widening halves to f32), or null. */
export function halfOperandsProblem(node: Node): string | null {
  for (const v of [...node.inputs, ...node.outputs]) {
    if (v && !FLOATS.has(v.type.dtype)) return `the webgpu ${node.op} kernel mixes halves only with f16, bf16 and f32 (%${v.name} is ${v.type.dtype})`;
  }
  return null;
}

/** Why the f16/bf16 elementwise path cannot run a node, or null. */
export function halfElementwiseProblem(node: Node): string | null {
  const bad = halfOperandsProblem(node);
  if (bad) return bad;
  const expr = nodeExpression(node);
  if (!expr) return `${node.op} has no expression form`;
  const op = unsupportedExpressionOp(expr);
  return op ? `expression operator ${op} has no WGSL lowering` : null;
}

/** `fn <name>(i: u32) -> f32`: element i of a f16, bf16 or f32 value, widened to f32. */
export function widening(ctx: GpuEmitContext, name: string, v: Value): string {
  const loc = ctx.locate(v);
  const half = `((${at(loc, '(i >> 1u)')} >> (16u * (i & 1u))) & 0xffffu)`;
  if (v.type.dtype === 'f16') return `fn ${name}(i: u32) -> f32 { return f16_to_f32(${half}); }`;
  if (v.type.dtype === 'bf16') return `fn ${name}(i: u32) -> f32 { return bf16_to_f32(${half}); }`;
  return `fn ${name}(i: u32) -> f32 { return bitcast<f32>(${at(loc, 'i')}); }`;
}

const NARROW: Record<string, (v: string) => string> = { f16: (v) => `f32_to_f16(${v})`, bf16: (v) => `f32_to_bf16(${v})`, f32: (v) => v };
/** WGSL of an f32 value `v` stored as `dtype` (the bits of a half, rounded to nearest even). */
export const narrowing = (dtype: string, v: string): string => NARROW[dtype]!(v);

export function emitHalfElementwise(node: Node, ctx: GpuEmitContext): Dispatch[] {
  const out = node.outputs[0]!;
  const dims = shapeOf(out);
  const total = product(dims);
  if (total === 0) return [];
  const loads: string[] = [];
  const lines: string[] = [];
  node.inputs.forEach((v, k) => {
    if (!v) return;
    loads.push(widening(ctx, `ld_${k}`, v));
    lines.push(`  ${broadcastIndex(`j${k}`, 'o', shapeOf(v), dims)}`, `  let x${k} = ld_${k}(j${k});`);
  });
  const value = lowerExpression(nodeExpression(node)!, (k) => `x${k}`);
  const fn = `${EXPRESSION_PRELUDE}
${CAST_PRELUDE}
${loads.join('\n')}
fn element(o: u32) -> ${out.type.dtype === 'f32' ? 'f32' : 'u32'} {
${lines.join('\n')}
  return ${narrowing(out.type.dtype, value)};
}`;
  return [outputKernel(ctx, out, total, fn)];
}
