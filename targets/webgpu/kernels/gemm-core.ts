import type { Dispatch } from '../kernel.js';
import { MAX_WORKGROUPS_PER_DIMENSION, u32Literal } from '../wgsl.js';

/**
 * The tiled GEMM every matrix kernel (MatMul, Gemm, Conv as an implicit GEMM) is generated from:
 *
 *   for each batch b, C[b][m][n] = store(b, m, n, sum_k A(b, m, k) * B(b, k, n))
 *
 * A workgroup of 8x8 invocations computes a 32x32 tile of C, each invocation a 4x4 block (four vec4
 * accumulators), stepping over K in slices of 16 staged in workgroup memory. `loadA` / `loadB` are WGSL
 * bodies of functions (b, m, k) / (b, k, n) -> f32 called only for in-range indices; `store` is the body of
 * a function (b, m, n, acc) for in-range m, n: where the epilogue (bias, residual, activation) goes.
 */
export interface GemmSpec {
  batch: number;
  M: number;
  N: number;
  K: number;
  /** Body of `fn load_a(b: u32, m: u32, k: u32) -> f32`. */
  loadA: string;
  /** Body of `fn load_b(b: u32, k: u32, n: u32) -> f32`. */
  loadB: string;
  /** Body of `fn store(b: u32, m: u32, n: u32, acc: f32)`. */
  store: string;
  /** Declarations the bodies need (bindings, helpers). */
  prelude: string;
}

const TILE = 32;
const TILE_K = 16;
const THREADS = 8; // per side: 8 x 8 invocations, 4 x 4 outputs each

export function gemmDispatch(spec: GemmSpec): Dispatch {
  const { M, N, K, batch } = spec;
  const workgroups: [number, number, number] = [Math.ceil(N / TILE), Math.ceil(M / TILE), batch];
  if (workgroups.some((w) => w > MAX_WORKGROUPS_PER_DIMENSION)) {
    throw new Error(`a ${batch} x ${M} x ${N} GEMM needs ${workgroups.join(' x ')} workgroups, more than 65535 in one dimension`);
  }
  const u = u32Literal;
  const code = `${spec.prelude}
const M = ${u(M)};
const N = ${u(N)};
const K = ${u(K)};
var<workgroup> tile_a: array<array<f32, ${TILE}>, ${TILE_K}>;
var<workgroup> tile_b: array<array<f32, ${TILE}>, ${TILE_K}>;

fn load_a(b: u32, m: u32, k: u32) -> f32 {
${spec.loadA}
}
fn load_b(b: u32, k: u32, n: u32) -> f32 {
${spec.loadB}
}
fn store(b: u32, m: u32, n: u32, acc: f32) {
${spec.store}
}

@compute @workgroup_size(${THREADS}, ${THREADS}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let b = wid.z;
  let m0 = wid.y * ${u(TILE)};
  let n0 = wid.x * ${u(TILE)};
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < K; k0 = k0 + ${u(TILE_K)}) {
    // Stage a 16 x 32 slice of A (transposed: k-major) and of B; 512 elements each over 64 invocations.
    for (var e = li; e < ${u(TILE * TILE_K)}; e = e + ${u(THREADS * THREADS)}) {
      let kk = e / ${u(TILE)};
      let r = e % ${u(TILE)};
      let k = k0 + kk;
      var va = 0.0;
      if (m0 + r < M && k < K) { va = load_a(b, m0 + r, k); }
      tile_a[kk][r] = va;
      var vb = 0.0;
      if (n0 + r < N && k < K) { vb = load_b(b, k, n0 + r); }
      tile_b[kk][r] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${u(TILE_K)}; kk = kk + 1u) {
      let bv = vec4<f32>(tile_b[kk][lid.x * 4u], tile_b[kk][lid.x * 4u + 1u], tile_b[kk][lid.x * 4u + 2u], tile_b[kk][lid.x * 4u + 3u]);
      for (var i = 0u; i < 4u; i = i + 1u) {
        acc[i] = fma(vec4<f32>(tile_a[kk][lid.y * 4u + i]), bv, acc[i]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let m = m0 + lid.y * 4u + i;
    if (m >= M) { continue; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let n = n0 + lid.x * 4u + j;
      if (n < N) { store(b, m, n, acc[i][j]); }
    }
  }
}
`;
  return { code, workgroups };
}
