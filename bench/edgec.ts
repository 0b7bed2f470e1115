import { compileGraph, unsupportedNodes } from '../compiler/driver.js';
import { graphSignature, staticInputShapes } from '../compiler/feeds.js';
import { importOnnx } from '../compiler/onnx/index.js';
import { EdgecError, type Graph } from '../ir/index.js';
import { load, type Feed } from '../runtime/index.js';
import { loadProfiled } from '../compiler/bench/profile.js';
import { wasmTarget } from '../targets/wasm/index.js';

/**
 * edgec's side of the model benchmark: import, compile for wasm (timed), load through the runtime. Failures
 * come back as values naming the stage and the reason, so one model that does not compile yet does not stop
 * the benchmark of the others.
 */
export interface UnsupportedOp {
  op: string;
  count: number;
  /** The distinct reasons the target gave. */
  reasons: string[];
}

export interface EdgecBuild {
  /** The graph as imported (for MACs and feeds); symbolic dims fixed to 1. */
  imported: Graph;
  /** The graph after the wasm pipeline (node order and names of the profile). */
  optimized: Graph;
  bytes: Uint8Array;
  importMs: number;
  compileMs: number;
  arenaBytes: number;
}

export type EdgecOutcome =
  | { ok: true; build: EdgecBuild }
  | { ok: false; stage: 'import' | 'compile'; reason: string; unsupported?: UnsupportedOp[]; imported?: Graph };

/** Imports with every symbolic input dim fixed (to 1), as the wasm target's static arena needs. */
export function importStatic(bytes: Uint8Array, name: string): Graph {
  const graph = importOnnx(bytes, { file: `${name}.onnx` });
  const fixed = staticInputShapes(graphSignature(graph), {}, {});
  return Object.keys(fixed).length > 0 ? importOnnx(bytes, { file: `${name}.onnx`, inputShapes: fixed }) : graph;
}

function groupUnsupported(problems: { node: { op: string }; reason: string }[]): UnsupportedOp[] {
  const byOp = new Map<string, UnsupportedOp>();
  for (const p of problems) {
    const entry = byOp.get(p.node.op) ?? { op: p.node.op, count: 0, reasons: [] };
    entry.count++;
    if (!entry.reasons.includes(p.reason)) entry.reasons.push(p.reason);
    byOp.set(p.node.op, entry);
  }
  return [...byOp.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
}

export function compileModel(bytes: Uint8Array, name: string): EdgecOutcome {
  let imported: Graph;
  let importMs: number;
  try {
    const start = performance.now();
    imported = importStatic(bytes, name);
    importMs = performance.now() - start;
  } catch (e) {
    return { ok: false, stage: 'import', reason: (e as Error).message };
  }
  // compileGraph optimizes in place: compile a second import, keep the first as imported.
  const graph = importStatic(bytes, name);
  try {
    const start = performance.now();
    const { artifact } = compileGraph(graph, { target: 'wasm' });
    const compileMs = performance.now() - start;
    const arenaBytes = Number((artifact.summary as { arenaBytes?: number }).arenaBytes ?? NaN);
    return { ok: true, build: { imported, optimized: graph, bytes: artifact.bytes, importMs, compileMs, arenaBytes } };
  } catch (e) {
    if (e instanceof EdgecError && e.code === 'UNSUPPORTED_OP') {
      // The pipeline has run on `graph`, so the target's checks see the nodes it would have compiled.
      const unsupported = groupUnsupported(unsupportedNodes(graph, wasmTarget));
      const summary = unsupported.map((u) => `${u.op} x${u.count}`).join(', ');
      return { ok: false, stage: 'compile', reason: `unsupported on wasm: ${summary}`, unsupported, imported };
    }
    return { ok: false, stage: 'compile', reason: (e as Error).message, imported };
  }
}

/**
 * When a run traps, the node it trapped in: runs a profiling build, whose hooks record the last node begun
 * and not ended. Returns a description for the report, or undefined when the profiling build runs cleanly.
 */
export async function locateTrap(optimized: Graph, feeds: Record<string, Feed>): Promise<string | undefined> {
  let current = -1;
  const model = await loadProfiled(optimized, { begin: (i) => (current = i), end: () => (current = -1) });
  try {
    model.run(feeds);
    return undefined;
  } catch (e) {
    const node = model.nodes?.[current];
    return node ? `in node '${node.name}' (${node.op}): ${(e as Error).message}` : (e as Error).message;
  }
}

export { load };
