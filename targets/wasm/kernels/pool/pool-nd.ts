import binaryen from 'binaryen';
import type { PoolNdPlan } from '../../../shared/pool-geometry.js';
import type { FunctionBuilder, Local } from '../../dsl.js';

type Expr = binaryen.ExpressionRef;

/**
 * MaxPool / AveragePool over 1 to 3 spatial axes with plain loops (1-D and 2-D pools seen as 3-D ones with
 * leading size-1 axes), exactly as the reference kernel (targets/reference/kernels/nn/pool.ts) walks them: used
 * for 3-D pools and for MaxPool's Indices output, which the specialized 1-D / 2-D code in pool.ts does not make.
 *
 * - MaxPool takes the first valid tap, then strictly larger values (so NaN rules as in the reference); a window
 *   wholly in padding gives -inf. Indices are flat positions in the whole input (batch and channel included),
 *   column-major within the plane when storage_order = 1, and base - 1 for a window with no valid tap.
 * - AveragePool sums in f64 and divides in f64 like the reference, by the taps inside the padded input
 *   (count_include_pad) or inside the input; a window with no tap gives 0.
 */

export type PoolMode = 'max' | 'avg' | 'avg-pad';

/** Parameters: x, y, and (indices !== null) the i64 Indices output. */
export function buildPoolNd(fn: FunctionBuilder, p: PoolNdPlan, mode: PoolMode, indices: 'row' | 'column' | null): Expr {
  const m = fn.m;
  const [D, H, W] = p.dims as [number, number, number];
  const inVol = D * H * W;
  const [plane, valid, padded, at, inPlane, out, idxOut] = Array.from({ length: 7 }, () => fn.i32Local());
  const outer = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const k = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const coord = [fn.i32Local(), fn.i32Local(), fn.i32Local()];
  const max = mode === 'max';
  const accF = fn.f32Local();
  const accD = fn.local(binaryen.f64);
  const x = fn.f32Local();
  const within = (v: Local, lo: number, hi: number) => m.i32.and(m.i32.ge_s(v.get(), fn.i32(lo)), m.i32.lt_s(v.get(), fn.i32(hi)));
  const inside = (lo: (a: number) => number, hi: (a: number) => number) =>
    m.i32.and(m.i32.and(within(coord[0]!, lo(0), hi(0)), within(coord[1]!, lo(1), hi(1))), within(coord[2]!, lo(2), hi(2)));
  const flat = m.i32.add(fn.mulConst(m.i32.add(fn.mulConst(coord[0]!.get(), H), coord[1]!.get()), W), coord[2]!.get());
  const columnFlat = () => m.i32.add(m.i32.add(coord[0]!.get(), fn.mulConst(coord[1]!.get(), D)), fn.mulConst(coord[2]!.get(), D * H));
  // The best tap's position in its plane, for Indices.
  const best = fn.i32Local();
  const take: Expr[] = [accF.set(x.get())];
  if (indices) take.push(best.set(indices === 'column' ? columnFlat() : at.get()));
  const combine = max
    ? m.if(m.i32.or(m.i32.eqz(valid.get()), m.f32.lt(accF.get(), x.get())), fn.block(take))
    : accD.set(m.f64.add(accD.get(), m.f64.promote(x.get())));
  const tap = fn.block([
    coord[2]!.set(m.i32.add(fn.addConst(fn.mulConst(outer[2]!.get(), p.strides[2]!), -p.padBegin[2]!), fn.mulConst(k[2]!.get(), p.dilations[2]!))),
    ...(mode === 'avg-pad' ? [m.if(inside((a) => -p.padBegin[a]!, (a) => p.dims[a]! + p.padEnd[a]!), padded.set(fn.addConst(padded.get(), 1)))] : []),
    m.if(
      inside(() => 0, (a) => p.dims[a]!),
      fn.block([
        at.set(flat),
        x.set(fn.loadF(m.i32.add(inPlane.get(), fn.mulConst(at.get(), 4)))),
        combine,
        valid.set(fn.addConst(valid.get(), 1)),
      ]),
    ),
  ]);
  const window = fn.for(k[0]!, 0, p.kernel[0]!, 1, [
    coord[0]!.set(m.i32.add(fn.addConst(fn.mulConst(outer[0]!.get(), p.strides[0]!), -p.padBegin[0]!), fn.mulConst(k[0]!.get(), p.dilations[0]!))),
    fn.for(k[1]!, 0, p.kernel[1]!, 1, [
      coord[1]!.set(m.i32.add(fn.addConst(fn.mulConst(outer[1]!.get(), p.strides[1]!), -p.padBegin[1]!), fn.mulConst(k[1]!.get(), p.dilations[1]!))),
      fn.for(k[2]!, 0, p.kernel[2]!, 1, [tap]),
    ]),
  ]);
  const divisor = m.f64.convert_s.i32(mode === 'avg-pad' ? padded.get() : valid.get());
  const value = max
    ? m.select(m.i32.eqz(valid.get()), fn.f32(-Infinity), accF.get())
    : m.select(m.i32.eqz(valid.get()), fn.f32(0), m.f32.demote(m.f64.div(accD.get(), divisor)));
  const store: Expr[] = [fn.storeF(out.get(), value), out.set(fn.addConst(out.get(), 4))];
  if (indices) {
    const position = m.select(m.i32.eqz(valid.get()), fn.i32(-1), best.get());
    store.push(fn.storeI64(idxOut.get(), m.i64.extend_s(m.i32.add(fn.mulConst(plane.get(), inVol), position))), idxOut.set(fn.addConst(idxOut.get(), 8)));
  }
  const output = fn.block([accF.set(fn.f32(0)), accD.set(m.f64.const(0)), valid.set(fn.i32(0)), padded.set(fn.i32(0)), window, ...store]);
  return fn.block([
    out.set(fn.param(1)),
    ...(indices ? [idxOut.set(fn.param(2))] : []),
    fn.for(plane, 0, p.planes, 1, [
      inPlane.set(m.i32.add(fn.param(0), fn.mulConst(plane.get(), inVol * 4))),
      fn.for(outer[0]!, 0, p.out[0]!, 1, [fn.for(outer[1]!, 0, p.out[1]!, 1, [fn.for(outer[2]!, 0, p.out[2]!, 1, [output])])]),
    ]),
  ]);
}
