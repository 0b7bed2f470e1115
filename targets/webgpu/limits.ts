import { EdgecError } from '../../ir/index.js';

/**
 * The device limits a bundle needs, computed from what it dispatches (the runtime requests exactly these
 * and refuses an adapter below them): the largest workgroup (per axis and in invocations), the most
 * workgroup memory one shader declares, the most storage buffers one shader binds, the largest grid
 * dimension, and the largest buffer. Read from the shaders' WGSL (`@workgroup_size`, `var<workgroup>`,
 * `var<storage`), which every kernel writes with literal sizes.
 */
export function bundleLimits(shaders: readonly string[], workgroups: readonly (readonly number[])[], largestBuffer: number): Record<string, number> {
  const sizes = shaders.map(workgroupSizeOf);
  return {
    maxStorageBufferBindingSize: largestBuffer,
    maxBufferSize: largestBuffer,
    maxComputeInvocationsPerWorkgroup: Math.max(1, ...sizes.map(([x, y, z]) => x * y * z)),
    maxComputeWorkgroupSizeX: Math.max(1, ...sizes.map((s) => s[0])),
    maxComputeWorkgroupSizeY: Math.max(1, ...sizes.map((s) => s[1])),
    maxComputeWorkgroupSizeZ: Math.max(1, ...sizes.map((s) => s[2])),
    maxComputeWorkgroupStorageSize: Math.max(0, ...shaders.map(workgroupStorageBytes)),
    maxStorageBuffersPerShaderStage: Math.max(0, ...shaders.map((code) => code.match(/\bvar<storage\b/g)?.length ?? 0)),
    maxComputeWorkgroupsPerDimension: Math.max(1, ...workgroups.flat()),
  };
}

/** The `@workgroup_size(x, y, z)` of a shader's entry point (missing axes are 1). */
export function workgroupSizeOf(code: string): [number, number, number] {
  const match = /@workgroup_size\(([^)]*)\)/.exec(code);
  if (!match) throw new EdgecError('VERIFY', 'a webgpu shader has no @workgroup_size (a code generator bug)');
  const axes = match[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const values = axes.map((s) => {
    if (!/^\d+u?$/.test(s)) throw new EdgecError('VERIFY', `@workgroup_size(${match[1]}) is not literal (the limits are computed from the shader text)`);
    return Number.parseInt(s, 10);
  });
  return [values[0] ?? 1, values[1] ?? 1, values[2] ?? 1];
}

/** Bytes of the `var<workgroup>` variables a shader declares (WGSL sizes and array strides). */
export function workgroupStorageBytes(code: string): number {
  let total = 0;
  for (const m of code.matchAll(/var<workgroup>\s+\w+\s*:\s*([^;]+);/g)) total += layoutOf(m[1]!.replace(/\s+/g, '')).size;
  return total;
}

const SCALARS: Readonly<Record<string, { size: number; align: number }>> = {
  f32: { size: 4, align: 4 },
  i32: { size: 4, align: 4 },
  u32: { size: 4, align: 4 },
  f16: { size: 2, align: 2 },
  'atomic<u32>': { size: 4, align: 4 },
  'atomic<i32>': { size: 4, align: 4 },
};

/** Size and alignment of a WGSL type: scalars, vecN<T> and array<T, N> (nested). */
function layoutOf(type: string): { size: number; align: number } {
  const scalar = SCALARS[type];
  if (scalar) return scalar;
  const vec = /^vec([234])<(\w+)>$/.exec(type) ?? /^vec([234])([fiuh])$/.exec(type);
  if (vec) {
    const n = Number(vec[1]);
    const element = SCALARS[{ f: 'f32', i: 'i32', u: 'u32', h: 'f16' }[vec[2]!] ?? vec[2]!]!;
    const size = n * element.size;
    const align = (n === 2 ? 2 : 4) * element.size;
    return { size, align };
  }
  const array = /^array<(.+),(\d+)u?>$/.exec(type);
  if (array) {
    const element = layoutOf(array[1]!);
    const stride = Math.ceil(element.size / element.align) * element.align;
    return { size: stride * Number(array[2]), align: element.align };
  }
  throw new EdgecError('VERIFY', `cannot size the workgroup type ${type} (the limits are computed from the shader text)`);
}
