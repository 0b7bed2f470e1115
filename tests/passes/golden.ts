import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseGraph, printGraph, type Graph, type Tensor } from '../../ir/index.js';
import { prepareFeeds } from '../../compiler/feeds.js';
import { PASSES } from '../../passes/registry.js';
import { runPipeline } from '../../passes/manager.js';
import { referenceEvaluate, runGraph } from '../../targets/reference/index.js';

/**
 * Golden IR tests in the spirit of MLIR's FileCheck tests. A `.ir` file under tests/passes/golden/ holds:
 *
 *   # RUN: fold-constants,eliminate-dead-code
 *   graph @g(%x: f32[2]) { ... }                 (the input IR)
 *   # CHECK: %y = Relu(%x)                       (lines expected in the output IR, in this order)
 *   # CHECK-NEXT: return %y                      (must be on the line right after the previous match)
 *   # CHECK-NOT: Add(                            (must not appear between the surrounding matches)
 *   # NUMERIC: skip                              (optional: do not compare outputs, e.g. for random inputs)
 *
 * Checks match substrings of the output IR's lines and only need to say what matters. The harness also runs
 * the reference interpreter on the input and output graphs with seeded random inputs and requires equal outputs.
 */
export interface GoldenCase {
  file: string;
  pipeline: string;
  input: string;
  checks: { kind: 'CHECK' | 'CHECK-NEXT' | 'CHECK-NOT'; text: string; line: number }[];
  numeric: boolean;
}

export function loadGoldenCases(root: string): GoldenCase[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.ir')) files.push(join(dir, entry.name));
    }
  };
  walk(root);
  return files.map((file) => {
    const text = readFileSync(file, 'utf8');
    let pipeline: string | undefined;
    let numeric = true;
    const checks: GoldenCase['checks'] = [];
    text.split('\n').forEach((line, i) => {
      const m = /^\s*#\s*(RUN|CHECK|CHECK-NEXT|CHECK-NOT|NUMERIC):\s?(.*)$/.exec(line);
      if (!m) return;
      if (m[1] === 'RUN') pipeline = m[2]!.trim();
      else if (m[1] === 'NUMERIC') numeric = m[2]!.trim() !== 'skip';
      else checks.push({ kind: m[1] as GoldenCase['checks'][number]['kind'], text: m[2]!.trimEnd(), line: i + 1 });
    });
    if (pipeline === undefined) throw new Error(`${file}: no '# RUN: <pipeline>' line`);
    return { file: relative(root, file), pipeline, input: text, checks, numeric };
  });
}

/** Matches the checks against the output IR; returns the first failure as a message, or null. */
export function matchChecks(output: string, checks: GoldenCase['checks']): string | null {
  const lines = output.split('\n');
  let cursor = -1; // index of the line of the last positive match
  let pendingNot: GoldenCase['checks'] = [];
  const notBetween = (from: number, to: number): string | null => {
    for (const c of pendingNot) {
      for (let i = from; i < to; i++) if (lines[i]!.includes(c.text)) return `CHECK-NOT (line ${c.line}) '${c.text}' found: ${lines[i]!.trim()}`;
    }
    return null;
  };
  for (const c of checks) {
    if (c.kind === 'CHECK-NOT') {
      pendingNot.push(c);
      continue;
    }
    let found = -1;
    if (c.kind === 'CHECK-NEXT') {
      if (lines[cursor + 1]?.includes(c.text)) found = cursor + 1;
    } else {
      for (let i = cursor + 1; i < lines.length; i++) {
        if (lines[i]!.includes(c.text)) {
          found = i;
          break;
        }
      }
    }
    if (found < 0) return `${c.kind} (line ${c.line}) '${c.text}' not found after output line ${cursor + 1}`;
    const bad = notBetween(cursor + 1, found);
    if (bad) return bad;
    pendingNot = [];
    cursor = found;
  }
  return notBetween(cursor + 1, lines.length);
}

export interface GoldenRun {
  output: string;
  before: Graph;
  after: Graph;
}

export function runGolden(c: GoldenCase): GoldenRun {
  const before = parseGraph(c.input);
  const after = parseGraph(c.input);
  runPipeline(after, c.pipeline, PASSES, { verifyEach: true, evaluate: referenceEvaluate });
  return { output: printGraph(after), before, after };
}

/** Largest |a - b| over all outputs, relative to the largest |a| (0 when both graphs agree exactly). */
export function outputDeviation(before: Graph, after: Graph, seed = 7): number {
  const { feeds } = prepareFeeds(before, {}, seed);
  const a = runGraph(before, feeds);
  const b = runGraph(after, feeds);
  let maxDiff = 0;
  let maxRef = 0;
  for (const out of before.outputs) {
    const x: Tensor = a[out.name]!;
    const y: Tensor | undefined = b[out.name];
    if (!y) throw new Error(`output '${out.name}' disappeared`);
    if (x.shape.join() !== y.shape.join()) throw new Error(`output '${out.name}' changed shape [${x.shape}] -> [${y.shape}]`);
    for (let i = 0; i < x.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(Number(x.data[i]) - Number(y.data[i])));
      maxRef = Math.max(maxRef, Math.abs(Number(x.data[i])));
    }
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}
