import type { Dispatch } from '../kernel.js';
import { MAX_WORKGROUPS_PER_DIMENSION, u32Literal } from '../wgsl.js';

/**
 * The tiled GEMM every matrix kernel (MatMul, Gemm, Conv as an implicit GEMM) is generated from:
 *
 *   for each batch b, C[b][m][n] = store(b, m, n, sum_k A(b, m, k) * B(b, k, n))
 *
 * A workgroup of 8x8 invocations computes a 32x32 tile of C, each invocation a 4x4 block (four vec4
 * accumulators), stepping over K in slices of 16 staged in workgroup memory. For staging, invocation `li`
 * always loads row m = m0 + li % 32 of A and column n = n0 + li % 32 of B, so what depends only on m or n
 * (batch offsets, a convolution's output pixel) is computed once, in `rowSetup` / `columnSetup`, not per load.
 */
export interface GemmSpec {
  batch: number;
  M: number;
  N: number;
  K: number;
  /** Statements run once per invocation, seeing `b` and `m` (m may be >= M: keep them safe, not in range). */
  rowSetup?: string;
  /** Statements setting `va` (f32, declared) to A(b, m, k) for in-range m and k; they see the rowSetup names. */
  loadA: string;
  /** Statements run once per invocation, seeing `b` and `n`. */
  columnSetup?: string;
  /** Statements setting `vb` to B(b, k, n) for in-range k and n. */
  loadB: string;
  /** Body of `fn store(b: u32, m: u32, n: u32, acc: f32)`, called for in-range m, n: the epilogue. */
  store: string;
  /** Declarations the bodies need (bindings, helpers). */
  prelude: string;
}

const TILE = 32;
const TILE_K = 16;
const THREADS = 8; // per side: 8 x 8 invocations, 4 x 4 outputs each
const STAGING_ROWS = (THREADS * THREADS) / TILE; // k rows of a slice one pass of the workgroup stages

export function gemmDispatch(spec: GemmSpec): Dispatch {
  const { M, N, K, batch } = spec;
  const workgroups: [number, number, number] = [Math.ceil(N / TILE), Math.ceil(M / TILE), batch];
  if (workgroups.some((w) => w > MAX_WORKGROUPS_PER_DIMENSION)) {
    throw new Error(`a ${batch} x ${M} x ${N} GEMM needs ${workgroups.join(' x ')} workgroups, more than 65535 in one dimension`);
  }
  const u = u32Literal;
  const indent = (text: string | undefined, by: string) => (text ?? '').split('\n').map((l) => by + l.trim()).join('\n');
  const code = `${spec.prelude}
const M = ${u(M)};
const N = ${u(N)};
const K = ${u(K)};
var<workgroup> tile_a: array<array<f32, ${TILE}>, ${TILE_K}>;
var<workgroup> tile_b: array<array<f32, ${TILE}>, ${TILE_K}>;

fn store(b: u32, m: u32, n: u32, acc: f32) {
${spec.store}
}

@compute @workgroup_size(${THREADS}, ${THREADS}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let b = wid.z;
  let m0 = wid.y * ${u(TILE)};
  let n0 = wid.x * ${u(TILE)};
  let r = li % ${u(TILE)};
  let kk0 = li / ${u(TILE)};
  let m = m0 + r;
  let n = n0 + r;
${indent(spec.rowSetup, '  ')}
${indent(spec.columnSetup, '  ')}
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < K; k0 = k0 + ${u(TILE_K)}) {
    for (var j = 0u; j < ${u(TILE_K / STAGING_ROWS)}; j = j + 1u) {
      let kk = kk0 + ${u(STAGING_ROWS)} * j;
      let k = k0 + kk;
      var va = 0.0;
      if (m < M && k < K) {
${indent(spec.loadA, '        ')}
      }
      tile_a[kk][r] = va;
      var vb = 0.0;
      if (n < N && k < K) {
${indent(spec.loadB, '        ')}
      }
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
    let om = m0 + lid.y * 4u + i;
    if (om >= M) { continue; }
    for (var jj = 0u; jj < 4u; jj = jj + 1u) {
      let on = n0 + lid.x * 4u + jj;
      if (on < N) { store(b, om, on, acc[i][jj]); }
    }
  }
}
`;
  return { code, workgroups };
}
