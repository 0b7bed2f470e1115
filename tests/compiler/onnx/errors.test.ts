import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx, importOnnxFile } from '../../../compiler/onnx/index.js';
import { EdgecError } from '../../../ir/index.js';
import { modelPath } from '../../support/shared.js';
import { attr, encodeModel, makeModel, modelProto, node, rawF32, typedI64, type NodeInit } from './make-model.js';

function errorOf(fn: () => unknown): EdgecError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof EdgecError)) throw new Error(`expected an EdgecError, got ${String((e as Error)?.stack ?? e)}`);
    return e;
  }
  throw new Error('expected an EdgecError, got none');
}

const withNodes = (nodes: NodeInit[], outputs = ['y']) => makeModel({ inputs: [{ name: 'x', shape: [2, 2] }], outputs, nodes });

describe('undecodable bytes', () => {
  const real = readFileSync(modelPath('squeezenet1_1'));

  it('truncated shared model is ONNX_DECODE naming the file', () => {
    for (const cut of [10, 1000, Math.floor(real.length / 2), real.length - 3]) {
      const e = errorOf(() => importOnnx(real.subarray(0, cut), { file: 'squeezenet1_1.onnx' }));
      expect(e.code).toBe('ONNX_DECODE');
      expect(e.message).toContain('squeezenet1_1.onnx');
    }
  });

  it('random bytes are ONNX_DECODE (or an invalid model), never a crash', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let trial = 0; trial < 50; trial++) {
      const bytes = Uint8Array.from({ length: 64 + trial * 37 }, rand);
      const e = errorOf(() => importOnnx(bytes));
      expect(['ONNX_DECODE', 'ONNX_INVALID', 'UNSUPPORTED_OP', 'UNSUPPORTED_DTYPE', 'UNSUPPORTED_FEATURE', 'BAD_SHAPE', 'BAD_DATA']).toContain(e.code);
    }
  });

  it('byte-mutated small models fail only with EdgecErrors (or import)', () => {
    const base = makeModel({
      opset: 9,
      inputs: [{ name: 'x', shape: ['n', 2, 3] }],
      outputs: ['y', 'z'],
      initializers: [rawF32('w', [3], [1, 2, 3]), typedI64('s', [2], [-1, 6])],
      nodes: [
        node('Add', ['x', 'w'], ['a']),
        node('Reshape', ['a', 's'], ['r']),
        node('Softmax', ['x'], ['y'], { axis: attr.int(1) }),
        node('Slice', ['r'], ['z0'], { starts: attr.ints(0), ends: attr.ints(1), axes: attr.ints(1) }),
        node('Unsqueeze', ['z0'], ['z'], { axes: attr.ints(0) }),
      ],
    });
    expect(importOnnx(base).outputs).toHaveLength(2);
    let seed = 99;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    let imported = 0;
    for (let trial = 0; trial < 3000; trial++) {
      let bytes = Uint8Array.from(base);
      for (let k = 0, flips = 1 + rand(3); k < flips; k++) bytes[rand(bytes.length)] ^= 1 << rand(8);
      if (rand(10) === 0) bytes = bytes.subarray(0, rand(bytes.length));
      try {
        importOnnx(bytes, { inputShapes: rand(2) ? { x: [2, 2, 3] } : undefined });
        imported++;
      } catch (e) {
        if (!(e instanceof EdgecError)) throw e;
        expect(e.message).not.toContain('could not be imported');
      }
    }
    expect(imported).toBeGreaterThan(0);
  });

  it('an empty file is ONNX_DECODE', () => {
    expect(errorOf(() => importOnnx(new Uint8Array(), { file: 'empty.onnx' })).code).toBe('ONNX_DECODE');
  });

  it('a valid protobuf with no graph is ONNX_DECODE', () => {
    expect(errorOf(() => importOnnx(encodeModel({ irVersion: 8, producerName: 'x' }))).code).toBe('ONNX_DECODE');
  });

  it('a missing file is IO', () => {
    expect(errorOf(() => importOnnxFile('/nonexistent/model.onnx')).code).toBe('IO');
  });
});

describe('unsupported ops', () => {
  it('lists every unsupported op with its node names in one error, before building', () => {
    const e = errorOf(() =>
      importOnnx(
        withNodes(
          [
            node('NonZero', ['x'], ['nz'], {}, 'nz_1'),
            node('TopKish', ['x'], ['t1'], {}, 'top'),
            node('Relu', ['x'], ['r']),
            node('TopKish', ['x'], ['t2'], {}, 'top2'),
            { op: 'FusedConv', domain: 'com.microsoft', inputs: ['x'], outputs: ['f'], name: 'fc' },
            node('QConv', ['x'], ['q'], {}, 'own'),
            node('SequenceEmpty', [], ['s'], {}, 'seq'),
          ],
          ['r'],
        ),
        { file: 'm.onnx' },
      ),
    );
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toContain("NonZero (node 'nz_1')");
    expect(e.message).toContain("TopKish (nodes 'top', 'top2')");
    expect(e.message).toContain("com.microsoft.FusedConv (node 'fc')");
    // edgec's own ops are not ONNX ops, even in the default domain.
    expect(e.message).toContain("QConv (node 'own')");
    expect(e.message).toContain("SequenceEmpty (node 'seq')");
    expect(e.message).not.toContain('Relu');
    expect(e.message).toContain('m.onnx');
  });
});

describe('invalid graphs', () => {
  it('a node reading an undefined value is ONNX_INVALID naming the node and the value', () => {
    const e = errorOf(() => importOnnx(withNodes([node('Add', ['x', 'ghost'], ['y'], {}, 'adder')])));
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.message).toContain('adder');
    expect(e.message).toContain('ghost');
  });

  it('a cycle is ONNX_INVALID naming a node on it', () => {
    const e = errorOf(() =>
      importOnnx(withNodes([node('Relu', ['x'], ['pre'], {}, 'pre'), node('Add', ['pre', 'b'], ['a'], {}, 'n_a'), node('Neg', ['a'], ['b'], {}, 'n_b'), node('Abs', ['a'], ['y'], {}, 'after')])),
    );
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.message).toContain('cycle');
    expect(e.message).toMatch(/'n_a'|'n_b'/);
  });

  it('a value defined twice is ONNX_INVALID', () => {
    expect(errorOf(() => importOnnx(withNodes([node('Relu', ['x'], ['y'], {}, 'one'), node('Neg', ['x'], ['y'], {}, 'two')]))).code).toBe('ONNX_INVALID');
    expect(errorOf(() => importOnnx(withNodes([node('Relu', ['x'], ['x'], {}, 'redefines_input'), node('Neg', ['x'], ['y'])]))).code).toBe('ONNX_INVALID');
  });

  it('an undefined graph output is ONNX_INVALID', () => {
    expect(errorOf(() => importOnnx(withNodes([node('Relu', ['x'], ['r'])], ['nowhere']))).code).toBe('ONNX_INVALID');
  });

  it('a negative or absurd input dim is BAD_SHAPE', () => {
    const neg = makeModel({ inputs: [{ name: 'x', shape: [2, -3] }], outputs: ['x'] });
    expect(errorOf(() => importOnnx(neg)).code).toBe('BAD_SHAPE');
    const huge = makeModel({ inputs: [{ name: 'x', shape: [2 ** 40] }], outputs: ['x'] });
    expect(errorOf(() => importOnnx(huge)).code).toBe('BAD_SHAPE');
    const many = makeModel({ inputs: [{ name: 'x', shape: [2 ** 20, 2 ** 20] }], outputs: ['x'] });
    expect(errorOf(() => importOnnx(many)).code).toBe('BAD_SHAPE');
  });

  it('an initializer whose data does not match its shape is BAD_DATA naming it', () => {
    const m = makeModel({ inputs: [{ name: 'x', shape: [3] }], outputs: ['y'], initializers: [rawF32('bias', [4], [1, 2, 3])], nodes: [node('Add', ['x', 'bias'], ['y'])] });
    const e = errorOf(() => importOnnx(m, { file: 'k.onnx' }));
    expect(e.code).toBe('BAD_DATA');
    expect(e.message).toContain("'bias'");
    expect(e.message).toContain('k.onnx');
  });

  it('a non-tensor graph input is UNSUPPORTED_FEATURE', () => {
    const proto = modelProto({ inputs: [{ name: 'x', shape: [1] }], outputs: ['x'] });
    proto.graph!.input![0]!.type = { sequenceType: { elemType: { tensorType: { elemType: 1 } } } };
    expect(errorOf(() => importOnnx(encodeModel(proto))).code).toBe('UNSUPPORTED_FEATURE');
  });
});
