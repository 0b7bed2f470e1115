import { stridesOf } from '../../ir/index.js';
import { ARENA_BINDING, SHADER_ENTRY_POINT, WEIGHTS_BINDING } from '../../runtime/formats/webgpu-bundle.js';

/**
 * Small pieces of WGSL text shared by the kernel generators: literals, the fixed bindings every shader
 * declares, and the flat invocation index over a 2-D grid of workgroups.
 */

/** Workgroups per grid dimension (WebGPU's maxComputeWorkgroupsPerDimension default). */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

const f32View = new Float32Array(1);

/**
 * An f32 literal that means exactly the f32 nearest to `value`: finite values as their shortest decimal in
 * f32(...), infinities and NaN through NONFINITE (WGSL has no literal for them, and a constant expression
 * that evaluates to one is a shader-creation error).
 */
export function f32Literal(value: number): string {
  f32View[0] = value;
  const rounded = f32View[0]!;
  if (Number.isNaN(rounded)) return 'f32_nan()';
  if (!Number.isFinite(rounded)) return rounded > 0 ? 'f32_inf()' : '(-f32_inf())';
  return `f32(${String(rounded)})`;
}

/** Infinity and NaN as run-time values: bit patterns read from private variables are not constant expressions. */
const NONFINITE = `var<private> inf_bits: u32 = 0x7f800000u;
var<private> nan_bits: u32 = 0x7fc00000u;
fn f32_inf() -> f32 { return bitcast<f32>(inf_bits); }
fn f32_nan() -> f32 { return bitcast<f32>(nan_bits); }
// By its bits: compilers may assume x != x is false (WGSL lets them assume no NaN in arithmetic).
fn f32_is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`;

export const u32Literal = (value: number): string => {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`${value} is not a u32`);
  return `${value}u`;
};

export const i32Literal = (value: number): string => {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new Error(`${value} is not an i32`);
  return value < 0 ? `(${value}i)` : `${value}i`;
};

/** Element type a shader sees the arena and weights buffers as (the bytes are the same buffer for every shader). */
export type WordType = 'f32' | 'u32' | 'i32';

/**
 * The two bindings every shader declares (their numbers: runtime/formats/webgpu-bundle.ts): the arena (inputs,
 * intermediates, outputs; planned by plan-memory) and the read-only weights. One bind group serves every dispatch.
 */
export function bindings(word: WordType): string {
  return [
    `@group(0) @binding(${ARENA_BINDING}) var<storage, read_write> arena: array<${word}>;`,
    `@group(0) @binding(${WEIGHTS_BINDING}) var<storage, read> weights: array<${word}>;`,
    NONFINITE,
  ].join('\n');
}

/** Workgroup counts for `groups` workgroups of a 1-D problem, folded into two dimensions when needed. */
export function grid1d(groups: number): [number, number, number] {
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [Math.max(1, groups), 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
  if (y > MAX_WORKGROUPS_PER_DIMENSION) throw new Error(`${groups} workgroups exceed a 65535 x 65535 grid`);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * The entry point of a one-invocation-per-item kernel over `total` items: `body` sees `i: u32`, the item index,
 * already checked against `total`. The grid may be folded to two dimensions (grid1d).
 */
export function elementKernel(total: number, workgroupSize: number, body: string): { code: string; workgroups: [number, number, number] } {
  const workgroups = grid1d(Math.ceil(total / workgroupSize));
  const code = `@compute @workgroup_size(${workgroupSize})
fn ${SHADER_ENTRY_POINT}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * ${u32Literal(workgroups[0])} + wid.x) * ${u32Literal(workgroupSize)} + lid;
  if (i >= ${u32Literal(total)}) { return; }
${body}
}`;
  return { code, workgroups };
}

/** Row-major strides of a shape. */
export const rowMajorStrides = stridesOf;

/**
 * WGSL statements that compute `let <name> = sum_a coord_a * srcStrides[a]` from the flat row-major index
 * `index` over `dims` (coordinates by division by constants; axes of extent 1 or source stride 0 cost nothing).
 */
export function stridedIndex(name: string, index: string, dims: readonly number[], srcStrides: readonly number[], base = 0): string {
  const outStrides = rowMajorStrides(dims);
  const terms: string[] = base ? [u32Literal(base)] : [];
  dims.forEach((d, a) => {
    if (d === 1 || srcStrides[a] === 0) return;
    const coord = a === 0 ? `(${index} / ${u32Literal(outStrides[a]!)})` : `((${index} / ${u32Literal(outStrides[a]!)}) % ${u32Literal(d)})`;
    const simplified = outStrides[a] === 1 ? (a === 0 ? index : `(${index} % ${u32Literal(d)})`) : coord;
    terms.push(srcStrides[a] === 1 ? simplified : `${simplified} * ${u32Literal(srcStrides[a]!)}`);
  });
  return `let ${name} = ${terms.length ? terms.join(' + ') : '0u'};`;
}

/**
 * WGSL `let <name> = ...`: the element of an operand of shape `shape` that ONNX broadcasting reads for flat
 * output index `index` over `dims` (trailing axes aligned; extent-1 axes read stride 0).
 */
export function broadcastIndex(name: string, index: string, shape: readonly number[], dims: readonly number[]): string {
  if (shape.join() === dims.join()) return `let ${name} = ${index};`;
  const strides = rowMajorStrides(shape);
  const lead = dims.length - shape.length;
  return stridedIndex(name, index, dims, dims.map((_, a) => (a < lead || shape[a - lead] === 1 ? 0 : strides[a - lead]!)));
}
