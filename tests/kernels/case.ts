import { prepareFeeds } from '../../compiler/feeds.js';
import { randomTensor, seededRandom } from '../../compiler/io/random.js';
import { GraphBuilder, makeTensor, type Attributes, type Graph, type Tensor, type TensorType, type Value } from '../../ir/index.js';
import type { WasmOptions } from '../../targets/wasm/kernel.js';
import type { WebGpuOptions } from '../../targets/webgpu/kernel.js';

/**
 * One kernel case of the corpus: a small graph (built through a CaseBuilder, so that several cases can share
 * one graph under distinct name prefixes, as the rvv batch needs) plus its inputs. Every target whose check
 * accepts every node runs it, and its outputs are compared with the reference interpreter's.
 */

/** The code-generating targets the corpus runs (the reference is the oracle). */
export const CORPUS_TARGETS = ['wasm', 'rvv', 'webgpu'] as const;
export type CorpusTarget = (typeof CORPUS_TARGETS)[number];

/**
 * How outputs are compared with the reference:
 * - relative: max |a - r| / max |r| over each output <= tolerance (exact for integer outputs at tolerance 0);
 * - exact: every element equal (NaN equal to NaN), as strings, so i64 compares as bigint;
 * - elementwise: a = r (infinities) or |a - r| <= tolerance x max(1, |r|) at every element, NaN where the reference has NaN.
 * Output dtypes and shapes must always equal the reference's.
 */
export type Comparison = 'relative' | 'exact' | 'elementwise';

/** Default relative tolerances, as the old per-target tests used: wasm 1e-5, rvv and webgpu 1e-4. */
export const DEFAULT_TOLERANCE: Record<CorpusTarget, number> = { wasm: 1e-5, rvv: 1e-4, webgpu: 1e-4 };

export interface KernelCase {
  /** Unique within its family; the support matrix's key is `family/name`. */
  readonly name: string;
  readonly build: (b: CaseBuilder) => void;
  /** Explicit inputs by local name; inputs not given are seeded random (prepareFeeds, `seed`). */
  readonly feeds?: () => Record<string, Tensor>;
  readonly seed?: number;
  readonly comparison?: Comparison;
  /** Per-target tolerance, where a test used another than the default (never looser than it was). */
  readonly tolerance?: Partial<Record<CorpusTarget, number>>;
  /** Target options the case needs (e.g. wasm without Winograd, to reach the im2col path). */
  readonly wasm?: Partial<WasmOptions>;
  readonly webgpu?: Partial<WebGpuOptions>;
  /**
   * Targets that accept the case but are known to compute something else, with why: the test asserts that
   * they still differ (so a fix shows up) and the support matrix says `differs`.
   */
  readonly knownToDiffer?: Partial<Record<CorpusTarget, string>>;
  /** Extra assertions on a target's outputs (by local name), beyond equality with the reference. */
  readonly expectOutputs?: (outputs: Record<string, Tensor>) => void;
}

/** Builds a case's graph with every name under `prefix`; `random` is seeded per case, for its weights. */
export class CaseBuilder {
  readonly random: () => number;
  /** The values this case made graph outputs, in order. */
  readonly outputs: Value[] = [];
  constructor(
    readonly graph: GraphBuilder,
    readonly prefix: string,
    seed = 7,
  ) {
    this.random = seededRandom(seed);
  }

  input(name: string, type: TensorType | number[]): Value {
    return this.graph.input(this.prefix + name, Array.isArray(type) ? { dtype: 'f32', shape: type } : type);
  }
  constant(name: string, data: Tensor): Value {
    return this.graph.constant(this.prefix + name, data);
  }
  /** A constant of seeded random f32 values. */
  weights(name: string, shape: number[]): Value {
    return this.constant(name, randomTensor('f32', shape, this.random));
  }
  /** A 1-D i64 constant (axes, shapes, pads, starts ...). */
  i64(name: string, values: number[]): Value {
    return this.constant(name, makeTensor('i64', [values.length], values.map(BigInt)));
  }
  scalar(name: string, value: number, dtype: 'f32' = 'f32'): Value {
    return this.constant(name, makeTensor(dtype, [], [value]));
  }
  op(op: string, inputs: (Value | null)[], attrs: Attributes = {}, name?: string): Value {
    return this.graph.op(op, inputs, attrs, name === undefined ? undefined : this.prefix + name);
  }
  node(op: string, inputs: (Value | null)[], attrs: Attributes, outputNames: string[]): Value[] {
    return this.graph.node(op, inputs, attrs, { outputNames: outputNames.map((n) => (n ? this.prefix + n : n)) });
  }
  output(...values: Value[]): void {
    this.outputs.push(...values);
    this.graph.output(...values);
  }
}

/** The case alone as a graph (no prefix). */
export function caseGraph(c: KernelCase): Graph {
  const b = new GraphBuilder('kernel_case');
  c.build(new CaseBuilder(b, ''));
  return b.build();
}

/** The case's inputs by local name: the explicit ones, the rest seeded random. */
export function caseFeeds(c: KernelCase): Record<string, Tensor> {
  return prepareFeeds(caseGraph(c), c.feeds?.() ?? {}, c.seed ?? 1).feeds;
}

export const toleranceOf = (c: KernelCase, target: CorpusTarget): number =>
  c.tolerance?.[target] ?? (c.comparison === 'exact' ? 0 : DEFAULT_TOLERANCE[target]);

/** A family: a folder of cases run and reported together (one test file, one rvv batch). */
export interface KernelFamily {
  readonly name: string;
  readonly cases: readonly KernelCase[];
}

/** Fails on duplicate case names (the golden file's keys). */
export function family(name: string, cases: KernelCase[]): KernelFamily {
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new Error(`kernel family '${name}' has two cases named '${c.name}'`);
    seen.add(c.name);
  }
  return { name, cases };
}
