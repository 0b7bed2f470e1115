import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnxFile, readTensorProtoFile } from '../../compiler/onnx/index.js';
import { EdgecError, isFloat, type Tensor } from '../../ir/index.js';
import { runGraph, unsupportedByReference } from '../../targets/reference/interpreter.js';
import { sharedPath } from '../support/shared.js';

/**
 * The ONNX backend conformance cases of the quantization family, imported with the ONNX front end and run on
 * the reference kernels. Integers must match exactly; floats within the backend tolerances.
 */

const FAMILY = /^test_(quantizelinear|dequantizelinear|dynamicquantizelinear|qlinearconv|qlinearmatmul|convinteger|matmulinteger)/;
/** Element types without an IR dtype: these cases must be refused up front with UNSUPPORTED_DTYPE. */
const UNSUPPORTED = /_(e4m3fn|e5m2|float4e2m1|int4|uint4|int2|uint2)(_|$)/;
const RTOL = 1e-3;
const ATOL = 1e-7;

const root = sharedPath('onnx-backend', 'node');
const cases = readdirSync(root).filter((name) => FAMILY.test(name)).sort();

function readData(dir: string, kind: 'input' | 'output'): Tensor[] {
  const out: Tensor[] = [];
  for (let i = 0; existsSync(join(dir, `${kind}_${i}.pb`)); i++) out.push(readTensorProtoFile(join(dir, `${kind}_${i}.pb`)).tensor);
  return out;
}

function expectClose(got: Tensor, expected: Tensor, what: string): void {
  expect(got.dtype, `${what} dtype`).toBe(expected.dtype);
  expect(got.shape, `${what} shape`).toEqual(expected.shape);
  const g = Array.from(got.data as ArrayLike<number>);
  const e = Array.from(expected.data as ArrayLike<number>);
  if (!isFloat(expected.dtype)) {
    expect(g, what).toEqual(e);
    return;
  }
  const bad = e.findIndex((v, i) => !(Math.abs(g[i]! - v) <= ATOL + RTOL * Math.abs(v) || (Number.isNaN(v) && Number.isNaN(g[i]!))));
  expect(bad, `${what}: element ${bad} is ${g[bad]}, expected ${e[bad]}`).toBe(-1);
}

describe('ONNX conformance: quantization ops', () => {
  it('finds the conformance cases', () => {
    expect(cases.length).toBeGreaterThan(40);
  });

  for (const name of cases) {
    const dir = join(root, name);
    if (UNSUPPORTED.test(name)) {
      it(`${name} is refused with UNSUPPORTED_DTYPE`, () => {
        let error: unknown;
        try {
          const graph = importOnnxFile(join(dir, 'model.onnx'));
          runGraph(graph, {});
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(EdgecError);
        expect((error as EdgecError).code).toBe('UNSUPPORTED_DTYPE');
      });
      continue;
    }
    it(name, (ctx) => {
      // The _expanded cases spell the op out in other families' ops (Round, ReduceMin, Div, Cast, ...); they are
      // skipped until all of those ops have schemas and reference kernels.
      const expanded = name.endsWith('_expanded');
      let graph;
      try {
        graph = importOnnxFile(join(dir, 'model.onnx'));
      } catch (e) {
        if (expanded && e instanceof EdgecError && e.code === 'UNSUPPORTED_OP') return ctx.skip(e.message);
        throw e;
      }
      if (expanded && unsupportedByReference(graph).length > 0) return ctx.skip('ops without reference kernels');
      const data = join(dir, 'test_data_set_0');
      const inputs = readData(data, 'input');
      const expected = readData(data, 'output');
      const feeds = Object.fromEntries(graph.inputs.map((v, i) => [v.name, inputs[i]!]));
      const result = runGraph(graph, feeds);
      expect(graph.outputs.length).toBe(expected.length);
      graph.outputs.forEach((v, i) => expectClose(result[v.name]!, expected[i]!, `${name} output ${i} (${v.name})`));
    });
  }
});
