import binaryen from 'binaryen';

/**
 * The SIMD128 arithmetic peak of this core, measured with a register-only kernel (built with binaryen, no
 * memory traffic): N independent chains of f32x4.mul + f32x4.add per loop iteration, or of the int8 kernels'
 * i32x4.dot_i16x8_s + i32x4.add.
 *
 * - 'acc'   acc_k = acc_k + x_k * s   the GEMM inner-loop shape: only the add is on the chain, the products are
 *                                     independent (2N + 1 live v128 values: 8 chains exceed x64's 16 xmm registers)
 * - 'chain' v_k = v_k * s + c         mul and add both on the chain: latency-bound unless N is large (N + 2 live)
 * - 'dot'   v_k = v_k + dot(v_k, w)  the int8 kernels' i32x4.dot_i16x8_s + i32x4.add, both on the chain (an
 *                                     'acc' form, dot(x_k, w) with loop-invariant operands, measured four times
 *                                     what the core can issue, as if the dots had left the loop)
 *
 * A float chain step is 8 FLOPs (4 lanes x mul + add), a dot step 16 integer ops (8 MACs, counted as a
 * multiply and an add each, like FLOPs). The loop body repeats the chain steps `unroll` times so the loop
 * counter's cost is small. Float values converge (|s| < 1) so no denormals or infinities appear.
 */
export type PeakPattern = 'acc' | 'chain' | 'dot';

export interface PeakKernel {
  /** Runs `iterations` loop iterations; returns a lane of the result so the work cannot be dropped. */
  run(iterations: number): number;
  /** Arithmetic ops of one loop iteration: FLOPs, or for 'dot' integer ops (two per MAC). */
  opsPerIteration: number;
}

export async function buildPeakKernel(chains: number, pattern: PeakPattern, unroll = 4): Promise<PeakKernel> {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
  const v128 = binaryen.v128;
  // params: 0 iterations (i32), 1 s (f32), 2 c (f32); locals from 3
  let next = 3;
  const types: binaryen.Type[] = [];
  const local = (type: binaryen.Type) => {
    types.push(type);
    return next++;
  };
  const counter = local(binaryen.i32);
  const s = local(v128);
  const c = local(v128);
  const acc = Array.from({ length: chains }, () => local(v128));
  const x = pattern === 'acc' ? Array.from({ length: chains }, () => local(v128)) : [];
  const get = (i: number, type: binaryen.Type = v128) => m.local.get(i, type);
  const splatConst = (value: number) => m.f32x4.splat(m.f32.const(value));

  const init = [
    m.local.set(counter, m.i32.const(0)),
    m.local.set(s, m.f32x4.splat(m.local.get(1, binaryen.f32))),
    m.local.set(c, m.f32x4.splat(m.local.get(2, binaryen.f32))),
    ...acc.map((a, k) => m.local.set(a, splatConst(0.5 + 0.01 * k))),
    // x_k from the parameter, so no product is a compile-time constant
    ...x.map((xk, k) => m.local.set(xk, m.f32x4.mul(get(c), splatConst(1 + 0.01 * k)))),
  ];
  // Integer chains read the float bits as i16 lanes: any values do, sums wrap at no cost.
  const dot = (k: number) => m.i32x4.add(get(acc[k]!), m.i32x4.dot_i16x8_s(get(acc[k]!), get(s)));
  const step: binaryen.ExpressionRef[] = [];
  for (let u = 0; u < unroll; u++) {
    for (let k = 0; k < chains; k++) {
      const value =
        pattern === 'acc'
          ? m.f32x4.add(get(acc[k]!), m.f32x4.mul(get(x[k]!), get(s)))
          : pattern === 'dot'
            ? dot(k)
            : m.f32x4.add(m.f32x4.mul(get(acc[k]!), get(s)), get(c));
      step.push(m.local.set(acc[k]!, value));
    }
  }
  const loop = m.loop(
    'top',
    m.block(null, [
      ...step,
      m.local.set(counter, m.i32.add(get(counter, binaryen.i32), m.i32.const(1))),
      m.br('top', m.i32.lt_s(get(counter, binaryen.i32), m.local.get(0, binaryen.i32))),
    ]),
  );
  // Sum the chains so every one is live at the end.
  let sum = get(acc[0]!);
  for (let k = 1; k < chains; k++) sum = m.f32x4.add(sum, get(acc[k]!));
  const body = m.block(null, [...init, loop, m.f32x4.extract_lane(sum, 0)], binaryen.f32);
  m.addFunction('peak', binaryen.createType([binaryen.i32, binaryen.f32, binaryen.f32]), binaryen.f32, types, body);
  m.addFunctionExport('peak', 'peak');
  if (!m.validate()) throw new Error('the peak kernel does not validate');
  // Not optimized by binaryen: the loop is already what we want, and an optimizer must not hoist the products.
  const bytes = m.emitBinary();
  m.dispose();
  const { instance } = await WebAssembly.instantiate(bytes as BufferSource);
  const peak = instance.exports.peak as (iterations: number, s: number, c: number) => number;
  // 'acc' grows by x*s per step: keep s tiny so sums stay normal-ranged floats for billions of steps.
  const sArg = pattern === 'acc' ? 1e-9 : 0.999;
  return {
    run: (iterations) => peak(iterations, sArg, 0.001),
    opsPerIteration: chains * unroll * (pattern === 'dot' ? 16 : 8),
  };
}
