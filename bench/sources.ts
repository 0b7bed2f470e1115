import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { seededRandom } from '../compiler/io/random.js';
import { attr, makeModel, node, rawF32, typedI64 } from '../tests/compiler/onnx/make-model.js';
import { modelPath, SHARED_MODELS } from '../tests/support/shared.js';

/**
 * Where benchmark models come from: the four shared models by name, any .onnx file by path, or small synthetic
 * models (ONNX bytes made here) that exercise the harness before full models compile for a target.
 */
export interface ModelSource {
  name: string;
  bytes: Uint8Array;
}

const random = seededRandom(7);
const weights = (n: number, scale: number) => Array.from({ length: n }, () => (random() * 2 - 1) * scale);

/** Synthetic models by name: what each shows. */
export const SYNTHETIC: Readonly<Record<string, { doc: string; make: () => Uint8Array }>> = {
  'syn-conv': {
    doc: 'Conv 3x3 16->32 on 56x56 (pads 1) + Relu + GlobalAveragePool',
    make: () =>
      makeModel({
        inputs: [{ name: 'x', shape: [1, 16, 56, 56] }],
        outputs: ['y'],
        initializers: [rawF32('w', [32, 16, 3, 3], weights(32 * 16 * 9, 0.1)), rawF32('b', [32], weights(32, 0.1))],
        nodes: [
          node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: attr.ints(3, 3), pads: attr.ints(1, 1, 1, 1) }),
          node('Relu', ['c'], ['r']),
          node('GlobalAveragePool', ['r'], ['y']),
        ],
      }),
  },
  'syn-reshape': {
    doc: 'a lone Reshape of a 1x3x224x224 input (view kernels only: the harness check that compiles today)',
    make: () =>
      makeModel({
        inputs: [{ name: 'x', shape: [1, 3, 224, 224] }],
        outputs: ['y'],
        initializers: [typedI64('shape', [3], [1, 3, 224 * 224])],
        nodes: [node('Reshape', ['x', 'shape'], ['y'])],
      }),
  },
};

export const DEFAULT_MODELS: readonly string[] = SHARED_MODELS;

export function resolveModel(spec: string): ModelSource {
  if ((SHARED_MODELS as readonly string[]).includes(spec)) {
    return { name: spec, bytes: readFileSync(modelPath(spec as (typeof SHARED_MODELS)[number])) };
  }
  const synthetic = SYNTHETIC[spec];
  if (synthetic) return { name: spec, bytes: synthetic.make() };
  if (spec.endsWith('.onnx') && existsSync(spec)) return { name: basename(spec, '.onnx'), bytes: readFileSync(spec) };
  const known = [...SHARED_MODELS, ...Object.keys(SYNTHETIC)].join(', ');
  throw new Error(`unknown model '${spec}': use one of ${known}, or a path to an .onnx file`);
}
