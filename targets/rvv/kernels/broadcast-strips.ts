import type { Value } from '../../../ir/index.js';
import { collapseBroadcast } from '../../shared/broadcast.js';
import { shapeOf, type CEmitContext } from '../kernel.js';

/**
 * The loop nest of a broadcasting elementwise kernel: the broadcast is collapsed (shared/broadcast.ts) so the
 * innermost axis is contiguous or broadcast for every operand; the outer axes are counted loops and the
 * innermost is strip-mined with vsetvl. Per strip the caller's code loads every operand (`v<k>`, read as a splat
 * of `s<k>` where the operand is broadcast along the strip, else from `q<k> + j`) and then stores `yo + j`, so
 * every operand element is read before the result element is written.
 */
export interface StripCode {
  /** C element type of each operand and of the result. */
  readonly operandTypes: readonly string[];
  readonly resultType: string;
  /** The vsetvl macro or intrinsic for the strip (called with the remaining count). */
  readonly vset: string;
  /** The declaration of `v<k>` in a strip: a splat of `s<k>` when `broadcast`, else a load from `q<k> + j`. */
  load(k: number, broadcast: boolean): string;
  /** The statement storing the strip's result at `yo + j`. */
  readonly store: string;
}

export function emitBroadcastStrips(inputs: readonly Value[], result: Value, ctx: CEmitContext, code: StripCode): string {
  const out = shapeOf(result);
  const { dims, strides } = collapseBroadcast(out, inputs.map(shapeOf));
  const outer = dims.slice(0, -1);
  const inner = dims[dims.length - 1]!;
  const lines = inputs.map((v, k) => `const ${code.operandTypes[k]} *p${k} = ${ctx.ptr(v)};`);
  lines.push(`${code.resultType} *y = ${ctx.ptr(result)};`);
  let indent = '';
  outer.forEach((d, a) => {
    lines.push(`${indent}for (long i${a} = 0; i${a} < ${d}; i${a}++) {`);
    indent += '  ';
  });
  const offset = (s: number[]) => outer.map((_, a) => (s[a] ? `i${a} * ${s[a]}` : '')).filter(Boolean).join(' + ') || '0';
  const outStrides = outer.map((_, a) => dims.slice(a + 1).reduce((x, y) => x * y, 1));
  inputs.forEach((_, k) => {
    const s = strides[k]!;
    lines.push(`${indent}const ${code.operandTypes[k]} *q${k} = p${k} + ${offset(s)};`);
    if (s[s.length - 1] === 0) lines.push(`${indent}const ${code.operandTypes[k]} s${k} = *q${k};`);
  });
  lines.push(`${indent}${code.resultType} *yo = y + ${offset(outStrides)};`);
  const loads = inputs.map((_, k) => `${indent}  ${code.load(k, strides[k]![dims.length - 1] === 0)}`);
  lines.push(
    `${indent}for (long j = 0; j < ${inner};) {`,
    `${indent}  size_t vl = ${code.vset}((size_t)(${inner} - j));`,
    ...loads,
    `${indent}  ${code.store}`,
    `${indent}  j += (long)vl;`,
    `${indent}}`,
  );
  for (let a = outer.length - 1; a >= 0; a--) lines.push(`${'  '.repeat(a)}}`);
  return lines.join('\n');
}
