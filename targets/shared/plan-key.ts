import { EdgecError } from '../../ir/index.js';

/**
 * The dedup key of a kernel: its kind and a stable serialization of the plan its builder reads, so two nodes
 * share a function (or a helper) exactly when their plans are equal, and a key can never leave out a
 * parameter the builder uses (the builder gets the plan, not the node). Objects are written with sorted
 * keys, so the order fields were set in does not matter; numbers keep what JSON would lose (-0, ±Infinity,
 * NaN). A plan holds only plain data: anything else is a code generator bug and throws.
 */
export function planKey(kind: string, plan: unknown): string {
  return `${kind}:${stableJson(plan)}`;
}

export function stableJson(value: unknown): string {
  const out: string[] = [];
  // Explicit stack of pending writes (strings to emit or values to serialize), so depth costs no recursion.
  const pending: ({ text: string } | { value: unknown })[] = [{ value }];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const v = item.value;
    if (v === null || typeof v === 'boolean' || typeof v === 'string') out.push(JSON.stringify(v));
    else if (typeof v === 'number') out.push(Number.isFinite(v) && !Object.is(v, -0) ? String(v) : `"#${Object.is(v, -0) ? '-0' : String(v)}"`);
    else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      // A typed array is its numbers, tagged with its type (an Int32Array and a Float32Array of equal values differ).
      const numbers = Array.from(v as unknown as ArrayLike<number | bigint>, (n) => (typeof n === 'bigint' ? `"${n}n"` : stableJson(n)));
      out.push(`{"#${v.constructor.name}":[${numbers.join(',')}]}`);
    } else if (Array.isArray(v)) {
      const parts: ({ text: string } | { value: unknown })[] = [{ text: '[' }];
      v.forEach((e, i) => parts.push(...(i > 0 ? [{ text: ',' }] : []), { value: e === undefined ? null : e }));
      parts.push({ text: ']' });
      pending.push(...parts.reverse());
    } else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
      const parts: ({ text: string } | { value: unknown })[] = [{ text: '{' }];
      keys.forEach((k, i) => parts.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(k)}:` }, { value: (v as Record<string, unknown>)[k] }));
      parts.push({ text: '}' });
      pending.push(...parts.reverse());
    } else {
      throw new EdgecError('VERIFY', `a kernel plan holds ${typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v}, which has no stable key (plans hold plain data)`);
    }
  }
  return out.join('');
}
