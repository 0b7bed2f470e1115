import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { optimize, unsupportedNodes } from '../../compiler/driver.js';
import { graphSignature, staticInputShapes } from '../../compiler/feeds.js';
import { importOnnxFile, readTensorProtoFile } from '../../compiler/onnx/index.js';
import { shapeDecidingInputs } from '../../compiler/shape-inputs.js';
import type { TargetEntry, TargetSession } from '../../compiler/targets/entry.js';
import { targetEntry } from '../../compiler/targets/registry.js';
import { EdgecError, isFloat, isStaticShape, type Graph, type Tensor } from '../../ir/index.js';
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

/** A compiled target's verdict on a case the reference passes. */
export interface TargetResult {
  status: 'pass' | 'fail' | 'unsupported';
  detail?: string;
  /**
   * Unsupported because an output shape is known only once the data is seen (NonZero, Unique...), even with
   * every shape-deciding input bound: a property of targets that plan memory at compile time, not a missing kernel.
   */
  dataDependentShape?: boolean;
}

export interface CaseResult {
  suite: string;
  name: string;
  ops: string[];
  /** The reference interpreter's verdict. */
  status: CaseStatus;
  detail?: string;
  /**
   * Each compiled target's verdict on a case the reference passes, by target name (a target that runs batches,
   * rvv, passes only when every variant, each VLEN, does).
   */
  targets: Record<string, TargetResult>;
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

/** A case the reference passes, ready for a target: its optimized graph, feeds and expected outputs. */
interface ReadyCase {
  result: CaseResult;
  graph: Graph;
  feeds: Record<string, Tensor>;
  expected: Tensor[];
}

/**
 * The case as a user of a static-shape target compiles it: input shapes fixed from its data (`--input-shape`),
 * and the inputs whose values decide output shapes (sizes, scales, axes, repeats, pads... as graph inputs)
 * bound to their data as constants (`--bind`, the same binding code), so they are no longer fed.
 */
function importWithShapesFixed(model: string, data: LoadedCase): { graph: Graph; feeds: Record<string, Tensor> } {
  const declared = importOnnxFile(model);
  const given = data.feeds(declared.inputs);
  const inputShapes = staticInputShapes(graphSignature(declared), {}, given);
  const graph = importOnnxFile(model, { inputShapes });
  const bound = shapeDecidingInputs(graph);
  if (bound.length === 0) return { graph, feeds: given };
  const bind = Object.fromEntries(bound.map((name) => [name, given[name]!]));
  const feeds = Object.fromEntries(Object.entries(given).filter(([name]) => !(name in bind)));
  return { graph: importOnnxFile(model, { inputShapes, bind }), feeds };
}

/**
 * The case imported with input shapes fixed from its data and optimized by the target's full -O2 pipeline (so
 * the passes are exercised too); a verdict instead when the target cannot take it.
 */
function prepareForTarget(entry: TargetEntry, c: ConformanceCase, data: LoadedCase, result: CaseResult): ReadyCase | TargetResult {
  let graph: Graph | undefined;
  let feeds: Record<string, Tensor>;
  try {
    ({ graph, feeds } = importWithShapesFixed(join(c.dir, 'model.onnx'), data));
    optimize(graph, { target: entry.target.name, print: () => {} });
  } catch (e) {
    // Every input shape is fixed and every shape-deciding input bound: a shape still unknown comes from the data.
    if (e instanceof EdgecError && e.code === 'BAD_SHAPE') {
      const dataDependentShape = graph?.nodes.some((n) => n.outputs.some((v) => !isStaticShape(v.type.shape))) ?? false;
      return { status: 'unsupported', detail: e.message, ...(dataDependentShape ? { dataDependentShape } : {}) };
    }
    return { status: 'fail', detail: `optimizing: ${describeError(e)}` };
  }
  const problems = unsupportedNodes(graph, entry.target);
  if (problems.length > 0) return { status: 'unsupported', detail: problems.map((p) => `${p.node.op}: ${p.reason}`).join('; ') };
  return { result, graph, feeds, expected: data.expected };
}

/** A prepared case compiled and run through the target's session (one per sweep). */
async function runThroughSession(entry: TargetEntry, session: TargetSession, ready: ReadyCase): Promise<TargetResult> {
  try {
    const artifact = await session.open(entry.target.compile(ready.graph, {}).bytes, { graph: ready.graph });
    try {
      const outputs = await artifact.run(ready.feeds);
      const problems = compareOutputs(ready.graph.outputs.map((v) => v.name), outputs, ready.expected);
      return problems.length === 0 ? { status: 'pass' } : { status: 'fail', detail: problems.join('; ') };
    } finally {
      artifact.close();
    }
  } catch (e) {
    return { status: 'fail', detail: describeError(e) };
  }
}

export interface RunCaseOptions {
  /** Registered targets to compile and run every reference-passing case on, besides the reference. */
  targets?: readonly string[];
}

/** A case on the reference, and the checks of its data: the part every target starts from. */
function runOnReferenceCase(c: ConformanceCase): { result: CaseResult; data?: LoadedCase } {
  const ops = modelOps(join(c.dir, 'model.onnx'));
  const base = { suite: c.suite, name: c.name, ops, targets: {} };
  const outside = ops.filter((op) => !EDGE_OP_SET.has(op));
  if (outside.length > 0) return { result: { ...base, status: 'unsupported-op', detail: outside.join(', ') } };
  let data: LoadedCase;
  try {
    data = loadCaseData(c);
  } catch (e) {
    return { result: { ...base, status: 'unsupported-feature', detail: relativePaths(describeError(e)) } };
  }
  const reference = runOnReference(c, data);
  const result: CaseResult = { ...base, ...reference };
  if (result.detail) result.detail = relativePaths(result.detail);
  return { result, data };
}

/**
 * Every case on the reference, then each reference-passing case on every chosen target: through one session
 * per target, case by case, or, for targets that run batches, all cases of the target in one batch at the end.
 */
export async function runCases(cases: ConformanceCase[], options: RunCaseOptions = {}, onResult?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const entries = (options.targets ?? []).map(targetEntry);
  const batched = new Map<TargetEntry, ReadyCase[]>(entries.filter((e) => e.runBatch).map((e) => [e, []]));
  const sessions = new Map<TargetEntry, TargetSession>();
  const results: CaseResult[] = [];
  try {
    for (const entry of entries) if (!entry.runBatch) sessions.set(entry, await entry.session({ vlen: 256 }));
    for (const c of cases) {
      const { result, data } = runOnReferenceCase(c);
      if (data && result.status === 'pass') {
        for (const entry of entries) {
          const ready = prepareForTarget(entry, c, data, result);
          if (!('graph' in ready)) result.targets[entry.target.name] = ready;
          else if (entry.runBatch) batched.get(entry)!.push(ready);
          else result.targets[entry.target.name] = await runThroughSession(entry, sessions.get(entry)!, ready);
        }
      }
      if (batched.size === 0) onResult?.(withRelativeDetails(result));
      results.push(result);
    }
  } finally {
    for (const session of sessions.values()) session.close();
  }
  for (const [entry, ready] of batched) await runBatchGroup(entry, ready);
  if (batched.size > 0) results.forEach((r) => onResult?.(withRelativeDetails(r)));
  return results.map(withRelativeDetails);
}

function withRelativeDetails(r: CaseResult): CaseResult {
  for (const t of Object.values(r.targets)) if (t.detail) t.detail = relativePaths(t.detail);
  return r;
}

/**
 * A target that runs batches (rvv: one bundled program, one clang build and one qemu run per VLEN for all
 * cases) gets every supported case at once; a batch that fails to build or run is split in halves until the
 * failing case is alone, so one bad case cannot hide the others. A case passes when every variant does.
 */
async function runBatchGroup(entry: TargetEntry, group: ReadyCase[]): Promise<void> {
  if (group.length === 0) return;
  const name = entry.target.name;
  try {
    const variants = await entry.runBatch!(group.map((c) => c.graph), group.map((c) => c.feeds));
    const problems: string[][] = group.map(() => []);
    for (const { variant, outputs } of variants) {
      group.forEach((c, i) => {
        const bad = compareOutputs(c.graph.outputs.map((v) => v.name), outputs[i]!, c.expected);
        if (bad.length > 0 && problems[i]!.length === 0) problems[i] = [`${variant ? `${variant}: ` : ''}${bad.join('; ')}`];
      });
    }
    group.forEach((c, i) => (c.result.targets[name] = problems[i]!.length === 0 ? { status: 'pass' } : { status: 'fail', detail: problems[i]!.join('; ') }));
  } catch (e) {
    if (group.length === 1) {
      group[0]!.result.targets[name] = { status: 'fail', detail: describeError(e) };
      return;
    }
    const half = Math.ceil(group.length / 2);
    await runBatchGroup(entry, group.slice(0, half));
    await runBatchGroup(entry, group.slice(half));
  }
}

export function summarize(results: CaseResult[]): Record<CaseStatus, number> {
  const counts: Record<CaseStatus, number> = { pass: 0, fail: 0, 'unsupported-op': 0, 'unsupported-feature': 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

export function summarizeTarget(results: CaseResult[], target: string): Record<TargetResult['status'], number> {
  const counts = { pass: 0, fail: 0, unsupported: 0 };
  for (const r of results) {
    const t = r.targets[target];
    if (t) counts[t.status]++;
  }
  return counts;
}
