import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { arrayToBytes, EdgecError, isBigInt, isFloat, makeTensor, numel, roundToDType, type DType, type Dim, type Tensor } from '../../ir/index.js';
import { decodeNpy } from '../io/npy.js';
import type { DeclaredInput } from './input-types.js';

/**
 * Input binding (`--bind name=value`): a graph input fixed to a constant at import, so everything computed
 * from it (shapes, sizes, branch conditions) folds like any other constant and the input leaves the artifact.
 *
 * The value's element type is the input's declared one: text is parsed as that type (an integer type takes
 * only integers within its range, bool takes true/false/1/0), a .npy file or a tensor must already be of it.
 * The value's shape is the declared one: one number for a rank-0 input, a comma list whose length is the
 * dim of a 1-D input (or fixes it when symbolic), a list as long as a fully static shape's element count; a
 * .npy file or tensor must have the declared rank and static dims, and gives the symbolic ones.
 */

/** What an input may be bound to: text as on the command line ('16000', '1,2,3', 'rate.npy'), numbers, or a tensor. */
export type BindValue = string | number | bigint | boolean | readonly (number | bigint)[] | Tensor;

export type Bindings = Readonly<Record<string, BindValue>>;

/** Parses `name=value` command-line flags (the value is resolved later, against the input's declared type). */
export function parseBindFlags(specs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1) throw new EdgecError('USAGE', `--bind '${spec}' must look like name=16000, name=1,2,3 or name=value.npy`);
    const name = spec.slice(0, at);
    if (name in out) throw new EdgecError('USAGE', `--bind names input '${name}' twice`);
    out[name] = spec.slice(at + 1);
  }
  return out;
}

const isTensor = (v: BindValue): v is Tensor => typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;

/**
 * Every binding resolved against the declared inputs: the constant each bound input takes. Fails naming the
 * input on an unknown name, a value of the wrong element type or out of its range, or a wrong shape.
 */
export function resolveBindings(declared: readonly DeclaredInput[], bind: Bindings, file?: string): Map<string, Tensor> {
  const byName = new Map(declared.map((d) => [d.name, d]));
  const out = new Map<string, Tensor>();
  for (const name of Object.keys(bind).sort()) {
    const input = byName.get(name);
    if (!input) {
      const known = declared.map((d) => `'${d.name}' ${describeDeclared(d)}`).join(', ');
      throw new EdgecError('USAGE', `cannot bind '${name}': the model has no input of that name (inputs: ${known || 'none'})`, { file });
    }
    out.set(name, boundTensor(input, bind[name]!, file));
  }
  return out;
}

function describeDeclared(d: DeclaredInput): string {
  return `${d.dtype}[${d.shape ? d.shape.join(',') : '?...'}]`;
}

/** The constant one input is bound to. */
export function boundTensor(input: DeclaredInput, value: BindValue, file?: string): Tensor {
  const what = `input '${input.name}' (${describeDeclared(input)})`;
  if (isTensor(value)) return checkedTensor(input, value, `${what} is bound to a tensor`, file);
  if (typeof value === 'string' && /\.npy$/i.test(value.trim())) {
    const path = value.trim();
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new EdgecError('IO', `cannot read the value bound to ${what}: ${(e as Error).message}`, { file: path });
    }
    return checkedTensor(input, decodeNpy(bytes, path), `${what} is bound to ${path}`, file);
  }
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value);
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new EdgecError('USAGE', `${what}: cannot read '${text}' as a value (a number, a comma list, or a .npy file)`, { file });
  const values = items.map((s) => parseElement(s, input.dtype, what, file));
  return makeTensor(input.dtype, textShape(input, values.length, what, file), values as number[] | bigint[]);
}

/** The shape a list of n values takes for the input (see the header). */
function textShape(input: DeclaredInput, n: number, what: string, file?: string): number[] {
  const shape = input.shape;
  if (!shape) return n === 1 ? [] : [n];
  if (shape.length === 0) {
    if (n !== 1) throw new EdgecError('BAD_SHAPE', `${what} is a scalar, but ${n} values were given`, { file });
    return [];
  }
  if (shape.length === 1) {
    const d = shape[0]!;
    if (typeof d === 'number' && d !== n) throw new EdgecError('BAD_SHAPE', `${what} holds ${d} values, but ${n} were given`, { file });
    return [n];
  }
  if (shape.every((d): d is number => typeof d === 'number') && numel(shape) === n) return [...shape];
  throw new EdgecError('BAD_SHAPE', `${what} has rank ${shape.length}: ${n} values do not fill it; bind it to a .npy file of that shape`, { file });
}

/** A tensor value: the declared element type exactly, the declared rank and static dims. */
function checkedTensor(input: DeclaredInput, t: Tensor, what: string, file?: string): Tensor {
  const got = `${t.dtype}[${t.shape.join(',')}]`;
  if (t.dtype !== input.dtype) throw new EdgecError('TYPE_MISMATCH', `${what} of type ${got}; the input's element type is ${input.dtype}`, { file });
  const shape = input.shape;
  const fits = !shape || (shape.length === t.shape.length && shape.every((d: Dim, i) => typeof d !== 'number' || d === t.shape[i]));
  if (!fits) throw new EdgecError('BAD_SHAPE', `${what} of shape [${t.shape.join(',')}], which does not fit the declared shape`, { file });
  return t;
}

const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const SPECIAL_FLOATS: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '-infinity': -Infinity };

function parseElement(s: string, dtype: DType, what: string, file?: string): number | bigint {
  const lower = s.toLowerCase();
  if (dtype === 'bool') {
    if (lower === 'true' || s === '1') return 1;
    if (lower === 'false' || s === '0') return 0;
    throw new EdgecError('TYPE_MISMATCH', `${what} is bool: '${s}' is not true, false, 1 or 0`, { file });
  }
  if (isFloat(dtype)) {
    if (lower in SPECIAL_FLOATS) return SPECIAL_FLOATS[lower]!;
    if (!FLOAT_TEXT.test(s)) throw new EdgecError('TYPE_MISMATCH', `${what}: '${s}' is not a number`, { file });
    const x = Number(s);
    if (!Number.isFinite(roundToDType(dtype, x))) throw new EdgecError('TYPE_MISMATCH', `${what}: ${s} is out of the range of ${dtype}`, { file });
    return x;
  }
  if (!/^[+-]?\d+$/.test(s)) throw new EdgecError('TYPE_MISMATCH', `${what} is ${dtype}: '${s}' is not an integer`, { file });
  const v = BigInt(s);
  const [min, max] = integerRange(dtype);
  if (v < min || v > max) throw new EdgecError('TYPE_MISMATCH', `${what}: ${s} is out of the range of ${dtype} (${min} to ${max})`, { file });
  return isBigInt(dtype) ? v : Number(v);
}

const INTEGER_BITS: Partial<Record<DType, [bits: number, signed: boolean]>> = {
  i8: [8, true], u8: [8, false], i16: [16, true], u16: [16, false], i32: [32, true], u32: [32, false], i64: [64, true], u64: [64, false],
};

/** Exact bounds (as bigints: i64's do not fit a double). */
function integerRange(dtype: DType): [bigint, bigint] {
  const [bits, signed] = INTEGER_BITS[dtype]!;
  return signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];
}

/** Up to this many elements, a seal records a bound value itself; above, its digest. */
const RECORDED_ELEMENTS = 64;

/**
 * What a seal records of each binding: the resolved element type, shape and values (their sha256 for large
 * ones), never a path, so the same bound values give the same record on every machine.
 */
export function bindingRecord(bound: ReadonlyMap<string, Tensor>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, t] of [...bound].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const n = numel(t.shape);
    const values =
      n <= RECORDED_ELEMENTS
        ? { values: Array.from(t.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? (Number.isSafeInteger(Number(x)) ? Number(x) : String(x)) : recordedNumber(x))) }
        : { sha256: createHash('sha256').update(arrayToBytes(t.dtype, t.data)).digest('hex') };
    out[name] = { dtype: t.dtype, shape: [...t.shape], ...values };
  }
  return out;
}

/** JSON has no NaN or infinities: those are recorded as their names. */
function recordedNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}
