import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../compiler/cli/cli.js';
import { encodeNpy, readTensorFile } from '../../compiler/index.js';
import { makeTensor } from '../../ir/index.js';
import { makeModel, node, T } from '../compiler/onnx/make-model.js';

// `--bind name=value` on compile, run and bench: the bound input is a constant of the artifact, not an input.

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'edgec-bind-cli-'));
const at = (name: string) => join(dir, name);

/** y = Tile(x, repeats) + offset: the output shape is decided by the repeats input. */
const MODEL = at('tile.onnx');
writeFileSync(
  MODEL,
  makeModel({
    inputs: [
      { name: 'x', shape: [2, 3] },
      { name: 'repeats', elemType: T.INT64, shape: [2] },
      { name: 'offset', shape: [] },
    ],
    outputs: ['y'],
    nodes: [node('Tile', ['x', 'repeats'], ['t']), node('Add', ['t', 'offset'], ['y'])],
  }),
);
const X = at('x.npy');
writeFileSync(X, encodeNpy(makeTensor('f32', [2, 3], [1, 2, 3, 4, 5, 6])));

describe('edgec --bind', () => {
  it('compiles with bound inputs: they leave the artifact, and the seal records them', async () => {
    const r = await cli('compile', MODEL, '-o', at('tile.wasm'), '--bind', 'repeats=2,1', '--bind', 'offset=0.5', '--json');
    expect(r.code).toBe(0);
    const provenance = await cli('provenance', at('tile.wasm'), '--json');
    expect(provenance.out).toContain('bind');
    const options = JSON.parse(provenance.out).provenance.predicate.buildDefinition.externalParameters.options;
    expect(options.bind).toEqual({ offset: { dtype: 'f32', shape: [], values: [0.5] }, repeats: { dtype: 'i64', shape: [2], values: [2, 1] } });
    const run = await cli('run', at('tile.wasm'), '-i', `x=${X}`, '-o', at('out-wasm'), '--json');
    expect(run.code).toBe(0);
    expect(Object.keys(JSON.parse(run.out).inputs)).toEqual(['x']);
    const y = readTensorFile(join(at('out-wasm'), 'y.npy'));
    expect(y.shape).toEqual([4, 3]);
    expect(Array.from(y.data as Float32Array)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
  });

  it('runs an ONNX model with bound inputs on the reference and on wasm without feeding them', async () => {
    const repeats = at('repeats.npy');
    writeFileSync(repeats, encodeNpy(makeTensor('i64', [2], [1n, 2n])));
    for (const target of ['reference', 'wasm']) {
      const r = await cli('run', MODEL, '-t', target, '-i', `x=${X}`, '--bind', `repeats=${repeats}`, '--bind', 'offset=-1', '-o', at(`out-${target}`), '--json');
      expect(r.code, r.err).toBe(0);
      expect(Object.keys(JSON.parse(r.out).inputs)).toEqual(['x']);
      const y = readTensorFile(join(at(`out-${target}`), 'y.npy'));
      expect(y.shape).toEqual([2, 6]);
      expect(Array.from(y.data as Float32Array)).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    }
  });

  it('fails in one line with a code naming the input', async () => {
    const unknown = await cli('compile', MODEL, '-o', at('bad.wasm'), '--bind', 'rate=16000');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/\[USAGE\] .*cannot bind 'rate': the model has no input of that name \(inputs: 'x' f32\[2,3\], 'repeats' i64\[2\], 'offset' f32\[\]\)/);
    const float = await cli('compile', MODEL, '-o', at('bad.wasm'), '--bind', 'repeats=1.5,2');
    expect(float.code).toBe(1);
    expect(float.err).toMatch(/\[TYPE_MISMATCH\] .*input 'repeats' \(i64\[2\]\) is i64: '1\.5' is not an integer/);
    const shape = await cli('run', MODEL, '--bind', 'offset=1,2');
    expect(shape.code).toBe(1);
    expect(shape.err).toMatch(/\[BAD_SHAPE\] .*input 'offset' \(f32\[\]\) is a scalar, but 2 values were given/);
    const malformed = await cli('compile', MODEL, '--bind', 'repeats');
    expect(malformed.code).toBe(2);
    expect(malformed.err).toMatch(/\[USAGE\] --bind 'repeats' must look like name=16000/);
    const both = await cli('run', MODEL, '--bind', 'offset=1', '-i', `offset=${X}`);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/\[USAGE\] 'offset' bound with --bind, so not an input to feed with -i/);
    const artifact = await cli('run', at('tile.wasm'), '--bind', 'offset=1');
    expect(artifact.code).toBe(2);
    expect(artifact.err).toMatch(/\[USAGE\] .*--bind applies when compiling an ONNX model/);
    // Without the binding, wasm cannot plan Tile's output: its shape depends on the values of %repeats.
    const unbound = await cli('run', MODEL, '-t', 'wasm');
    expect(unbound.code).toBe(1);
    expect(unbound.err).toMatch(/depends on the values of %repeats/);
  });

  it('benches with bound inputs, feeding them to the peers that run the model as given', async () => {
    const r = await cli('bench', MODEL, '--targets', 'wasm,ort-node', '--bind', 'repeats=2,2', '--bind', 'offset=1', '--runs', '2', '--warmup', '0', '--profile-runs', '0', '--json', '-q');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { contenders: { target: string; status: string }[] };
    expect(report.contenders.map((c) => `${c.target} ${c.status}`)).toEqual(['wasm ok', 'ort-node ok']);
  }, 60_000);
});
