import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../compiler/io/random.js';
import { quantizeModel, syntheticInputs } from '../../compiler/quantize/index.js';
import { parseGraph, verifyGraph, type Graph, type Tensor } from '../../ir/index.js';
import { runGraph, type Feeds } from '../../targets/reference/index.js';

/**
 * A 1x1 convolution over a Relu (inputs with a positive mean) whose weights have one large value per output
 * channel, so that the int8 step is coarse for the others and their rounding errors, times the input mean, add
 * up to a visible offset per channel: what bias correction is for.
 */
function offsetProne(): Graph {
  const r = seededRandom(7);
  const weights: string[] = [];
  for (let m = 0; m < 4; m++) for (let c = 0; c < 32; c++) weights.push((c === m ? 1 : (r() - 0.5) * 0.03).toFixed(5));
  return parseGraph(`graph @offsets(%input: f32[1,32,6,6]) {
  %w = const f32[4,32,1,1] [${weights.join(', ')}]
  %b = const f32[4] [0.1, -0.1, 0.05, 0.0]
  %r = Relu(%input) : f32[1,32,6,6]
  %output = Conv(%r, %w, %b) : f32[1,4,6,6] @conv
  return %output
}
`);
}

/** Mean over inputs and positions of (int8 - float) per output channel. */
function channelOffsets(float: Graph, int8: Graph, inputs: readonly Feeds[]): number[] {
  const sums = [0, 0, 0, 0];
  let count = 0;
  for (const feeds of inputs) {
    const a = runGraph(float, feeds)['output']!.data as Float32Array;
    const b = runGraph(int8, feeds)['output']!.data as Float32Array;
    for (let i = 0; i < a.length; i++) sums[Math.floor(i / 36)]! += b[i]! - a[i]!;
    count += 36;
  }
  return sums.map((s) => s / count);
}

const maxAbs = (xs: number[]) => Math.max(...xs.map(Math.abs));

describe('bias correction', () => {
  const calibration = syntheticInputs(offsetProne(), 16);
  const heldApart = syntheticInputs(offsetProne(), 16, 4242);

  it('removes the per-channel output offset that weight rounding leaves, on inputs calibration never saw', () => {
    const plain = quantizeModel(offsetProne(), { calibration, method: 'minmax', biasCorrection: 0 });
    const corrected = quantizeModel(offsetProne(), { calibration, method: 'minmax' });
    verifyGraph(corrected.int8);
    const before = maxAbs(channelOffsets(plain.float, plain.int8, heldApart));
    const after = maxAbs(channelOffsets(corrected.float, corrected.int8, heldApart));
    expect(before).toBeGreaterThan(3e-3);
    expect(after).toBeLessThan(before / 3);
  });

  it('takes a whole number of calibration inputs, 0 for off', () => {
    const bad = () => quantizeModel(offsetProne(), { calibration, method: 'minmax', biasCorrection: -1 });
    expect(bad).toThrow(/whole number of calibration inputs/);
  });

  it('changes the int32 bias and nothing else', () => {
    const plain = quantizeModel(offsetProne(), { calibration, method: 'minmax', biasCorrection: 0 });
    const corrected = quantizeModel(offsetProne(), { calibration, method: 'minmax' });
    const constants = (g: Graph) => new Map(g.constants.map((c) => [c.name, c.data as Tensor]));
    const a = constants(plain.qdq);
    const b = constants(corrected.qdq);
    expect([...b.keys()]).toEqual([...a.keys()]);
    const changed = [...a.keys()].filter((k) => a.get(k)!.data.some((x, i) => x !== b.get(k)!.data[i]));
    expect(changed).toEqual(['b_q']);
    expect(b.get('b_q')!.dtype).toBe('i32');
  });
});

describe('graph outputs of linear layers keep the accumulator precision', () => {
  it('dequantizes the int32 accumulator instead of requantizing the result to 8 bits', () => {
    const float = offsetProne();
    const q = quantizeModel(float, { calibration: syntheticInputs(float, 8), method: 'minmax' });
    expect(q.int8.nodes.map((n) => n.op)).toEqual(['Relu', 'QuantizeF32', 'QConv', 'DequantizeF32', 'Mul']);
    expect(q.int8.nodes[2]!.attrs['dtype']).toBe('i32');
    // The integer layer computes exactly what the QDQ form's float Conv computes on the dequantized operands:
    // agreement far below the 8-bit output step (range / 255) that a requantized output would have.
    const step = q.float.outputs[0]!.quant!.scale[0]!;
    let worst = 0;
    for (const feeds of syntheticInputs(float, 4, 99)) {
      const a = runGraph(q.qdq, feeds)['output']!.data as Float32Array;
      const b = runGraph(q.int8, feeds)['output']!.data as Float32Array;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    }
    expect(worst).toBeLessThan(step / 100);
  });
});
