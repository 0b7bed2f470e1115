import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOnnx, importOnnxFile } from '../../../compiler/onnx/index.js';
import { EdgecError } from '../../../ir/index.js';
import { makeModel, node, T } from './make-model.js';

/** External data is untrusted: it must stay inside the model's folder and within the data file's bounds. */

let root: string;
let modelDir: string;

const weights = new Float32Array([1, 2, 3, 4, 5, 6]);

function externalModel(location: string, extra: Record<string, string> = {}, dims = [2, 3]): Uint8Array {
  const entries = { location, ...extra };
  return makeModel({
    inputs: [{ name: 'x', shape: dims }],
    outputs: ['y'],
    initializers: [
      {
        name: 'w',
        dims,
        dataType: T.FLOAT,
        dataLocation: 1,
        externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
      },
    ],
    nodes: [node('Add', ['x', 'w'], ['y'])],
  });
}

/** Writes the model into the model folder and imports it from there. */
function importFrom(bytes: Uint8Array, name = 'model.onnx') {
  const file = join(modelDir, name);
  writeFileSync(file, bytes);
  return importOnnxFile(file);
}

function errorOf(fn: () => unknown): EdgecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecError);
    return e as EdgecError;
  }
  throw new Error('expected an EdgecError');
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'edgec-extdata-'));
  modelDir = join(root, 'model');
  mkdirSync(join(modelDir, 'sub'), { recursive: true });
  // 8 bytes of padding, then the weights: exercises offset.
  const padded = new Uint8Array(8 + weights.byteLength);
  padded.set(new Uint8Array(weights.buffer), 8);
  writeFileSync(join(modelDir, 'weights.bin'), padded);
  writeFileSync(join(modelDir, 'sub', 'w.bin'), new Uint8Array(weights.buffer));
  writeFileSync(join(root, 'outside.bin'), new Uint8Array(weights.buffer));
  symlinkSync(join(root, 'outside.bin'), join(modelDir, 'link.bin'));
  symlinkSync(join(modelDir, 'sub', 'w.bin'), join(modelDir, 'inner-link.bin'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('external data', () => {
  it('reads data at an offset from a file next to the model', () => {
    const g = importFrom(externalModel('weights.bin', { offset: '8', length: String(weights.byteLength) }));
    const w = g.constants.find((c) => c.name === 'w')!;
    expect(Array.from(w.data!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads a whole file in a subfolder when offset and length are omitted', () => {
    const g = importFrom(externalModel('sub/w.bin'));
    expect(Array.from(g.constants[0]!.data!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("refuses '../' escapes, naming the tensor and the path", () => {
    const e = errorOf(() => importFrom(externalModel('../outside.bin')));
    expect(e.code).toBe('ONNX_EXTERNAL_DATA');
    expect(e.message).toContain("'w'");
    expect(e.message).toContain('../outside.bin');
    expect(errorOf(() => importFrom(externalModel('sub/../../outside.bin'))).code).toBe('ONNX_EXTERNAL_DATA');
  });

  it('refuses absolute paths', () => {
    const e = errorOf(() => importFrom(externalModel(join(root, 'outside.bin'))));
    expect(e.code).toBe('ONNX_EXTERNAL_DATA');
    expect(e.message).toContain('absolute');
  });

  it('refuses symlinks, even ones pointing inside the folder', () => {
    expect(errorOf(() => importFrom(externalModel('link.bin'))).code).toBe('ONNX_EXTERNAL_DATA');
    const e = errorOf(() => importFrom(externalModel('inner-link.bin')));
    expect(e.code).toBe('ONNX_EXTERNAL_DATA');
    expect(e.message).toContain('symbolic link');
  });

  it('refuses out-of-range offsets and lengths that do not match the tensor', () => {
    const beyond = errorOf(() => importFrom(externalModel('weights.bin', { offset: '16', length: '24' })));
    expect(beyond.code).toBe('ONNX_EXTERNAL_DATA');
    expect(beyond.message).toContain('beyond the end');
    expect(errorOf(() => importFrom(externalModel('weights.bin', { offset: '1000' }))).code).toBe('ONNX_EXTERNAL_DATA');
    expect(errorOf(() => importFrom(externalModel('weights.bin', { offset: '0', length: '16' }))).code).toBe('ONNX_EXTERNAL_DATA');
    expect(errorOf(() => importFrom(externalModel('weights.bin', { offset: '-4' }))).code).toBe('ONNX_EXTERNAL_DATA');
  });

  it('refuses a missing data file', () => {
    expect(errorOf(() => importFrom(externalModel('missing.bin'))).code).toBe('ONNX_EXTERNAL_DATA');
  });

  it('needs the model path to resolve external data', () => {
    const e = errorOf(() => importOnnx(externalModel('weights.bin')));
    expect(e.code).toBe('ONNX_EXTERNAL_DATA');
    expect(e.message).toContain('path');
  });
});
