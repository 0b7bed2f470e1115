import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Graph } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { compileWebGpu } from '../../targets/webgpu/compile.js';
import { bundleLimits, workgroupSizeOf, workgroupStorageBytes } from '../../targets/webgpu/limits.js';

// The device limits in a bundle's manifest come from its dispatches, so a bundle asks for what its shaders
// use: no more (an adapter that could run it is not refused), no less (the runtime checks them before running).
function planned(build: (b: GraphBuilder) => void): Graph {
  const b = new GraphBuilder('g');
  build(b);
  const g = b.build();
  runPipeline(g, 'plan-memory', PASSES);
  return g;
}

const relu = () => planned((b) => b.output(b.op('Relu', [b.input('x', { dtype: 'f32', shape: [1000] })], {}, 'y')));

describe('webgpu bundle limits', () => {
  it('read the workgroup size and workgroup memory from WGSL', () => {
    expect(workgroupSizeOf('@compute @workgroup_size(64)\nfn main() {}')).toEqual([64, 1, 1]);
    expect(workgroupSizeOf('@compute @workgroup_size(8, 8, 1)\nfn main() {}')).toEqual([8, 8, 1]);
    expect(() => workgroupSizeOf('@compute @workgroup_size(WG)\nfn main() {}')).toThrow(/not literal/);
    const code = 'var<workgroup> a: array<array<f32, 32>, 16>;\nvar<workgroup> b: array<f32, 64>;\nvar<workgroup> c: array<vec3<f32>, 4>;';
    expect(workgroupStorageBytes(code)).toBe(32 * 16 * 4 + 64 * 4 + 4 * 16);
    expect(bundleLimits(['@workgroup_size(4, 2)\nvar<storage, read> w: array<f32>;'], [[3, 70000, 1]], 100)).toEqual({
      maxStorageBufferBindingSize: 100,
      maxBufferSize: 100,
      maxComputeInvocationsPerWorkgroup: 8,
      maxComputeWorkgroupSizeX: 4,
      maxComputeWorkgroupSizeY: 2,
      maxComputeWorkgroupSizeZ: 1,
      maxComputeWorkgroupStorageSize: 0,
      maxStorageBuffersPerShaderStage: 1,
      maxComputeWorkgroupsPerDimension: 70000,
    });
  });

  it('follow the workgroupSize option instead of a fixed 64', () => {
    expect(compileWebGpu(relu()).manifest.limits).toMatchObject({ maxComputeInvocationsPerWorkgroup: 64, maxComputeWorkgroupSizeX: 64, maxComputeWorkgroupStorageSize: 0, maxStorageBuffersPerShaderStage: 2 });
    expect(compileWebGpu(relu(), { workgroupSize: 256 }).manifest.limits).toMatchObject({ maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupsPerDimension: 4 });
  });

  it('count the GEMM tiles in workgroup memory and its 8 x 8 workgroup', () => {
    const g = planned((b) => {
      const x = b.input('x', { dtype: 'f32', shape: [64, 64] });
      const w = b.constant('w', makeTensor('f32', [64, 64], new Float32Array(64 * 64).fill(0.5)));
      b.output(b.op('MatMul', [x, w], {}, 'y'));
    });
    const { limits, shaders } = compileWebGpu(g).manifest;
    expect(shaders.some((s) => s.includes('var<workgroup>'))).toBe(true);
    expect(limits).toMatchObject({ maxComputeWorkgroupSizeX: 8, maxComputeWorkgroupSizeY: 8, maxComputeInvocationsPerWorkgroup: 64, maxComputeWorkgroupStorageSize: 2 * 16 * 32 * 4 });
  });
});
