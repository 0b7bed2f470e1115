import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { compileModel, encodeNpy, importOnnxFile, readProvenance, resolveFileBindings } from '../../../compiler/index.js';
import { targetEntry } from '../../../compiler/targets/registry.js';
import { EdgecError, isStaticShape, makeTensor, type Tensor } from '../../../ir/index.js';
import { runGraph } from '../../../targets/reference/index.js';
import { ortSession, runOrt } from '../../support/ort.js';
import { makeModel, node, T } from './make-model.js';

/** Input binding: graph inputs fixed to constants at import (`--bind`), so what depends on them folds away. */

/** The build options a sealed artifact records. */
function sealedOptions(bytes: Uint8Array): Record<string, unknown> {
  const statement = readProvenance(bytes).provenance as unknown as { predicate: { buildDefinition: { externalParameters: { options: Record<string, unknown> } } } };
  return statement.predicate.buildDefinition.externalParameters.options;
}

const dir = mkdtempSync(join(tmpdir(), 'edgec-bind-'));
const at = (name: string) => join(dir, name);

/** y = Reshape(x, shape) * scale, with rows symbolic: the shape and the scale are inputs. */
function writeReshapeModel(): string {
  const path = at('reshape.onnx');
  writeFileSync(
    path,
    makeModel({
      inputs: [
        { name: 'x', shape: ['rows', 6] },
        { name: 'shape', elemType: T.INT64, shape: [2] },
        { name: 'scale', shape: [] },
        { name: 'small', elemType: T.INT32, shape: [] },
        { name: 'flags', elemType: T.BOOL, shape: ['n'] },
      ],
      outputs: ['y'],
      nodes: [node('Reshape', ['x', 'shape'], ['r']), node('Mul', ['r', 'scale'], ['y'])],
    }),
  );
  return path;
}
const MODEL = writeReshapeModel();

function codeOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof EdgecError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected an EdgecError');
}

describe('input binding', () => {
  it('makes a bound input a constant: the shape it gives folds, the input is gone', () => {
    const graph = importOnnxFile(MODEL, { bind: { shape: '3,4', scale: 2, small: '7', flags: 'true,0' }, inputShapes: { x: [2, 6] } });
    expect(graph.inputs.map((v) => v.name)).toEqual(['x']);
    expect(graph.outputs[0]!.type.shape).toEqual([3, 4]);
    expect(isStaticShape(graph.outputs[0]!.type.shape)).toBe(true);
  });

  it('compiles a Reshape whose shape is bound for wasm, matching the reference and onnxruntime-node', async () => {
    const bind = { shape: '4,3', scale: '0.5', small: '1', flags: '1' };
    const compiled = compileModel(MODEL, { target: 'wasm', bind, inputShapes: { x: [2, 6] } });
    const x = makeTensor('f32', [2, 6], Float32Array.from({ length: 12 }, (_, i) => i - 5.5));
    const entry = targetEntry('wasm');
    const session = await entry.session({ vlen: 256 });
    let actual: Record<string, Tensor>;
    try {
      const artifact = await session.open(compiled.bytes, { graph: compiled.graph });
      expect(artifact.inputs.map((i) => i.name)).toEqual(['x']);
      actual = await artifact.run({ x });
      artifact.close();
    } finally {
      session.close();
    }
    const bound = resolveFileBindings(MODEL, bind);
    const reference = runGraph(importOnnxFile(MODEL, { inputShapes: { x: [2, 6] } }), { x, ...Object.fromEntries(bound) });
    const ort = await runOrt(await ortSession(MODEL), { x, ...Object.fromEntries(bound) });
    expect(actual.y!.shape).toEqual([4, 3]);
    expect(Array.from(actual.y!.data as Float32Array)).toEqual(Array.from(reference.y!.data as Float32Array));
    expect(Array.from(actual.y!.data as Float32Array)).toEqual(Array.from(ort.y!.data as Float32Array));
  });

  it('records the binding in the seal, and nothing when no input is bound', () => {
    vi.stubEnv('SOURCE_DATE_EPOCH', '1735689600');
    const sealed = compileModel(MODEL, { target: 'wasm', bind: { shape: '3,4', scale: '2', small: '-3', flags: 'false' }, inputShapes: { x: [2, 6] } });
    const options = sealedOptions(sealed.bytes);
    expect(options['bind']).toEqual({
      flags: { dtype: 'bool', shape: [1], values: [0] },
      scale: { dtype: 'f32', shape: [], values: [2] },
      shape: { dtype: 'i64', shape: [2], values: [3, 4] },
      small: { dtype: 'i32', shape: [], values: [-3] },
    });
    const npy = at('shape.npy');
    writeFileSync(npy, encodeNpy(makeTensor('i64', [2], [3n, 4n])));
    const fromFile = compileModel(MODEL, { target: 'wasm', bind: { shape: npy, scale: '2.0', small: '-3', flags: '0' }, inputShapes: { x: [2, 6] } });
    // The same values give the same artifact, however they were spelled (no path is recorded).
    expect(Buffer.from(fromFile.bytes).equals(Buffer.from(sealed.bytes))).toBe(true);
    const plain = compileModel(at('plain.onnx'), { target: 'wasm' });
    expect(sealedOptions(plain.bytes)).not.toHaveProperty('bind');
    vi.unstubAllEnvs();
  });

  it('takes symbolic dims from a bound .npy, pinning them in other inputs', () => {
    const npy = at('flags.npy');
    writeFileSync(npy, encodeNpy(makeTensor('bool', [5], [1, 0, 1, 0, 1])));
    const graph = importOnnxFile(MODEL, { bind: { flags: npy, shape: '3,4' }, inputShapes: { x: [2, 6] } });
    expect(graph.inputs.map((v) => v.name)).toEqual(['x', 'scale', 'small']);
  });

  it('names the input and lists the inputs when the name is not one', () => {
    const e = codeOf(() => importOnnxFile(MODEL, { bind: { rate: '16000' } }));
    expect(e.code).toBe('USAGE');
    expect(e.message).toMatch(/cannot bind 'rate': the model has no input of that name \(inputs: 'x' f32\[rows,6\], 'shape' i64\[2\], 'scale' f32\[\], 'small' i32\[\], 'flags' bool\[n\]\)/);
  });

  it('refuses a value of the wrong element type or out of its range, naming the input', () => {
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { shape: '1.5,8' } }))).toMatchObject({ code: 'TYPE_MISMATCH', message: expect.stringMatching(/input 'shape' \(i64\[2\]\) is i64: '1\.5' is not an integer/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { small: '2147483648' } }))).toMatchObject({ code: 'TYPE_MISMATCH', message: expect.stringMatching(/input 'small' .*2147483648 is out of the range of i32/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { shape: '9223372036854775808,1' } })).code).toBe('TYPE_MISMATCH');
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { scale: 'fast' } }))).toMatchObject({ code: 'TYPE_MISMATCH', message: expect.stringMatching(/input 'scale'.*'fast' is not a number/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { scale: '1e39' } })).code).toBe('TYPE_MISMATCH');
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { flags: 'yes' } })).code).toBe('TYPE_MISMATCH');
    const npy = at('f32-shape.npy');
    writeFileSync(npy, encodeNpy(makeTensor('f32', [2], [3, 4])));
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { shape: npy } }))).toMatchObject({ code: 'TYPE_MISMATCH', message: expect.stringMatching(/input 'shape' .* is bound to .*f32-shape\.npy of type f32\[2\]; the input's element type is i64/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { shape: makeTensor('i32', [2], [3, 4]) } })).code).toBe('TYPE_MISMATCH');
  });

  it('refuses a value of the wrong shape, naming the input', () => {
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { shape: '1,2,3' } }))).toMatchObject({ code: 'BAD_SHAPE', message: expect.stringMatching(/input 'shape' \(i64\[2\]\) holds 2 values, but 3 were given/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { scale: '1,2' } }))).toMatchObject({ code: 'BAD_SHAPE', message: expect.stringMatching(/input 'scale' \(f32\[\]\) is a scalar, but 2 values were given/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { x: '1,2' } }))).toMatchObject({ code: 'BAD_SHAPE', message: expect.stringMatching(/input 'x' .*rank 2.*\.npy/) });
    const npy = at('long-shape.npy');
    writeFileSync(npy, encodeNpy(makeTensor('i64', [3], [1n, 2n, 3n])));
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { shape: npy } }))).toMatchObject({ code: 'BAD_SHAPE', message: expect.stringMatching(/input 'shape' .* of shape \[3\], which does not fit/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { flags: '1,0' }, inputShapes: { flags: [3] } }))).toMatchObject({ code: 'BAD_SHAPE', message: expect.stringMatching(/input 'flags' is bound to a value of shape \[2\], but inputShapes gives \[3\]/) });
    expect(codeOf(() => importOnnxFile(MODEL, { bind: { shape: at('missing.npy') } })).code).toBe('IO');
  });
});

writeFileSync(
  at('plain.onnx'),
  makeModel({ inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])] }),
);
