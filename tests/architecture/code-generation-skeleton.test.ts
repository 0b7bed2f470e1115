import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Node } from '../../ir/index.js';
import { TARGETS } from '../../targets/index.js';
import { ConstantPool } from '../../targets/shared/constant-pool.js';
import { KernelTable, type KernelFamily } from '../../targets/shared/kernel.js';
import { planKey } from '../../targets/shared/plan-key.js';
import { parseOptions } from '../../targets/shared/options.js';
import { parseRvvOptions } from '../../targets/rvv/build.js';
import { RVV_KERNELS } from '../../targets/rvv/kernels/index.js';
import { parseWasmOptions } from '../../targets/wasm/kernel.js';
import { WASM_KERNELS } from '../../targets/wasm/kernels/index.js';
import { parseWebGpuOptions } from '../../targets/webgpu/kernel.js';
import { WEBGPU_KERNELS } from '../../targets/webgpu/kernels/index.js';

const family = (ops: string[], check: (node: Node) => string | null = () => null): KernelFamily => ({ ops, check });

function reluOn(shape: (number | string)[]): Node {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'f32', shape });
  b.output(b.op('Relu', [x], {}, 'y'));
  return b.build().nodes[0]!;
}

describe('the kernel table', () => {
  it('refuses two families claiming one op, naming the target and the op', () => {
    expect(() => new KernelTable('t', [family(['Add', 'Sub']), family(['Mul', 'Sub'])])).toThrow(/two t kernel families claim Sub/);
  });

  it('checks static shapes for every family, after its own reasons, and names a missing family', () => {
    const refusing = new KernelTable('t', [family(['Relu'], () => 'family reason')]);
    expect(refusing.check(reluOn(['batch', 4]))).toBe('family reason');
    const table = new KernelTable('t', [family(['Relu'])]);
    expect(table.check(reluOn(['batch', 4]))).toBe('%x has a symbolic shape; the t target needs static shapes');
    expect(table.check(reluOn([2, 4]))).toBeNull();
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: [2] });
    b.output(b.op('Neg', [x], {}, 'y'));
    expect(table.check(b.build().nodes[0]!)).toBe('no t kernel for Neg');
    expect(table.ops()).toEqual(['Relu']);
  });

  it('asks a family about dims only once every shape is static, after its own reasons', () => {
    const asked: string[] = [];
    const dims = { ops: ['Relu'], check: () => null, checkDims: (node: Node) => (asked.push(node.inputs[0]!.type.shape.join('x')), 'dims reason') };
    const table = new KernelTable('t', [dims]);
    expect(table.check(reluOn(['batch', 4]))).toBe('%x has a symbolic shape; the t target needs static shapes');
    expect(table.check(reluOn([2, 4]))).toBe('dims reason');
    expect(asked).toEqual(['2x4']);
    const refusing = new KernelTable('t', [{ ...dims, check: () => 'family reason' }]);
    expect(refusing.check(reluOn([2, 4]))).toBe('family reason');
    expect(asked).toEqual(['2x4']);
  });

  it('is what each compiling target checks nodes with', () => {
    const symbolic = reluOn(['n', 3]);
    for (const [name, table] of [['wasm', WASM_KERNELS], ['rvv', RVV_KERNELS], ['webgpu', WEBGPU_KERNELS]] as const) {
      expect(TARGETS.get(name)!.check(symbolic)).toMatch(/%x has a symbolic shape/);
      expect(TARGETS.get(name)!.check(reluOn([2, 3]))).toBe(table.check(reluOn([2, 3])));
    }
  });
});

describe('the constant pool', () => {
  it('places each key once, aligned, in order of first use, from its base', () => {
    const pool = new ConstantPool(100, 16);
    expect(pool.place('a', new Uint8Array([1, 2, 3]))).toBe(112);
    expect(pool.place('b', new Uint8Array([4]), 64)).toBe(128);
    expect(pool.place('a', new Uint8Array([9, 9, 9]))).toBe(112);
    expect(pool.place('c', new Uint8Array([5, 6]))).toBe(144);
    expect(pool.end).toBe(146);
    expect(pool.size).toBe(46);
    const bytes = pool.bytes(48);
    expect(bytes.length).toBe(48);
    expect([...bytes.subarray(12, 15), bytes[28], ...bytes.subarray(44, 48)]).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expect(pool.chunks().reduce((n, c) => n + c.length, 0)).toBe(46);
    const data = new Float32Array(1);
    expect([pool.identity(data), pool.identity(new Float32Array(1)), pool.identity(data)]).toEqual([0, 1, 0]);
  });
});

describe('target options', () => {
  it('are parsed against their defaults: unknown keys and wrong types are refused', () => {
    const defaults = { fast: true, size: 4, flags: [] as string[] };
    expect(parseOptions('t', {}, defaults)).toEqual(defaults);
    expect(parseOptions('t', { size: 8, flags: ['-x'], fast: undefined }, defaults)).toEqual({ fast: true, size: 8, flags: ['-x'] });
    expect(() => parseOptions('t', { quick: true }, defaults)).toThrow(/the t target has no option 'quick' \(options: fast, size, flags\)/);
    expect(() => parseOptions('t', { size: '8' }, defaults)).toThrow(/option 'size' must be a number, got "8"/);
    expect(() => parseOptions('t', { flags: [1] }, defaults)).toThrow(/option 'flags' must be a list of strings/);
  });

  it('has no option that does nothing: relaxed SIMD (wasm) and a VLEN hint (rvv) are refused', () => {
    expect(parseWasmOptions({ winograd: false })).toMatchObject({ winograd: false, winograd4: true, profile: false });
    expect(() => parseWasmOptions({ relaxedSimd: true })).toThrow(/the wasm target has no option 'relaxedSimd'/);
    expect(() => parseRvvOptions({ vlenHint: 256 })).toThrow(/the rvv target has no option 'vlenHint'/);
    expect(parseRvvOptions({ cflags: ['-mtune=spacemit-x60'] })).toEqual({ cflags: ['-mtune=spacemit-x60'] });
    expect(() => parseWebGpuOptions({ workgroupSize: 'big' })).toThrow(/option 'workgroupSize' must be a number/);
  });
});

describe('kernel plan keys', () => {
  it('are equal exactly when the plans are: key order does not matter, every field and value does', () => {
    expect(planKey('k', { b: 1, a: [1, 2], c: { y: true, x: 'u8' } })).toBe(planKey('k', { c: { x: 'u8', y: true }, a: [1, 2], b: 1 }));
    expect(planKey('k', { a: 1 })).not.toBe(planKey('j', { a: 1 }));
    expect(planKey('k', { a: 1, b: 2 })).not.toBe(planKey('k', { a: 1 }));
    expect(planKey('k', { a: undefined, b: 2 })).toBe(planKey('k', { b: 2 }));
    // What JSON.stringify would merge: -0 and 0, Infinity, -Infinity and NaN (all null), typed arrays by type.
    const keys = [0, -0, Infinity, -Infinity, NaN].map((eps) => planKey('k', { eps }));
    expect(new Set(keys).size).toBe(5);
    expect(planKey('k', new Int32Array([1, 2]))).not.toBe(planKey('k', new Float32Array([1, 2])));
    expect(planKey('k', new Int32Array([1, 2]))).not.toBe(planKey('k', new Int32Array([1, 3])));
  });

  it('refuse what has no stable serialization (a closure in a plan is a bug)', () => {
    expect(() => planKey('k', { make: () => 1 })).toThrow(/a kernel plan holds function/);
    expect(() => planKey('k', { at: new Map() })).toThrow(/a kernel plan holds Map/);
  });
});
