import { describe, expect, it } from 'vitest';
import { randomTensor, seededRandom } from '../../compiler/io/random.js';
import { GraphBuilder, type Attributes, type Graph } from '../../ir/index.js';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { convGeometry, type ConvGeometry } from '../../targets/shared/conv-geometry.js';
import { isDepthwise } from '../../targets/wasm/kernels/depthwise.js';
import { useWinograd } from '../../targets/wasm/kernels/winograd.js';
import { modelPath } from '../support/shared.js';
import { expectWasmMatchesReference } from './harness.js';

interface ConvCase {
  x: number[];
  w: number[];
  attrs?: Attributes;
  bias?: boolean;
  /** Residual operand Z (FusedConv). */
  z?: boolean;
  activation?: string;
  params?: number[];
  /** W as a graph input instead of a constant. */
  wInput?: boolean;
}

function convGraph(c: ConvCase): () => Graph {
  return () => {
    const random = seededRandom(7);
    const b = new GraphBuilder('conv');
    const x = b.input('x', { dtype: 'f32', shape: c.x });
    const w = c.wInput ? b.input('w', { dtype: 'f32', shape: c.w }) : b.constant('w', randomTensor('f32', c.w, random));
    const bias = c.bias ? b.constant('bias', randomTensor('f32', [c.w[0]!], random)) : null;
    const fused = c.z || c.activation;
    if (!fused) {
      b.output(b.op('Conv', [x, w, bias], c.attrs ?? {}, 'y'));
      return b.build();
    }
    // Z has the output's shape: take it from a plain Conv of the same geometry.
    let z = null;
    if (c.z) {
      const probe = new GraphBuilder('probe');
      const px = probe.input('x', { dtype: 'f32', shape: c.x });
      const pw = probe.input('w', { dtype: 'f32', shape: c.w });
      const shape = probe.op('Conv', [px, pw, null], c.attrs ?? {}, 'y').type.shape as number[];
      z = b.input('z', { dtype: 'f32', shape });
    }
    const attrs = { ...(c.attrs ?? {}), activation: c.activation ?? 'None', activation_params: c.params ?? [] };
    b.output(b.op('FusedConv', [x, w, bias, z], attrs, 'y'));
    return b.build();
  };
}

async function check(c: ConvCase, winograd = true, tolerance = 1e-5) {
  return expectWasmMatchesReference(convGraph(c), { wasm: { winograd }, tolerance });
}

describe('wasm conv: GEMM path', () => {
  it('1x1 stride-1 convolutions read the input directly (odd sizes, tails in M and N)', async () => {
    await check({ x: [1, 8, 4, 4], w: [16, 8, 1, 1] });
    await check({ x: [1, 5, 3, 7], w: [7, 5, 1, 1], bias: true });
    await check({ x: [2, 3, 5, 5], w: [9, 3, 1, 1], bias: true });
  });

  it('3x3 with padding, strides and odd output sizes (im2col)', async () => {
    await check({ x: [1, 3, 9, 11], w: [5, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true }, false);
    await check({ x: [1, 4, 10, 9], w: [6, 4, 3, 3], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } }, false);
    await check({ x: [2, 2, 7, 7], w: [3, 2, 3, 3] }, false);
  });

  it('asymmetric pads, auto_pad, dilation and rectangular kernels', async () => {
    await check({ x: [1, 3, 8, 9], w: [4, 3, 2, 3], attrs: { pads: [0, 2, 1, 0] }, bias: true });
    await check({ x: [1, 3, 9, 9], w: [4, 3, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } });
    await check({ x: [1, 3, 9, 8], w: [4, 3, 3, 3], attrs: { auto_pad: 'SAME_LOWER' } }, false);
    await check({ x: [1, 2, 11, 12], w: [5, 2, 3, 3], attrs: { dilations: [2, 3], pads: [2, 3, 2, 3] } });
    await check({ x: [1, 1, 12, 12], w: [2, 1, 5, 5], attrs: { strides: [3, 2], pads: [2, 2, 1, 1] } });
  });

  it('7x7 stride-2 stem and 1x1 stride-2 downsample', async () => {
    await check({ x: [1, 3, 20, 20], w: [8, 3, 7, 7], attrs: { strides: [2, 2], pads: [3, 3, 3, 3] }, bias: true });
    await check({ x: [1, 8, 9, 9], w: [12, 8, 1, 1], attrs: { strides: [2, 2] } });
  });

  it('grouped convolutions that are not depthwise', async () => {
    await check({ x: [1, 8, 6, 6], w: [12, 2, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] }, bias: true });
    await check({ x: [2, 6, 5, 5], w: [4, 3, 1, 1], attrs: { group: 2 } });
  });

  it('1-D convolutions', async () => {
    await check({ x: [1, 4, 17], w: [6, 4, 3], attrs: { pads: [1, 1] }, bias: true });
    await check({ x: [2, 3, 20], w: [5, 3, 5], attrs: { strides: [2], dilations: [2] } });
  });

  it('weights that are not constant', async () => {
    await check({ x: [1, 3, 6, 6], w: [5, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] }, wInput: true }, false);
    await check({ x: [1, 6, 5, 5], w: [6, 3, 1, 1], attrs: { group: 2 }, wInput: true });
  });

  it('long K runs in several blocks accumulating in C', async () => {
    await check({ x: [1, 130, 5, 5], w: [9, 130, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true, z: true, activation: 'Relu' }, false);
    await check({ x: [1, 1100, 3, 3], w: [6, 1100, 1, 1], bias: true }, false);
  });
});

describe('wasm conv: depthwise', () => {
  it('3x3 stride 1 and 2, pads, odd widths (tails), batch 2', async () => {
    await check({ x: [1, 8, 9, 9], w: [8, 1, 3, 3], attrs: { group: 8, pads: [1, 1, 1, 1] }, bias: true });
    await check({ x: [2, 5, 10, 7], w: [5, 1, 3, 3], attrs: { group: 5, pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true });
    await check({ x: [1, 4, 11, 13], w: [4, 1, 3, 3], attrs: { group: 4, strides: [2, 2] } });
    await check({ x: [1, 3, 6, 3], w: [3, 1, 3, 3], attrs: { group: 3, pads: [1, 1, 1, 1] } });
  });

  it('general kernels, strides, dilation and asymmetric pads', async () => {
    await check({ x: [1, 6, 12, 14], w: [6, 1, 5, 5], attrs: { group: 6, pads: [2, 2, 2, 2] }, bias: true });
    await check({ x: [1, 4, 13, 17], w: [4, 1, 3, 3], attrs: { group: 4, strides: [3, 3], pads: [0, 1, 2, 0] } });
    await check({ x: [1, 4, 12, 12], w: [4, 1, 3, 3], attrs: { group: 4, dilations: [2, 2], pads: [2, 2, 2, 2] } });
    await check({ x: [1, 3, 8, 9], w: [3, 1, 7, 1], attrs: { group: 3, pads: [3, 0, 3, 0] } });
    await check({ x: [1, 6, 20], w: [6, 1, 5], attrs: { group: 6, pads: [2, 2], strides: [2] } });
  });

  it('fused residual and activations', async () => {
    await check({ x: [1, 8, 7, 7], w: [8, 1, 3, 3], attrs: { group: 8, pads: [1, 1, 1, 1] }, bias: true, z: true, activation: 'Clip', params: [0, 6] });
    await check({ x: [1, 8, 8, 8], w: [8, 1, 3, 3], attrs: { group: 8, pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true, activation: 'HardSwish' });
  });

  it('channel multiplier > 1 runs as a grouped GEMM', async () => {
    await check({ x: [1, 4, 6, 6], w: [8, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] }, bias: true });
  });
});

describe('wasm conv: Winograd', () => {
  const WINOGRAD_TOLERANCE = 1e-4;
  it('F(2x2,3x3) on small outputs: odd sizes, pads 0/1/2, batch 2', async () => {
    const cases: ConvCase[] = [
      { x: [1, 16, 7, 7], w: [16, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true },
      { x: [2, 17, 9, 6], w: [19, 17, 3, 3], attrs: { pads: [0, 0, 0, 0] } },
      { x: [1, 16, 5, 8], w: [20, 16, 3, 3], attrs: { pads: [2, 1, 0, 2] }, bias: true },
    ];
    for (const c of cases) {
      const { error } = await check(c, true, WINOGRAD_TOLERANCE);
      expect(error).toBeLessThan(1e-5);
    }
  });

  it('F(4x4,3x3) on larger outputs, several tile-row blocks, residual and activation', async () => {
    const cases: ConvCase[] = [
      { x: [1, 16, 14, 14], w: [16, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true },
      { x: [1, 17, 15, 13], w: [18, 17, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true, z: true, activation: 'Relu' },
      // 64 channels on 56x56 take two blocks of tile rows (8 + 6).
      { x: [1, 64, 56, 56], w: [64, 64, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true, z: true, activation: 'Clip', params: [0, 6] },
      { x: [2, 16, 16, 18], w: [16, 16, 3, 3], attrs: { auto_pad: 'VALID' }, activation: 'SiLU' },
    ];
    for (const c of cases) {
      await check(c, true, WINOGRAD_TOLERANCE);
    }
  });

  it('falls back to the GEMM path when the weights are not constant', async () => {
    await check({ x: [1, 16, 8, 8], w: [16, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] }, wInput: true });
  });

  it('is off when options.winograd is false (same results through the GEMM path)', async () => {
    const c = { x: [1, 16, 12, 12], w: [16, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] } };
    const on = await check(c, true, WINOGRAD_TOLERANCE);
    const off = await check(c, false);
    expect(on.artifact.bytes.length).not.toBe(off.artifact.bytes.length);
  });
});

describe('wasm conv: fused epilogue', () => {
  const base = { x: [1, 6, 7, 7], w: [10, 6, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true };
  for (const [activation, params] of [
    ['Relu', []],
    ['Clip', [0, 6]],
    ['Clip', [-Infinity, 0.5]],
    ['LeakyRelu', [0.1]],
    ['HardSigmoid', [0.2, 0.5]],
    ['HardSwish', []],
    ['Sigmoid', []],
    ['SiLU', []],
    ['Tanh', []],
    ['Gelu', []],
    ['GeluTanh', []],
  ] as [string, number[]][]) {
    it(`${activation}(${params.join(',')}) with residual Z`, async () => {
      await check({ ...base, z: true, activation, params }, false);
      await check({ ...base, x: [1, 6, 5, 9], w: [10, 6, 1, 1], attrs: {}, z: true, activation, params });
    });
  }

  it('residual without bias or activation', async () => {
    await check({ x: [1, 5, 6, 6], w: [7, 5, 1, 1], z: true });
  });

  it('rejects unsupported nodes with a reason', async () => {
    const { unsupportedByWasm } = await import('../../targets/wasm/index.js');
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [1, 1, 4, 4, 4, 4] });
    const w = b.constant('w', randomTensor('f32', [1, 1, 1, 1, 1, 1], seededRandom(1)));
    b.output(b.op('Conv', [x, w, null], {}, 'y'));
    expect(unsupportedByWasm(b.build())[0]?.reason).toMatch(/only 1-D, 2-D and 3-D convolutions/);
  });
});

describe('wasm conv: the real layers of resnet18 and mobilenet_v2', () => {
  /** Each distinct Conv of a model as a one-node graph with the layer's own weights and bias. */
  function distinctLayers(model: 'resnet18' | 'mobilenet_v2'): { label: string; build: () => Graph; winograd: boolean }[] {
    const graph = importOnnxFile(modelPath(model));
    const seen = new Set<string>();
    const layers: { label: string; build: () => Graph; winograd: boolean }[] = [];
    for (const node of graph.nodes) {
      if (node.op !== 'Conv') continue;
      const key = JSON.stringify([node.inputs[0]!.type.shape, node.inputs[1]!.type.shape, node.attrs]);
      if (seen.has(key)) continue;
      seen.add(key);
      const geometry = convGeometry(node) as ConvGeometry;
      const build = () => {
        const b = new GraphBuilder('layer');
        const [x, w, bias] = node.inputs;
        const inputs = [b.input('x', x!.type), b.constant('w', w!.data!), bias ? b.constant('b', bias.data!) : null];
        b.output(b.op('Conv', inputs, node.attrs, 'y'));
        return b.build();
      };
      layers.push({ label: `${model} ${node.label}`, build, winograd: useWinograd(geometry) && !isDepthwise(geometry) });
    }
    return layers;
  }

  for (const model of ['resnet18', 'mobilenet_v2'] as const) {
    it(`every distinct ${model} conv layer matches the reference`, async () => {
      const worst = { winograd: 0, other: 0 };
      for (const layer of distinctLayers(model)) {
        const { error } = await expectWasmMatchesReference(layer.build, { tolerance: layer.winograd ? 1e-4 : 1e-5 });
        const k = layer.winograd ? 'winograd' : 'other';
        worst[k] = Math.max(worst[k], error);
      }
      // Winograd (F(4x4) on the larger maps) stays well inside 1e-4 on resnet18 (measured 1.1e-5).
      expect(worst.winograd).toBeLessThan(2e-5);
      console.log(`${model}: worst relative error ${worst.other.toExponential(1)} (GEMM/depthwise), ${worst.winograd.toExponential(1)} (Winograd)`);
    }, 300_000);
  }
});
