import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { optimize, unsupportedNodes } from '../../compiler/driver.js';
import { graphSignature, staticInputShapes } from '../../compiler/feeds.js';
import { importOnnxFile, readTensorProtoFile } from '../../compiler/onnx/index.js';
import { fromArtifactView, toArtifactFeeds } from '../../compiler/io/artifact-io.js';
import { arrayFromBytes, arrayToBytes, EdgecError, isFloat, makeTensor, type DType, type Graph, type Tensor } from '../../ir/index.js';
import { load, type LoadOptions } from '../../runtime/index.js';
import type { Target } from '../../targets/index.js';
import { webgpuTarget } from '../../targets/webgpu/index.js';
import { runGraph } from '../../targets/reference/index.js';
import { wasmTarget } from '../../targets/wasm/index.js';
import { rvvTarget } from '../../targets/rvv/index.js';
import { buildRvvBundle, runRvvBundle } from '../../targets/rvv/bundle.js';
import { VLENS } from '../../targets/rvv/qemu.js';
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

/** A compiled target's verdict on a case the reference passes. */
export interface TargetResult {
  status: 'pass' | 'fail' | 'unsupported';
  detail?: string;
}

export interface CaseResult {
  suite: string;
  name: string;
  ops: string[];
  /** The reference interpreter's verdict. */
  status: CaseStatus;
  detail?: string;
  wasm?: TargetResult;
  /** rvv at every VLEN of VLENS (one bundled program for all cases, see runOnRvv). */
  rvv?: TargetResult;
  webgpu?: TargetResult;
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

function describeError(e: unknown): string {
  return e instanceof EdgecError ? `${e.code}: ${e.message}` : String((e as Error)?.stack ?? e);
}

interface LoadedCase {
  feeds: (graphInputs: readonly { name: string }[]) => Record<string, Tensor>;
  expected: Tensor[];
}

function loadCaseData(c: ConformanceCase): LoadedCase {
  const inputs = dataFiles(c.dir, 'input').map((f) => readTensorProtoFile(f).tensor);
  const expected = dataFiles(c.dir, 'output').map((f) => readTensorProtoFile(f).tensor);
  return {
    expected,
    // Inputs bind to graph inputs by position (the .pb names are not always set).
    feeds: (graphInputs) => {
      const feeds: Record<string, Tensor> = {};
      graphInputs.forEach((v, i) => {
        const given = inputs[i];
        if (!given) throw new EdgecError('RUNTIME_INPUT', `case has no data for input ${i} ('${v.name}')`);
        feeds[v.name] = given;
      });
      return feeds;
    },
  };
}

function compareOutputs(names: readonly string[], outputs: Record<string, Tensor>, expected: Tensor[]): string[] {
  const problems: string[] = [];
  names.forEach((name, i) => {
    const want = expected[i];
    if (!want) return;
    const cmp = compareTensors(outputs[name]!, want);
    if (!cmp.ok) problems.push(`output ${i} '${name}': ${cmp.reason}`);
  });
  if (expected.length !== names.length) problems.push(`case expects ${expected.length} outputs, graph has ${names.length}`);
  return problems;
}

/** The case on the reference interpreter, as imported. */
function runOnReference(c: ConformanceCase, data: LoadedCase): { status: CaseStatus; detail?: string } {
  try {
    const graph = importOnnxFile(join(c.dir, 'model.onnx'));
    const outputs = runGraph(graph, data.feeds(graph.inputs));
    const problems = compareOutputs(graph.outputs.map((v) => v.name), outputs, data.expected);
    return problems.length === 0 ? { status: 'pass' } : { status: 'fail', detail: problems.join('; ') };
  } catch (e) {
    if (e instanceof EdgecError && FEATURE_CODES.has(e.code)) return { status: 'unsupported-feature', detail: `${e.code}: ${e.message}` };
    return { status: 'fail', detail: describeError(e) };
  }
}

/**
 * The case compiled for a target (wasm, webgpu) with the target's full -O2 pipeline (so the passes are exercised
 * too), with input shapes fixed from the case's data, run through the runtime.
 */
async function runOnTarget(target: Target, c: ConformanceCase, data: LoadedCase, loadOptions: LoadOptions = {}): Promise<TargetResult> {
  let graph;
  let feeds: Record<string, Tensor>;
  try {
    const declared = importOnnxFile(join(c.dir, 'model.onnx'));
    feeds = data.feeds(declared.inputs);
    graph = importOnnxFile(join(c.dir, 'model.onnx'), { inputShapes: staticInputShapes(graphSignature(declared), {}, feeds) });
    optimize(graph, { target: target.name, print: () => {} });
  } catch (e) {
    // Shapes that stay data-dependent after folding cannot be planned into a static arena.
    if (e instanceof EdgecError && e.code === 'BAD_SHAPE') return { status: 'unsupported', detail: e.message };
    return { status: 'fail', detail: `optimizing: ${describeError(e)}` };
  }
  const problems = unsupportedNodes(graph, target);
  if (problems.length > 0) return { status: 'unsupported', detail: problems.map((p) => `${p.node.op}: ${p.reason}`).join('; ') };
  try {
    const artifact = target.compile(graph, {});
    const model = await load(artifact.bytes, loadOptions);
    try {
      const views = await model.run(toArtifactFeeds(feeds));
      const outputs: Record<string, Tensor> = {};
      for (const o of model.outputs) outputs[o.name] = fromArtifactView(o.dtype as DType, o.shape, views[o.name]!);
      const problems = compareOutputs(graph.outputs.map((v) => v.name), outputs, data.expected);
      return problems.length === 0 ? { status: 'pass' } : { status: 'fail', detail: problems.join('; ') };
    } finally {
      if (model.kind === 'webgpu') model.destroy();
    }
  } catch (e) {
    return { status: 'fail', detail: describeError(e) };
  }
}

export interface RunCaseOptions {
  /** Also compile and run the case on wasm. */
  wasm?: boolean;
  /** Also compile every reference-passing case for rvv and run them all under qemu (runCases only). */
  rvv?: boolean;
  /** Also compile and run the case on webgpu, with these load options (one device for the whole sweep). */
  webgpu?: LoadOptions;
}

export async function runCase(c: ConformanceCase, options: RunCaseOptions = {}): Promise<CaseResult> {
  const ops = modelOps(join(c.dir, 'model.onnx'));
  const base = { suite: c.suite, name: c.name, ops };
  const outside = ops.filter((op) => !EDGE_OP_SET.has(op));
  if (outside.length > 0) return { ...base, status: 'unsupported-op', detail: outside.join(', ') };
  let data: LoadedCase;
  try {
    data = loadCaseData(c);
  } catch (e) {
    return { ...base, status: 'unsupported-feature', detail: relativePaths(describeError(e)) };
  }
  const reference = runOnReference(c, data);
  const result: CaseResult = { ...base, ...reference };
  if (options.wasm && reference.status === 'pass') result.wasm = await runOnTarget(wasmTarget, c, data);
  if (options.webgpu && reference.status === 'pass') result.webgpu = await runOnTarget(webgpuTarget, c, data, options.webgpu);
  if (result.detail) result.detail = relativePaths(result.detail);
  if (result.wasm?.detail) result.wasm.detail = relativePaths(result.wasm.detail);
  if (result.webgpu?.detail) result.webgpu.detail = relativePaths(result.webgpu.detail);
  return result;
}

export async function runCases(cases: ConformanceCase[], options: RunCaseOptions = {}, onResult?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = await runCase(c, options);
    if (!options.rvv) onResult?.(r);
    results.push(r);
  }
  if (options.rvv) {
    runOnRvv(cases.filter((_, i) => results[i]!.status === 'pass'), results.filter((r) => r.status === 'pass'));
    results.forEach((r) => onResult?.(r));
  }
  return results;
}

/** A case prepared for rvv: its optimized graph, feeds and expected outputs. */
interface RvvCase {
  result: CaseResult;
  graph: Graph;
  feeds: Record<string, Tensor>;
  expected: Tensor[];
}

/**
 * Every case the reference passes, compiled for rvv (-O2 pipeline) and run under qemu at VLEN 128, 256 and 512.
 * The supported cases go into one bundled program (targets/rvv/bundle.ts): one clang build and one qemu run
 * per VLEN for all of them. A bundle that fails to build or run is split in halves until the failing case is
 * alone, so one bad case cannot hide the others.
 */
function runOnRvv(cases: ConformanceCase[], results: CaseResult[]): void {
  const ready: RvvCase[] = [];
  cases.forEach((c, i) => {
    const result = results[i]!;
    try {
      const data = loadCaseData(c);
      const declared = importOnnxFile(join(c.dir, 'model.onnx'));
      const feeds = data.feeds(declared.inputs);
      const graph = importOnnxFile(join(c.dir, 'model.onnx'), { inputShapes: staticInputShapes(graphSignature(declared), {}, feeds) });
      optimize(graph, { target: 'rvv', print: () => {} });
      const problems = unsupportedNodes(graph, rvvTarget);
      if (problems.length > 0) result.rvv = { status: 'unsupported', detail: problems.map((p) => `${p.node.op}: ${p.reason}`).join('; ') };
      else ready.push({ result, graph, feeds, expected: data.expected });
    } catch (e) {
      result.rvv = e instanceof EdgecError && e.code === 'BAD_SHAPE' ? { status: 'unsupported', detail: e.message } : { status: 'fail', detail: `optimizing: ${describeError(e)}` };
    }
  });
  runRvvGroup(ready);
  for (const r of results) if (r.rvv?.detail) r.rvv.detail = relativePaths(r.rvv.detail);
}

function runRvvGroup(group: RvvCase[]): void {
  if (group.length === 0) return;
  try {
    const bundle = buildRvvBundle(group.map((c) => c.graph));
    const inputs = group.map((c, i) => bundle.cases[i]!.inputs.map((e) => arrayToBytes(e.dtype as DType, c.feeds[e.name]!.data)));
    const problems: string[][] = group.map(() => []);
    for (const vlen of VLENS) {
      const outputs = runRvvBundle(bundle, inputs, vlen);
      group.forEach((c, i) => {
        const tensors = Object.fromEntries(bundle.cases[i]!.outputs.map((e, j) => [e.name, makeTensor(e.dtype as DType, e.shape, arrayFromBytes(e.dtype as DType, outputs[i]![j]!))]));
        const bad = compareOutputs(c.graph.outputs.map((v) => v.name), tensors, c.expected);
        if (bad.length > 0 && problems[i]!.length === 0) problems[i] = [`VLEN ${vlen}: ${bad.join('; ')}`];
      });
    }
    group.forEach((c, i) => (c.result.rvv = problems[i]!.length === 0 ? { status: 'pass' } : { status: 'fail', detail: problems[i]!.join('; ') }));
  } catch (e) {
    if (group.length === 1) {
      group[0]!.result.rvv = { status: 'fail', detail: describeError(e) };
      return;
    }
    const half = Math.ceil(group.length / 2);
    runRvvGroup(group.slice(0, half));
    runRvvGroup(group.slice(half));
  }
}

export function summarize(results: CaseResult[]): Record<CaseStatus, number> {
  const counts: Record<CaseStatus, number> = { pass: 0, fail: 0, 'unsupported-op': 0, 'unsupported-feature': 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

export function summarizeWasm(results: CaseResult[]): Record<TargetResult['status'], number> {
  return summarizeTarget(results, 'wasm');
}

export function summarizeTarget(results: CaseResult[], target: 'wasm' | 'rvv' | 'webgpu'): Record<TargetResult['status'], number> {
  const counts = { pass: 0, fail: 0, unsupported: 0 };
  for (const r of results) {
    const t = r[target];
    if (t) counts[t.status]++;
  }
  return counts;
}
