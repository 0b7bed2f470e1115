import { EdgecError } from '../../ir/index.js';

type OptionValue = boolean | number | string | readonly string[];

/**
 * A target's code-generation options from an untyped record (the CLI, the bench engine, a seal's recorded
 * options): every key must be one of the target's options and of the type of its default, else a USAGE
 * error names it; missing keys take the defaults. Each target calls this once, in its `compile`, so the
 * typed options its code generator sees are parsed in one place.
 */
export function parseOptions<T extends { [K in keyof T]: OptionValue }>(target: string, raw: Readonly<Record<string, unknown>>, defaults: T): T {
  const known = Object.keys(defaults);
  const parsed: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!known.includes(key)) throw new EdgecError('USAGE', `the ${target} target has no option '${key}' (options: ${known.join(', ') || 'none'})`);
    const expected = (defaults as Record<string, OptionValue>)[key]!;
    const ok = Array.isArray(expected) ? Array.isArray(value) && value.every((v) => typeof v === 'string') : typeof value === typeof expected && !(typeof value === 'number' && !Number.isFinite(value));
    if (!ok) throw new EdgecError('USAGE', `the ${target} option '${key}' must be ${Array.isArray(expected) ? 'a list of strings' : `a ${typeof expected}`}, got ${JSON.stringify(value)}`);
    parsed[key] = Array.isArray(value) ? [...(value as string[])] : value;
  }
  return parsed as T;
}
