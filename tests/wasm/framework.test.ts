import { describe, expect, it } from 'vitest';
import { GraphBuilder, makeTensor, type Graph } from '../../ir/index.js';
import { runPipeline } from '../../passes/manager.js';
import { PASSES } from '../../passes/registry.js';
import { load } from '../../runtime/index.js';
import { WASM_IO_SECTION as IO_SECTION } from '../../runtime/formats/wasm-io.js';
import { compileWasm } from '../../targets/wasm/index.js';
import { expectWasmMatchesReference } from './harness.js';

function reshapeGraph(): Graph {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'f32', shape: [2, 6] });
  const shape = b.constant('shape', makeTensor('i64', [2], [3, 4]));
  b.output(b.op('Reshape', [x, shape], {}, 'y'));
  return b.build();
}

describe('wasm target framework', () => {
  it('compiles a view op and runs it through the runtime', async () => {
    await expectWasmMatchesReference(reshapeGraph, { tolerance: 0 });
  });

  it('writes the I/O table into a custom section and exports memory and run', async () => {
    const g = reshapeGraph();
    runPipeline(g, 'plan-memory', PASSES);
    const { bytes, io } = compileWasm(g);
    const module = await WebAssembly.compile(bytes as BufferSource);
    expect(WebAssembly.Module.exports(module).map((e) => e.name).sort()).toEqual(['memory', 'run']);
    expect(WebAssembly.Module.imports(module)).toEqual([]);
    const section = JSON.parse(new TextDecoder().decode(WebAssembly.Module.customSections(module, IO_SECTION)[0]!));
    expect(section).toEqual(io);
    expect(io.inputs).toEqual([{ name: 'x', dtype: 'f32', shape: [2, 6], offset: expect.any(Number) }]);
    expect(io.outputs[0]).toMatchObject({ name: 'y', dtype: 'f32', shape: [3, 4] });
  });

  it('is deterministic: the same graph compiles to the same bytes', () => {
    const compile = () => {
      const g = reshapeGraph();
      runPipeline(g, 'plan-memory', PASSES);
      return compileWasm(g).bytes;
    };
    expect(Buffer.from(compile()).equals(Buffer.from(compile()))).toBe(true);
  });

  it('lists every unsupported node up front, with node names and reasons', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [1, 4, 6] });
    const scales = b.constant('scales', makeTensor('f32', [3], [1, 1, 2]));
    const up = b.node('Resize', [x, null, scales], { mode: 'nearest' }, { name: 'resize3d', outputNames: ['up'] })[0]!;
    const h = b.input('h', { dtype: 'f64', shape: [2, 3] });
    const arg = b.node('ArgMax', [h], { axis: 1 }, { name: 'argmax_half', outputNames: ['arg'] })[0]!;
    b.output(up, arg);
    const g = b.build();
    runPipeline(g, 'plan-memory', PASSES);
    expect(() => compileWasm(g)).toThrow(/cannot compile 2 nodes: Resize \(node 'resize3d'\): .+; ArgMax \(node 'argmax_half'\): .+/);
  });

  it('rejects wrong feeds with clear runtime errors', async () => {
    const g = reshapeGraph();
    runPipeline(g, 'plan-memory', PASSES);
    const model = await load(compileWasm(g).bytes);
    expect(() => model.run({})).toThrow(/input 'x' \(f32\[2,6\]\) is not fed/);
    expect(() => model.run({ x: new Float32Array(5) })).toThrow(/input 'x' must hold 12 elements/);
    expect(() => model.run({ x: new Int32Array(12) })).toThrow(/input 'x' must be f32 \(Float32Array\), got Int32Array/);
    expect(() => model.run({ x: { data: new Float32Array(12), shape: [12] } })).toThrow(/input 'x' must have shape \[2,6\], got \[12\]/);
    expect(() => model.run({ x: new Float32Array(12), z: new Float32Array(1) })).toThrow(/unknown input 'z'/);
  });
});
