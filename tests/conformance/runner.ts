import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { importOnnxFile, readTensorProtoFile } from '../../compiler/onnx/index.js';
import { EdgecError, isFloat, type Tensor } from '../../ir/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { sharedPath } from '../support/shared.js';
import { EDGE_OP_SET } from './edge-op-set.js';

/**
 * Runs the ONNX backend conformance cases (model + inputs + expected outputs) on the reference interpreter.
 * A case is in scope when every op of its model is in the edge op set; in-scope cases must pass, other cases
 * are counted as unsupported. In-scope cases that need an element type edgec does not have (string, float8,
 * int4, ...) or a declared-unsupported feature are counted apart, by name, so nothing is hidden.
 */
export const SUITES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'] as const;

export type CaseStatus = 'pass' | 'fail' | 'unsupported-op' | 'unsupported-feature';

export interface CaseResult {
  suite: string;
  name: string;
  ops: string[];
  status: CaseStatus;
  detail?: string;
}

export const TOLERANCE = { rtol: 1e-3, atol: 1e-7 };

export interface ConformanceCase {
  suite: string;
  name: string;
  dir: string;
}

export function listCases(filter?: string): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const suite of SUITES) {
    const root = sharedPath('onnx-backend', suite);
    for (const name of readdirSync(root).sort()) {
      if (filter && !name.includes(filter)) continue;
      const dir = join(root, name);
      if (existsSync(join(dir, 'model.onnx'))) cases.push({ suite, name, dir });
    }
  }
  return cases;
}

/** The op types of a model, read straight from its protobuf (independent of the importer). */
export function modelOps(file: string): string[] {
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(file));
  const ops = new Set<string>();
  const visit = (graph: onnxProto.onnx.IGraphProto | null | undefined) => {
    for (const node of graph?.node ?? []) {
      const domain = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.` : '';
      ops.add(domain + (node.opType ?? ''));
      for (const attr of node.attribute ?? []) {
        visit(attr.g);
        for (const g of attr.graphs ?? []) visit(g);
      }
    }
  };
  visit(model.graph);
  return [...ops].sort();
}

function dataFiles(dir: string, prefix: 'input' | 'output'): string[] {
  const setDir = join(dir, 'test_data_set_0');
  if (!existsSync(setDir)) return [];
  return readdirSync(setDir)
    .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)))
    .map((f) => join(setDir, f));
}

/** Max |actual - expected| and whether every element is within atol + rtol * |expected| (exact for non-floats). */
export function compareTensors(actual: Tensor, expected: Tensor, tol = TOLERANCE): { ok: boolean; maxAbs: number; reason?: string } {
  if (actual.dtype !== expected.dtype) return { ok: false, maxAbs: Infinity, reason: `dtype ${actual.dtype}, expected ${expected.dtype}` };
  if (actual.shape.join() !== expected.shape.join()) {
    return { ok: false, maxAbs: Infinity, reason: `shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]` };
  }
  const float = isFloat(expected.dtype);
  let maxAbs = 0;
  let ok = true;
  let firstBad = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    if (!float) {
      if (a !== e) {
        ok = false;
        if (firstBad < 0) firstBad = i;
        maxAbs = Math.max(maxAbs, Math.abs(Number(a) - Number(e)));
      }
      continue;
    }
    const x = Number(a);
    const y = Number(e);
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (x === y) continue;
    const diff = Math.abs(x - y);
    if (!(diff <= tol.atol + tol.rtol * Math.abs(y))) {
      ok = false;
      if (firstBad < 0) firstBad = i;
    }
    if (!Number.isNaN(diff)) maxAbs = Math.max(maxAbs, diff);
    else maxAbs = Infinity;
  }
  const reason = ok ? undefined : `element ${firstBad}: got ${actual.data[firstBad]}, expected ${expected.data[firstBad]} (max abs diff ${maxAbs})`;
  return { ok, maxAbs, reason };
}

const FEATURE_CODES = new Set(['UNSUPPORTED_DTYPE', 'UNSUPPORTED_FEATURE']);

/** Messages name files relative to the repo (`../shared/...`), so reports read the same on every machine. */
function relativePaths(message: string): string {
  return message.split(sharedPath()).join('../shared');
}

export function runCase(c: ConformanceCase): CaseResult {
  const result = runCaseUnscrubbed(c);
  return result.detail ? { ...result, detail: relativePaths(result.detail) } : result;
}

function runCaseUnscrubbed(c: ConformanceCase): CaseResult {
  const ops = modelOps(join(c.dir, 'model.onnx'));
  const base = { suite: c.suite, name: c.name, ops };
  const outside = ops.filter((op) => !EDGE_OP_SET.has(op));
  if (outside.length > 0) return { ...base, status: 'unsupported-op', detail: outside.join(', ') };
  try {
    const graph = importOnnxFile(join(c.dir, 'model.onnx'));
    const inputs = dataFiles(c.dir, 'input').map((f) => readTensorProtoFile(f));
    const expected = dataFiles(c.dir, 'output').map((f) => readTensorProtoFile(f).tensor);
    // Inputs bind to graph inputs by position (the .pb names are not always set).
    const feeds: Record<string, Tensor> = {};
    graph.inputs.forEach((v, i) => {
      const given = inputs[i];
      if (!given) throw new EdgecError('RUNTIME_INPUT', `case has no data for input ${i} ('${v.name}')`);
      feeds[v.name] = given.tensor;
    });
    const outputs = runGraph(graph, feeds);
    const problems: string[] = [];
    graph.outputs.forEach((v, i) => {
      const want = expected[i];
      if (!want) return;
      const cmp = compareTensors(outputs[v.name]!, want);
      if (!cmp.ok) problems.push(`output ${i} '${v.name}': ${cmp.reason}`);
    });
    if (expected.length !== graph.outputs.length) problems.push(`case expects ${expected.length} outputs, graph has ${graph.outputs.length}`);
    return problems.length === 0 ? { ...base, status: 'pass' } : { ...base, status: 'fail', detail: problems.join('; ') };
  } catch (e) {
    if (e instanceof EdgecError && FEATURE_CODES.has(e.code)) return { ...base, status: 'unsupported-feature', detail: `${e.code}: ${e.message}` };
    const msg = e instanceof EdgecError ? `${e.code}: ${e.message}` : String((e as Error)?.stack ?? e);
    return { ...base, status: 'fail', detail: msg };
  }
}

export function runCases(cases: ConformanceCase[], onResult?: (r: CaseResult) => void): CaseResult[] {
  return cases.map((c) => {
    const r = runCase(c);
    onResult?.(r);
    return r;
  });
}

export function summarize(results: CaseResult[]): Record<CaseStatus, number> {
  const counts: Record<CaseStatus, number> = { pass: 0, fail: 0, 'unsupported-op': 0, 'unsupported-feature': 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}
