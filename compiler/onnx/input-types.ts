import { EdgecError, UNKNOWN_DIM, type Dim, type TensorType } from '../../ir/index.js';
import { onnxDTypeToIr } from './dtypes.js';
import { hasField, int64ToBigInt, type ValueInfoProto } from './proto.js';
import { MAX_DIM, MAX_ELEMENTS } from './tensor-proto.js';

/**
 * Graph input types from ValueInfoProto (dim_value -> number, dim_param -> that symbol, neither -> '?'), then
 * fixed by the user's inputShapes: a given shape must match the declared rank and static dims, and each symbol
 * it pins (say 'batch' = 1) is pinned in every other input too.
 */

/** A declared input type; `shape` is undefined when the model gives no shape at all (unknown rank). */
export interface DeclaredInput {
  name: string;
  dtype: TensorType['dtype'];
  shape: Dim[] | undefined;
}

export function declaredInput(info: ValueInfoProto, file?: string): DeclaredInput {
  const name = info.name ?? '';
  const what = `graph input '${name}'`;
  const tensorType = info.type?.tensorType;
  if (!tensorType) {
    throw new EdgecError('UNSUPPORTED_FEATURE', `${what} is not a tensor (sequences, maps, optionals and sparse tensors are not supported)`, { file });
  }
  const dtype = onnxDTypeToIr(tensorType.elemType ?? 0, what, { file });
  if (!tensorType.shape) return { name, dtype, shape: undefined };
  const shape = (tensorType.shape.dim ?? []).map((d): Dim => {
    if (hasField(d, 'dimValue')) {
      const v = int64ToBigInt(d.dimValue);
      if (v < 0n) throw new EdgecError('BAD_SHAPE', `${what} has a negative dim ${v}`, { file });
      if (v > BigInt(MAX_DIM)) throw new EdgecError('BAD_SHAPE', `${what} has an absurd dim ${v} (more than 2^31)`, { file });
      return Number(v);
    }
    return d.dimParam ? d.dimParam : UNKNOWN_DIM;
  });
  return { name, dtype, shape };
}

function checkStaticSize(name: string, shape: readonly Dim[], file?: string): void {
  let total = 1;
  for (const d of shape) if (typeof d === 'number') total *= d;
  if (total > MAX_ELEMENTS) throw new EdgecError('BAD_SHAPE', `graph input '${name}' has more than 2^31 elements`, { file });
}

export function resolveInputTypes(
  declared: readonly DeclaredInput[],
  inputShapes: Record<string, readonly number[]> = {},
  file?: string,
): TensorType[] {
  const byName = new Map(declared.map((d) => [d.name, d]));
  const bindings = new Map<string, number>();
  const fixed = new Map<string, number[]>();
  for (const [name, given] of Object.entries(inputShapes)) {
    const input = byName.get(name);
    if (!input) {
      const known = declared.map((d) => `'${d.name}'`).join(', ');
      throw new EdgecError('USAGE', `inputShapes names '${name}', which is not a graph input (inputs: ${known || 'none'})`, { file });
    }
    const where = `inputShapes['${name}'] = [${given.join(',')}]`;
    if (given.some((d) => !Number.isInteger(d) || d < 0 || d > MAX_DIM)) throw new EdgecError('BAD_SHAPE', `${where} has an invalid dim`, { file });
    if (input.shape) {
      if (input.shape.length !== given.length) {
        throw new EdgecError('BAD_SHAPE', `${where} has rank ${given.length}, but the model declares rank ${input.shape.length}`, { file });
      }
      input.shape.forEach((d, i) => {
        if (typeof d === 'number' && d !== given[i]) {
          throw new EdgecError('BAD_SHAPE', `${where} conflicts with the model's static dim ${i} = ${d}`, { file });
        }
        if (typeof d === 'string' && d !== UNKNOWN_DIM) {
          const bound = bindings.get(d);
          if (bound !== undefined && bound !== given[i]) {
            throw new EdgecError('BAD_SHAPE', `${where} sets '${d}' = ${given[i]}, but another input already set it to ${bound}`, { file });
          }
          bindings.set(d, given[i]!);
        }
      });
    }
    fixed.set(name, [...given]);
  }
  return declared.map((d) => {
    const given = fixed.get(d.name);
    let shape: Dim[];
    if (given) shape = given;
    else if (d.shape) shape = d.shape.map((dim) => (typeof dim === 'string' && bindings.has(dim) ? bindings.get(dim)! : dim));
    else {
      throw new EdgecError('UNSUPPORTED_FEATURE', `graph input '${d.name}' has no shape (unknown rank); give one with inputShapes`, { file });
    }
    checkStaticSize(d.name, shape, file);
    return { dtype: d.dtype, shape };
  });
}
