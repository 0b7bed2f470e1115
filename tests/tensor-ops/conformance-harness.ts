import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnxFile, readTensorProtoFile } from '../../compiler/onnx/index.js';
import { EdgecError, isFloat, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { sharedPath } from '../support/shared.js';

/** Runs one ONNX backend case (model.onnx + test_data_set_0) on the reference interpreter and compares. */

export interface CaseDir {
  suite: string;
  name: string;
  dir: string;
}

export function casesIn(suite: string, accept: (name: string) => boolean): CaseDir[] {
  const root = sharedPath('onnx-backend', suite);
  return readdirSync(root)
    .sort()
    .filter((name) => accept(name) && existsSync(join(root, name, 'model.onnx')))
    .map((name) => ({ suite, name, dir: join(root, name) }));
}

function dataFiles(dir: string, prefix: 'input' | 'output'): string[] {
  const set = join(dir, 'test_data_set_0');
  if (!existsSync(set)) return [];
  return readdirSync(set)
    .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)))
    .map((f) => join(set, f));
}

/** Problems found comparing actual to expected: exact for integers and bool, rtol 1e-3 / atol 1e-7 for floats. */
export function mismatch(actual: Tensor | undefined, expected: Tensor): string | undefined {
  if (!actual) return 'missing';
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.join() !== expected.shape.join()) return `shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]`;
  const float = isFloat(expected.dtype);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    if (a === e) continue;
    if (float) {
      const x = Number(a);
      const y = Number(e);
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (Math.abs(x - y) <= 1e-7 + 1e-3 * Math.abs(y)) continue;
    }
    return `element ${i}: got ${a}, expected ${e}`;
  }
  return undefined;
}

/** Runs the case; returns undefined on success, else a description of the first problem. Throws EdgecErrors. */
export function runConformanceCase(c: CaseDir): string | undefined {
  const graph = importOnnxFile(join(c.dir, 'model.onnx'));
  const inputs = dataFiles(c.dir, 'input').map((f) => readTensorProtoFile(f).tensor);
  const expected = dataFiles(c.dir, 'output').map((f) => readTensorProtoFile(f).tensor);
  const feeds: Record<string, Tensor> = {};
  graph.inputs.forEach((v, i) => {
    if (!inputs[i]) throw new EdgecError('RUNTIME_INPUT', `no data for input ${i} ('${v.name}')`);
    feeds[v.name] = inputs[i]!;
  });
  const outputs = runGraph(graph, feeds);
  if (expected.length !== graph.outputs.length) return `case expects ${expected.length} outputs, graph has ${graph.outputs.length}`;
  const problems = graph.outputs.flatMap((v, i) => {
    const m = mismatch(outputs[v.name], expected[i]!);
    return m ? [`output ${i} '${v.name}': ${m}`] : [];
  });
  return problems.length > 0 ? problems.join('; ') : undefined;
}
