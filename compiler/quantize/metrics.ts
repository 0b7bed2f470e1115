import type { Tensor } from '../../ir/index.js';

/** Accuracy measures of a quantized model against its float original. */

/** Sums of signal and noise energy, accumulated over tensors so an SNR can cover many inputs. */
export class SnrAccumulator {
  signal = 0;
  noise = 0;

  add(reference: ArrayLike<number>, actual: ArrayLike<number>): void {
    for (let i = 0; i < reference.length; i++) {
      const r = reference[i]!;
      const d = r - actual[i]!;
      this.signal += r * r;
      this.noise += d * d;
    }
  }

  /** 10 log10(signal / noise) in dB; Infinity when the two agree exactly. */
  get db(): number {
    if (this.noise === 0) return Infinity;
    return 10 * Math.log10(this.signal / this.noise);
  }
}

export function snrDb(reference: ArrayLike<number>, actual: ArrayLike<number>): number {
  const acc = new SnrAccumulator();
  acc.add(reference, actual);
  return acc.db;
}

export function argmax(data: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return best;
}

/** The float values of a tensor read with its quantization (real = (q - zp) * scale), or as stored when it has none. */
export function realValues(t: Tensor, quant?: { scale: number[]; zeroPoint: number[] }): Float64Array {
  const out = new Float64Array(t.data.length);
  const src = t.data as ArrayLike<number>;
  if (!quant) {
    for (let i = 0; i < out.length; i++) out[i] = Number(src[i]);
    return out;
  }
  const s = quant.scale[0]!;
  const z = quant.zeroPoint[0]!;
  for (let i = 0; i < out.length; i++) out[i] = (Number(src[i]) - z) * s;
  return out;
}
